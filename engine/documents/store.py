"""The document table: insert a new version (never overwrite), list a case's current documents."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from engine import clock
from engine.store import models

DOCUMENTS = models.Document.__table__
_LISTED = [c for c in DOCUMENTS.c if c.name != "content"]


@dataclass(frozen=True)
class StoredDocument:
    id: int
    business_key: str
    instance_id: str
    task_id: str
    template_id: str
    template_sha256: str
    version: int
    title: str
    filename: str
    sha256: str
    size: int
    fields: dict[str, Any]
    actor: str
    created_at: datetime

    @classmethod
    def of(cls, row) -> "StoredDocument":
        return cls(**{f: getattr(row, f) for f in cls.__dataclass_fields__})


def next_version(conn: Connection, business_key: str, template_id: str) -> int:
    current = conn.execute(
        select(func.max(DOCUMENTS.c.version))
        .where(DOCUMENTS.c.business_key == business_key, DOCUMENTS.c.template_id == template_id)
    ).scalar()
    return (current or 0) + 1


def insert(conn: Connection, *, business_key: str, instance_id: str, task_id: str, template_id: str,
           template_sha256: str, version: int, title: str, content: bytes, fields: dict, actor: str) -> StoredDocument:
    """Store a rendered document as the given version; the unique (case, template, version)
    constraint refuses a second writer of the same version."""
    created_at = clock.now()
    filename = f"{business_key}_{template_id}_v{version}.docx".replace("/", "-")
    values = dict(business_key=business_key, instance_id=instance_id, task_id=task_id, template_id=template_id,
                  template_sha256=template_sha256, version=version, title=title, filename=filename, content=content,
                  sha256=hashlib.sha256(content).hexdigest(), size=len(content), fields=fields, actor=actor,
                  created_at=created_at)
    document_id = conn.execute(DOCUMENTS.insert().returning(DOCUMENTS.c.id), values).scalar_one()
    return StoredDocument(id=document_id, **{k: v for k, v in values.items() if k != "content"})


def for_case(conn, business_key: str, *, current_only: bool = True) -> list[StoredDocument]:
    """A case's documents in the order they were made; `current_only`: the newest version of each."""
    query = select(*_LISTED).where(DOCUMENTS.c.business_key == business_key)
    if current_only:
        newest = (select(DOCUMENTS.c.template_id, func.max(DOCUMENTS.c.version).label("v"))
                  .where(DOCUMENTS.c.business_key == business_key).group_by(DOCUMENTS.c.template_id).subquery())
        query = query.join(newest, (newest.c.template_id == DOCUMENTS.c.template_id) & (newest.c.v == DOCUMENTS.c.version))
    return [StoredDocument.of(row) for row in conn.execute(query.order_by(DOCUMENTS.c.created_at, DOCUMENTS.c.id))]


def content(conn, document_id: int) -> bytes:
    found = conn.execute(select(DOCUMENTS.c.content).where(DOCUMENTS.c.id == document_id)).scalar()
    if found is None:
        raise LookupError(f"no document {document_id}")
    return bytes(found)


def documents(db, business_key: str, *, current_only: bool = True) -> list[StoredDocument]:
    """The case's documents (read-only transaction), for pages and the CLI."""
    with db.reader() as session:
        return for_case(session.connection(), business_key, current_only=current_only)


def document_content(db, document_id: int) -> bytes:
    with db.reader() as session:
        return content(session.connection(), document_id)
