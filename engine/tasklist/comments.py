"""Comments on a task or a case: who, when, text.

A comment is an audit row (`comment.added`), so it is append-only like the rest of the trail (the
database refuses to change or delete one) and appears in the case timeline with everything else.
A correction is a further comment.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.runtime import InvalidInput
from engine.runtime.unit import Unit
from engine.store import models
from engine.store.db import Database

ACTION = "comment.added"
MAX_LENGTH = 4000
_AUDIT = models.AuditEvent.__table__


@dataclass(frozen=True)
class Comment:
    id: int
    at: datetime
    author: str
    business_key: str
    task_id: str | None
    task_name: str | None
    text: str


def add(db: Database, business_key: str, text: str, author: str, *, task_id: str | None = None,
        task_name: str | None = None) -> None:
    """Record a comment on the case (or on one of its tasks). The caller has checked the author
    may see the case or act on the task."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Enter a comment")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"A comment must be {MAX_LENGTH:,} characters or fewer")
    with db.connection() as conn:
        unit = Unit(conn, db.url, author)
        details = {"text": text}
        if task_name:
            details["task_name"] = task_name
        unit.audit(ACTION, business_key=business_key, task_id=task_id, **details)
        unit.flush_audit()


def for_case(db: Database, business_key: str, *, task_id: str | None = None) -> list[Comment]:
    """The case's comments, oldest first; with `task_id`, that task's and the case's own."""
    query = select(_AUDIT).where(_AUDIT.c.business_key == business_key, _AUDIT.c.action == ACTION)
    with db.reader() as session:
        rows = session.execute(query.order_by(_AUDIT.c.id)).all()
    found = [Comment(r.id, r.at, r.actor, r.business_key, r.task_id, (r.details or {}).get("task_name"),
                     (r.details or {}).get("text", "")) for r in rows]
    if task_id is not None:
        found = [c for c in found if c.task_id in (None, task_id)]
    return found
