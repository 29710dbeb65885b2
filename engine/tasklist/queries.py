"""What the pages read: projection tables, cases, the audit trail. Never a workflow.

Reads only; `record_case_view` asks the runtime to audit the view.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
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
    has_role = select(_ROLES.c.task_id).where(_ROLES.c.task_id == _HUMAN.c.id, _ROLES.c.role.in_(list(roles))).exists()
    query = select(_HUMAN.c.id).where(_HUMAN.c.business_key == business_key, has_role).limit(1)
    with db.reader() as session:
        return session.execute(query).first() is not None


def open_tasks_of_case(db: Database, business_key: str) -> list[TaskView]:
    """A case's open tasks, soonest due first. Read by the case's index and sorted here (a case has
    a handful): asking SQL for the list order made SQLite walk the whole list-order index."""
    query = select(_HUMAN).where(_HUMAN.c.business_key == business_key, _HUMAN.c.state == "open")
    with db.reader() as session:
        rows = [TaskView.of(row) for row in session.execute(query)]
    far = datetime.max.replace(tzinfo=timezone.utc)
    return sorted(rows, key=lambda t: (t.due_at is None, t.due_at or far, t.created_at, t.id))


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


TIMELINE_SHORT = 25


def timeline(db: Database, business_key: str, limit: int | None = TIMELINE_SHORT + 1) -> list[models.AuditEvent]:
    """The case's audit trail, newest first (views of the case left out: they are not events of it).
    The page asks for one row more than it shows, to know whether to offer "show all"."""
    query = (select(models.AuditEvent).where(models.AuditEvent.business_key == business_key,
                                             models.AuditEvent.action != "case.viewed")
             .order_by(models.AuditEvent.id.desc()))
    if limit is not None:
        query = query.limit(limit)
    with db.reader() as session:
        return list(session.scalars(query))


@dataclass
class Diagram:
    instance_id: str
    definition_id: str
    active: list[str]
    completed: list[str]


def diagram(db: Database, instance_id: str) -> Diagram | None:
    """Where an instance is: its open and completed user tasks' element ids (the XML is fetched apart)."""
    with db.reader() as session:
        definition_id = session.scalar(select(models.ProcessInstance.definition_id)
                                       .where(models.ProcessInstance.id == instance_id))
        if definition_id is None:
            return None
        states = session.execute(select(_HUMAN.c.element_id, _HUMAN.c.state).where(_HUMAN.c.instance_id == instance_id)).all()
    return Diagram(instance_id, definition_id,
                   sorted({e for e, s in states if s == "open"}), sorted({e for e, s in states if s == "completed"}))


_XML: dict[tuple[str, str], str] = {}


def diagram_xml(db: Database, definition_id: str) -> str | None:
    """The BPMN file of a definition version. A version never changes, so it is kept once read
    (keyed by database URL and definition id; the id names its deployment)."""
    key = (db.url, definition_id)
    if key not in _XML:
        with db.reader() as session:
            content = session.scalar(
                select(models.DeploymentFile.content)
                .join(models.ProcessDefinition, and_(models.ProcessDefinition.deployment_id == models.DeploymentFile.deployment_id,
                                                     models.ProcessDefinition.resource == models.DeploymentFile.filename))
                .where(models.ProcessDefinition.id == definition_id))
        if content is None:
            return None
        if len(_XML) >= 64:
            _XML.pop(next(iter(_XML)))
        _XML[key] = content.decode("utf-8")
    return _XML[key]


def record_case_view(db: Database, business_key: str, actor: str, page: str) -> None:
    """Every view of a case is audited: who, when, which page."""
    runtime.record_view(db, business_key, actor, page)
