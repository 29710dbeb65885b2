"""Documents: Word files rendered from completed tasks, stored immutably, gathered into packs.

Importing this package registers the listener that makes a task's document in the completion's
own transaction (`listener`). Modules: `templates` (the template folder and its catalogue),
`render` (sandboxed, autoescaped docxtpl), `store` (the document table), `check` (the catalogue
check against the forms), `packs` (case and meeting packs), `cli` (`stepwise pack ...`).
"""
from engine import runtime

from .listener import DocumentError, on_events
from .store import StoredDocument, document_content, documents

runtime.subscribe(on_events)

__all__ = ["DocumentError", "StoredDocument", "document_content", "documents", "on_events"]
