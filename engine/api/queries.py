"""What the API reads: deployments, definitions and the task-list projection. Never a workflow."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, func, select

from engine import runtime
from engine.runtime import TaskView
from engine.store import models
from engine.store.db import Database

_HUMAN = models.HumanTask.__table__
_ROLES = models.TaskRole.__table__
_INSTANCES = models.ProcessInstance.__table__
_DEFINITIONS = models.ProcessDefinition.__table__


@dataclass(frozen=True)
class Definition:
    id: str
    key: str
    version: int
    name: str | None
    deployment_id: str
    resource: str


def _definition(row) -> Definition:
    return Definition(row.id, row.key, row.version, row.name, row.deployment_id, row.resource)


def deployments(db: Database, *, name: str | None = None, first: int = 0, size: int = 100) -> list[models.Deployment]:
    query = select(models.Deployment).order_by(models.Deployment.sequence)
    if name is not None:
        query = query.where(models.Deployment.name == name)
    with db.reader() as session:
        return list(session.scalars(query.offset(first).limit(size)))


def deployment(db: Database, deployment_id: str) -> models.Deployment | None:
    with db.reader() as session:
        return session.get(models.Deployment, deployment_id)


def definitions(db: Database, *, key: str | None = None, ids: Iterable[str] | None = None,
                deployment_id: str | None = None, latest: bool = False, first: int = 0, size: int = 100) -> list[Definition]:
    query = select(_DEFINITIONS.c.id, _DEFINITIONS.c.key, _DEFINITIONS.c.version, _DEFINITIONS.c.name,
                   _DEFINITIONS.c.deployment_id, _DEFINITIONS.c.resource)
    if key is not None:
        query = query.where(_DEFINITIONS.c.key == key)
    if ids is not None:
        query = query.where(_DEFINITIONS.c.id.in_(list(ids)))
    if deployment_id is not None:
        query = query.where(_DEFINITIONS.c.deployment_id == deployment_id)
    if latest:
        newest = (select(_DEFINITIONS.c.key, func.max(_DEFINITIONS.c.version).label("version"))
                  .group_by(_DEFINITIONS.c.key).subquery())
        query = query.join(newest, and_(newest.c.key == _DEFINITIONS.c.key, newest.c.version == _DEFINITIONS.c.version))
    query = query.order_by(_DEFINITIONS.c.key, _DEFINITIONS.c.version).offset(first).limit(size)
    with db.reader() as session:
        return [_definition(row) for row in session.execute(query)]


def definition(db: Database, definition_id: str) -> Definition | None:
    found = definitions(db, ids=[definition_id], size=1)
    return found[0] if found else None


def latest(db: Database, key: str) -> Definition | None:
    found = definitions(db, key=key, latest=True, size=1)
    return found[0] if found else None


def definition_xml(db: Database, definition: Definition) -> bytes | None:
    with db.reader() as session:
        return session.scalar(select(models.DeploymentFile.content).where(
            models.DeploymentFile.deployment_id == definition.deployment_id,
            models.DeploymentFile.filename == definition.resource))


def instance_definition(db: Database, instance_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(instance_ids))
    if not ids:
        return {}
    with db.reader() as session:
        return dict(session.execute(select(_INSTANCES.c.id, _INSTANCES.c.definition_id).where(_INSTANCES.c.id.in_(ids))).all())


@dataclass(frozen=True)
class TaskFilter:
    roles: tuple[str, ...]  # the caller's roles: a task must be for one of them
    candidate_group: str | None = None
    assignee: str | None = None
    instance_id: str | None = None
    business_key: str | None = None
    element_id: str | None = None
    due_before: datetime | None = None


def _runtime_filters(where: TaskFilter) -> dict:
    roles = set(where.roles)
    if where.candidate_group is not None:
        roles &= {where.candidate_group}
    return {"roles": sorted(roles), "assignee": where.assignee, "instance_id": where.instance_id,
            "business_key": where.business_key, "element_id": where.element_id, "due_before": where.due_before}


def tasks(db: Database, where: TaskFilter, *, first: int = 0, size: int = 100) -> list[TaskView]:
    """Open tasks of the caller's roles, in the task list's order."""
    return runtime.tasks(db, **_runtime_filters(where), limit=size, offset=first)


def task_count(db: Database, where: TaskFilter) -> int:
    return runtime.task_count(db, **_runtime_filters(where))
