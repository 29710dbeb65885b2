"""Who sees which tasks and cases.

A person sees and acts on the tasks of their roles (BPMN lane names, candidate groups). A manager
(a role ending in `_manager`, the reports' rule) also *sees* the tasks of their teams: tasks for
a role someone in their team holds, on a case whose locality team (`case_record.locality`, as the
reports read it) is the manager's team or locality. Seeing is for oversight and assignment: a
manager acts on a task (claims, completes) only through a role of their own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import and_, false, or_, select

from engine.reports.config import is_manager_role
from engine.runtime import TaskView
from engine.store import models
from engine.store.db import Database

_HUMAN = models.HumanTask.__table__
_ROLES = models.TaskRole.__table__
_CASES = models.Case.__table__
_USERS = models.UserAccount.__table__
_USER_ROLES = models.UserRole.__table__


@dataclass(frozen=True)
class Scope:
    username: str
    roles: frozenset[str]
    manager: bool
    areas: frozenset[str]  # the manager's team and locality, matched against the case's locality team
    team_roles: frozenset[str]  # roles held by the manager's team (their own included)

    @property
    def oversees(self) -> bool:
        return self.manager and bool(self.areas) and bool(self.team_roles)

    def may_act(self, task: TaskView) -> bool:
        return bool(self.roles.intersection(task.roles))

    def task_condition(self):
        """SQL: a `human_task` row this person may see (EXISTS probes, so a page is read in list order)."""
        own = _has_role(self.roles)
        if not self.oversees:
            return own
        in_team = and_(_has_role(self.team_roles),
                       select(_CASES.c.id).where(_CASES.c.business_key == _HUMAN.c.business_key,
                                                 _CASES.c.locality.in_(sorted(self.areas))).exists())
        return or_(own, in_team)


def _has_role(roles: Iterable[str]):
    roles = sorted(roles)
    if not roles:
        return false()
    return select(_ROLES.c.task_id).where(_ROLES.c.task_id == _HUMAN.c.id, _ROLES.c.role.in_(roles)).exists()


def of(db: Database, account) -> Scope:
    roles = frozenset(account.roles)
    manager = any(is_manager_role(r) for r in roles)
    areas = frozenset(a for a in (account.team, account.locality) if a)
    team_roles: frozenset[str] = frozenset()
    if manager and areas:
        same_team = []
        if account.team:
            same_team.append(_USERS.c.team == account.team)
        if account.locality:
            same_team.append(_USERS.c.locality == account.locality)
        query = (select(_USER_ROLES.c.role).distinct()
                 .join(_USERS, _USERS.c.id == _USER_ROLES.c.user_id)
                 .where(_USERS.c.active.is_(True), or_(*same_team)))
        with db.reader() as session:
            team_roles = frozenset(session.scalars(query)) | roles
        team_roles -= {"admin"}
    return Scope(account.username, roles, manager, areas, team_roles)


def visible_tasks(db: Database, scope: Scope, **filters) -> list[TaskView]:
    """`runtime.tasks` limited to what this person may see."""
    from engine import runtime

    if not scope.roles and not scope.oversees:
        return []
    return runtime.tasks(db, condition=scope.task_condition(), **filters)


def may_see_task(db: Database, scope: Scope, task_id: str) -> bool:
    query = select(_HUMAN.c.id).where(_HUMAN.c.id == task_id, scope.task_condition())
    with db.reader() as session:
        return session.execute(query).first() is not None


def may_see_case(db: Database, scope: Scope, business_key: str) -> bool:
    """A case is visible when one of its tasks (open or done) is."""
    query = select(_HUMAN.c.id).where(_HUMAN.c.business_key == business_key, scope.task_condition()).limit(1)
    with db.reader() as session:
        return session.execute(query).first() is not None
