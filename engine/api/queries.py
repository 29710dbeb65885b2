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


def tasks(db: Database, where: TaskFilter, *, first: int = 0, size: int = 100,
          order: tuple[str, bool] | None = None) -> list[TaskView]:
    """Open tasks of the caller's roles, in the task list's order or by `order` (column, descending)."""
    return runtime.tasks(db, **_runtime_filters(where), limit=size, offset=first, order_by=order)


def task_count(db: Database, where: TaskFilter) -> int:
    return runtime.task_count(db, **_runtime_filters(where))


# -- process instances, their history and incidents ------------------------------------------------

@dataclass(frozen=True)
class Instance:
    id: str
    definition_id: str
    key: str
    name: str | None
    version: int
    business_key: str
    state: str
    started_at: datetime
    started_by: str
    ended_at: datetime | None


_INSTANCE_COLUMNS = (_INSTANCES.c.id, _INSTANCES.c.definition_id, _DEFINITIONS.c.key, _DEFINITIONS.c.name,
                     _DEFINITIONS.c.version, _INSTANCES.c.business_key, _INSTANCES.c.state, _INSTANCES.c.started_at,
                     _INSTANCES.c.started_by, _INSTANCES.c.ended_at)


def _visible_cases(roles: Iterable[str] | None):
    """Business keys of the cases a person may see: one of the case's tasks (open or done) is for one
    of their roles (as on the case page). None: everything (admins)."""
    return (select(_HUMAN.c.business_key)
            .where(_HUMAN.c.id.in_(select(_ROLES.c.task_id).where(_ROLES.c.role.in_(list(roles or []))))))


def instances(db: Database, *, roles: Iterable[str] | None, ids: Iterable[str] | None = None,
              business_key: str | None = None, key: str | None = None, finished: bool | None = None,
              running_only: bool = False, first: int = 0, size: int = 100, count: bool = False):
    """Process instances the caller may see (`roles` None: all), oldest first; or their number."""
    query = select(*_INSTANCE_COLUMNS).join(_DEFINITIONS, _DEFINITIONS.c.id == _INSTANCES.c.definition_id)
    if roles is not None:
        query = query.where(_INSTANCES.c.business_key.in_(_visible_cases(roles)))
    if ids is not None:
        query = query.where(_INSTANCES.c.id.in_(list(ids)))
    if business_key is not None:
        query = query.where(_INSTANCES.c.business_key == business_key)
    if key is not None:
        query = query.where(_DEFINITIONS.c.key == key)
    if running_only or finished is False:
        query = query.where(_INSTANCES.c.ended_at.is_(None))
    elif finished is True:
        query = query.where(_INSTANCES.c.ended_at.is_not(None))
    with db.reader() as session:
        if count:
            return session.scalar(select(func.count()).select_from(query.subquery()))
        rows = session.execute(query.order_by(_INSTANCES.c.started_at, _INSTANCES.c.id).offset(first).limit(size))
        return [Instance(*row) for row in rows]


def instance(db: Database, instance_id: str, roles: Iterable[str] | None) -> Instance | None:
    found = instances(db, roles=roles, ids=[instance_id], size=1)
    return found[0] if found else None


def open_incidents(db: Database, *, roles: Iterable[str] | None, instance_id: str | None = None,
                   first: int = 0, size: int = 100) -> list[tuple[models.Incident, str]]:
    """Open incidents of instances the caller may see, with each instance's definition id."""
    query = (select(models.Incident, _INSTANCES.c.definition_id)
             .join(_INSTANCES, _INSTANCES.c.id == models.Incident.instance_id)
             .where(models.Incident.resolved_at.is_(None)))
    if roles is not None:
        query = query.where(_INSTANCES.c.business_key.in_(_visible_cases(roles)))
    if instance_id is not None:
        query = query.where(models.Incident.instance_id == instance_id)
    with db.reader() as session:
        return [tuple(row) for row in session.execute(query.order_by(models.Incident.id).offset(first).limit(size))]

