"""Deployments and definition versions for the admin pages: the list, one version with its BPMN,
and the line diff of its BPMN file from the previous version of the same process."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from engine.store import models
from engine.store.db import Database

_DEFINITIONS = models.ProcessDefinition.__table__
_INSTANCES = models.ProcessInstance.__table__
# A diff of a whole procedure is long; past this many changed lines the page says so and stops.
MAX_DIFF_LINES = 4000


@dataclass
class Version:
    id: str
    key: str
    version: int
    name: str | None
    resource: str
    deployment_id: str
    created_at: datetime
    instances: int = 0


@dataclass
class DeploymentRow:
    id: str
    name: str
    source: str | None
    deployed_at: datetime
    deployed_by: str
    files: int
    versions: list[Version] = field(default_factory=list)


def _version(row, instances: int = 0) -> Version:
    return Version(row.id, row.key, row.version, row.name, row.resource, row.deployment_id, row.created_at, instances)


def deployments(db: Database) -> list[DeploymentRow]:
    """Every deployment, newest first, with the versions it made and how many instances each has."""
    with db.reader() as session:
        files = dict(session.execute(select(models.DeploymentFile.deployment_id, func.count())
                                     .group_by(models.DeploymentFile.deployment_id)).all())
        counts = dict(session.execute(select(_INSTANCES.c.definition_id, func.count())
                                      .group_by(_INSTANCES.c.definition_id)).all())
        rows = {d.id: DeploymentRow(d.id, d.name, d.source, d.deployed_at, d.deployed_by, files.get(d.id, 0))
                for d in session.scalars(select(models.Deployment).order_by(models.Deployment.sequence.desc()))}
        for v in session.execute(select(_DEFINITIONS.c.id, _DEFINITIONS.c.key, _DEFINITIONS.c.version,
                                        _DEFINITIONS.c.name, _DEFINITIONS.c.resource, _DEFINITIONS.c.deployment_id,
                                        _DEFINITIONS.c.created_at).order_by(_DEFINITIONS.c.key)):
            rows[v.deployment_id].versions.append(_version(v, counts.get(v.id, 0)))
    return list(rows.values())


def version(db: Database, definition_id: str) -> Version | None:
    with db.reader() as session:
        row = session.execute(select(_DEFINITIONS).where(_DEFINITIONS.c.id == definition_id)).first()
        return _version(row) if row is not None else None


def previous(db: Database, current: Version) -> Version | None:
    with db.reader() as session:
        row = session.execute(select(_DEFINITIONS).where(_DEFINITIONS.c.key == current.key,
                                                         _DEFINITIONS.c.version < current.version)
                              .order_by(_DEFINITIONS.c.version.desc()).limit(1)).first()
        return _version(row) if row is not None else None


def versions_of(db: Database, key: str) -> list[Version]:
    with db.reader() as session:
        return [_version(row) for row in session.execute(
            select(_DEFINITIONS).where(_DEFINITIONS.c.key == key).order_by(_DEFINITIONS.c.version.desc()))]


def bpmn(db: Database, v: Version) -> str | None:
    with db.reader() as session:
        content = session.scalar(select(models.DeploymentFile.content).where(
            models.DeploymentFile.deployment_id == v.deployment_id, models.DeploymentFile.filename == v.resource))
    return content.decode("utf-8", errors="replace") if content is not None else None


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "hunk" | "add" | "del" | "same"
    text: str
    old: int | None  # line number in the previous version
    new: int | None  # line number in this version


def diff(before: str, after: str, *, context: int = 3) -> tuple[list[DiffLine], bool]:
    """Unified diff lines with their line numbers; (lines, cut short)."""
    lines: list[DiffLine] = []
    old_no = new_no = 0
    for raw in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=context):
        if raw.startswith(("---", "+++")):
            continue
        if raw.startswith("@@"):
            # "@@ -a,b +c,d @@": where the next lines start in each file
            old_part, new_part = raw.split()[1:3]
            old_no, new_no = int(old_part[1:].split(",")[0]), int(new_part[1:].split(",")[0])
            lines.append(DiffLine("hunk", raw, None, None))
        elif raw.startswith("+"):
            lines.append(DiffLine("add", raw[1:], None, new_no))
            new_no += 1
        elif raw.startswith("-"):
            lines.append(DiffLine("del", raw[1:], old_no, None))
            old_no += 1
        else:
            lines.append(DiffLine("same", raw[1:], old_no, new_no))
            old_no += 1
            new_no += 1
        if len(lines) >= MAX_DIFF_LINES:
            return lines, True
    return lines, False
