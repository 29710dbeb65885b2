"""Documents: Word files rendered from completed tasks, stored immutably, gathered into packs.

Importing this package registers the listener that makes a task's document in the completion's
own transaction (`listener`). Modules: `templates` (the template folder and its catalogue),
`render` (sandboxed, autoescaped docxtpl), `store` (the document table), `check` (the catalogue
check against the forms), `packs` (case and meeting packs), `cli` (`stepwise pack ...`).
"""
from engine import runtime

from .listener import INCIDENT_KIND, DocumentError, on_events, retry
from .store import StoredDocument, document_content, documents

runtime.subscribe(on_events)
runtime.events.on_retry(INCIDENT_KIND, retry)

__all__ = ["DocumentError", "StoredDocument", "document_content", "documents", "on_events"]
