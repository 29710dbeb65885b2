"""Overdue tasks for managers, read from the task-list projection only (`human_task` and its
roles): open tasks whose due date has passed, by role (the BPMN lane or candidate group: the
team that holds the task), oldest first. Never a workflow, never case data beyond the reference."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from engine.runtime import role_filter
from engine.store import models
from engine.store.db import Database

_HUMAN = models.HumanTask.__table__
_ROLES = models.TaskRole.__table__


@dataclass(frozen=True)
class RoleCount:
    role: str
    overdue: int
    oldest_due: datetime


@dataclass(frozen=True)
class OverdueTask:
    id: str
    name: str
    business_key: str
    process_key: str
    due_at: datetime
    assignee: str | None
    roles: tuple[str, ...]

    def days_overdue(self, now: datetime) -> int:
        return (now - self.due_at).days


def _open_and_past(now: datetime):
    return (_HUMAN.c.state == "open", _HUMAN.c.due_at.is_not(None), _HUMAN.c.due_at < now)


def by_role(db: Database, now: datetime) -> list[RoleCount]:
    """How many tasks each role has overdue, the role with the oldest first."""
    oldest = func.min(_HUMAN.c.due_at)
    query = (select(_ROLES.c.role, func.count().label("overdue"), oldest.label("oldest_due"))
             .join(_HUMAN, _HUMAN.c.id == _ROLES.c.task_id).where(*_open_and_past(now))
             .group_by(_ROLES.c.role).order_by(oldest, _ROLES.c.role))
    with db.reader() as session:
        return [RoleCount(role, count, due) for role, count, due in session.execute(query)]


def tasks(db: Database, now: datetime, *, role: str | None = None, limit: int = 50, offset: int = 0) -> list[OverdueTask]:
    """The overdue tasks themselves (of one role, when given), oldest due first."""
    query = (select(_HUMAN.c.id, _HUMAN.c.name, _HUMAN.c.element_id, _HUMAN.c.business_key, _HUMAN.c.process_key,
                    _HUMAN.c.due_at, _HUMAN.c.assignee)
             .where(*_open_and_past(now)).order_by(_HUMAN.c.due_at, _HUMAN.c.id).limit(limit).offset(offset))
    if role is not None:
        query = query.where(_HUMAN.c.id.in_(role_filter.open_task_ids([role])))  # overdue tasks are open ones
    with db.reader() as session:
        rows = session.execute(query).all()
        roles: dict[str, list[str]] = {}
        if rows:
            for task_id, name in session.execute(select(_ROLES.c.task_id, _ROLES.c.role)
                                                 .where(_ROLES.c.task_id.in_([r.id for r in rows]))
                                                 .order_by(_ROLES.c.role)):
                roles.setdefault(task_id, []).append(name)
    return [OverdueTask(r.id, r.name or r.element_id, r.business_key, r.process_key, r.due_at, r.assignee,
                        tuple(roles.get(r.id, ()))) for r in rows]
