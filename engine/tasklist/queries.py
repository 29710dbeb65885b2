"""What the pages read: projection tables, cases, the audit trail. Never a workflow.

Reads only; `record_case_view` asks the runtime to audit the view.
"""
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


def unassigned_tasks(db: Database, roles: Iterable[str], *, process_key: str | None = None,
                     due_before: datetime | None = None, limit: int = 25, offset: int = 0) -> list[TaskView]:
    """Open, unclaimed tasks of these roles, in the task list's order."""
    return runtime.tasks(db, roles=roles, unassigned=True, process_key=process_key or None,
                         due_before=due_before, limit=limit, offset=offset)


def families(db: Database, business_keys: Iterable[str]) -> dict[str, str]:
    """Business key -> the names of the case's children (then household), for list columns."""
    keys = sorted(set(business_keys))
    if not keys:
        return {}
    query = (select(models.Case.business_key, models.CasePerson.name)
             .join(models.CasePerson, models.CasePerson.case_id == models.Case.id)
             .where(models.Case.business_key.in_(keys))
             .order_by(models.Case.business_key, models.CasePerson.role, models.CasePerson.id))
    names: dict[str, list[str]] = {}
    with db.reader() as session:
        for key, name in session.execute(query):
            names.setdefault(key, []).append(name)
    return {key: ", ".join(value) for key, value in names.items()}


@dataclass(frozen=True)
class ProcessChoice:
    key: str
    name: str
    version: int


def processes(db: Database) -> list[ProcessChoice]:
    """The newest version of every deployed process."""
    newest = (select(models.ProcessDefinition.key, func.max(models.ProcessDefinition.version).label("version"))
              .group_by(models.ProcessDefinition.key).subquery())
    query = (select(models.ProcessDefinition.key, models.ProcessDefinition.name, models.ProcessDefinition.version)
             .join(newest, and_(newest.c.key == models.ProcessDefinition.key,
                                newest.c.version == models.ProcessDefinition.version))
             .order_by(models.ProcessDefinition.key))
    with db.reader() as session:
        return [ProcessChoice(key, name or key, version) for key, name, version in session.execute(query)]


def may_see_case(db: Database, business_key: str, roles: Iterable[str]) -> bool:
    """A person sees a case when one of its tasks (open or done) is for one of their roles."""
    query = (select(_HUMAN.c.id).where(_HUMAN.c.business_key == business_key)
             .where(_HUMAN.c.id.in_(select(_ROLES.c.task_id).where(_ROLES.c.role.in_(list(roles))))).limit(1))
    with db.reader() as session:
        return session.execute(query).first() is not None


@dataclass
class InstanceSummary:
    id: str
    process_key: str
    process_name: str
    version: int
    state: str
    started_at: datetime
    started_by: str
    ended_at: datetime | None


@dataclass
class CaseSummary:
    business_key: str
    council: str | None
    locality: str | None
    address: str | None
    children: list[models.CasePerson]
    household: list[models.CasePerson]
    instances: list[InstanceSummary]
    incidents: list[models.Incident]


def case_summary(db: Database, business_key: str) -> CaseSummary | None:
    with db.reader() as session:
        case = session.scalar(select(models.Case).where(models.Case.business_key == business_key))
        if case is None:
            return None
        people = list(case.people)
        rows = session.execute(
            select(models.ProcessInstance, models.ProcessDefinition.key, models.ProcessDefinition.name,
                   models.ProcessDefinition.version)
            .join(models.ProcessDefinition, models.ProcessDefinition.id == models.ProcessInstance.definition_id)
            .where(models.ProcessInstance.case_id == case.id).order_by(models.ProcessInstance.started_at)
        ).all()
        instances = [InstanceSummary(i.id, key, name or key, version, i.state, i.started_at, i.started_by, i.ended_at)
                     for i, key, name, version in rows]
        incidents = list(session.scalars(
            select(models.Incident).where(models.Incident.instance_id.in_([i.id for i in instances]),
                                          models.Incident.resolved_at.is_(None)).order_by(models.Incident.id)))
        return CaseSummary(case.business_key, case.council, case.locality, case.address,
                           [p for p in people if p.role == "child"], [p for p in people if p.role != "child"],
                           instances, incidents)


def timeline(db: Database, business_key: str, limit: int = 200) -> list[models.AuditEvent]:
    """The case's audit trail, newest first (views of the case left out: they are not events of it)."""
    with db.reader() as session:
        return list(session.scalars(
            select(models.AuditEvent).where(models.AuditEvent.business_key == business_key,
                                            models.AuditEvent.action != "case.viewed")
            .order_by(models.AuditEvent.id.desc()).limit(limit)))


@dataclass
class Diagram:
    instance_id: str
    xml: str
    active: list[str]
    completed: list[str]


def diagram(db: Database, instance_id: str) -> Diagram | None:
    """The BPMN file an instance runs on, with its open and completed user tasks' element ids."""
    with db.reader() as session:
        row = session.execute(
            select(models.DeploymentFile.content)
            .join(models.ProcessDefinition, and_(models.ProcessDefinition.deployment_id == models.DeploymentFile.deployment_id,
                                                 models.ProcessDefinition.resource == models.DeploymentFile.filename))
            .join(models.ProcessInstance, models.ProcessInstance.definition_id == models.ProcessDefinition.id)
            .where(models.ProcessInstance.id == instance_id)).first()
        if row is None:
            return None
        states = session.execute(select(_HUMAN.c.element_id, _HUMAN.c.state).where(_HUMAN.c.instance_id == instance_id)).all()
    return Diagram(instance_id, row.content.decode("utf-8"),
                   sorted({e for e, s in states if s == "open"}), sorted({e for e, s in states if s == "completed"}))


def record_case_view(db: Database, business_key: str, actor: str, page: str) -> None:
    """Every view of a case is audited: who, when, which page."""
    runtime.record_view(db, business_key, actor, page)
