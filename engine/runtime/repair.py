"""Case repair for admins: go back to an earlier task, retry incidents in bulk, read an instance's
whole history. Each change is one transaction with its reason in the audit trail."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable
from uuid import UUID

from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine import clock
from engine.store import models
from engine.store.db import Database

from . import projection, repository
from .errors import Conflict, InvalidInput, NotFound, RuntimeRefusal, StaleVersion
from .service import retry_incident
from .unit import Outcome, Unit

_INSTANCES = models.ProcessInstance.__table__
_DEFINITIONS = models.ProcessDefinition.__table__
_HUMAN = models.HumanTask.__table__
_INCIDENTS = models.Incident.__table__
_AUDIT = models.AuditEvent.__table__

MAX_REASON = 2000


def _task_id(value: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound(f"no task {value}") from None


def reset(db: Database, instance_id: str, task_id: str, reason: str, actor: str,
          expected_version: int | None = None) -> Outcome:
    """Move a running instance back to a completed user task (SpiffWorkflow's reset): the task is
    open again with the data it had before it was done, everything after it is gone (its open
    tasks leave the task list), and the reason is recorded."""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("a reason is required: it is kept in the case's audit trail")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"the reason is longer than {MAX_REASON} characters")
    target_id = _task_id(task_id)
    with db.connection() as conn:
        unit = Unit(conn, db.url, actor)
        instance = unit.lock_instance(instance_id)
        if instance is None:
            raise NotFound(f"no process instance {instance_id}")
        if instance.state not in ("running", "incident"):
            raise Conflict(f"process instance {instance_id} is {instance.state}: only a running one can go back")
        if expected_version is not None and instance.version != expected_version:
            raise StaleVersion(instance_id, expected_version, instance.version)
        had_incident = instance.state == "incident"  # read now: saving updates the instance in place
        loaded = repository.load(conn, db.url, instance, use_cache=False)
        workflow = loaded.workflow
        target = projection.find_task(workflow, str(target_id))
        if target is None:
            raise NotFound(f"no task {task_id} in process instance {instance_id}")
        if not (target.task_spec.manual and target.has_state(TaskState.COMPLETED)):
            raise Conflict(f"task '{target.task_spec.bpmn_name or target.task_spec.bpmn_id}' is not a completed user "
                           "task: only those can be gone back to")
        workflow.reset_from_task_id(target.id)
        row = conn.execute(select(_HUMAN.c.id).where(_HUMAN.c.id == str(target.id))).first()
        open_ids = set(conn.execute(select(_HUMAN.c.id).where(_HUMAN.c.instance_id == instance_id,
                                                                _HUMAN.c.state == "open")).scalars())
        if row is not None:
            # The same task is open again: its task-list row comes back rather than a second one.
            conn.execute(_HUMAN.update().where(_HUMAN.c.id == row.id).values(
                state="open", assignee=None, completed_at=None, completed_by=None, created_at=clock.now()))
            open_ids.add(row.id)
        loaded.open_tasks = open_ids
        messages, timer_due = projection.waiting(loaded)
        version = repository.save(conn, loaded, state="running", next_timer_due=timer_due, ended_at=None)
        created, gone = projection.sync_tasks(conn, loaded)
        projection.sync_subscriptions(conn, loaded, messages)
        unit.touched.append(loaded)
        key = instance.business_key
        unit.audit("instance.reset", business_key=key, instance_id=instance_id, task_id=str(target.id),
                   element_id=target.task_spec.bpmn_id, name=target.task_spec.bpmn_name, reason=reason.strip(),
                   closed=sorted(gone))
        for task_id_gone in gone:
            unit.audit("task.closed", business_key=key, instance_id=instance_id, task_id=task_id_gone)
        for created_row in created:
            unit.audit("task.created", business_key=key, instance_id=instance_id, task_id=created_row["id"],
                       element_id=created_row["element_id"], name=created_row["name"],
                       roles=projection.roles_of_row(created_row))
        if had_incident:
            # Going back before the failure is the repair: its incidents are closed with it.
            for incident_id in conn.execute(select(_INCIDENTS.c.id).where(
                    _INCIDENTS.c.instance_id == instance_id, _INCIDENTS.c.resolved_at.is_(None))).scalars():
                conn.execute(_INCIDENTS.update().where(_INCIDENTS.c.id == incident_id)
                             .values(resolved_at=clock.now(), resolved_by=actor))
                unit.audit("incident.resolved", business_key=key, instance_id=instance_id, incident_id=incident_id,
                           by="reset")
        unit.flush_audit()
    unit.done()
    return Outcome(instance_id, version, "running", [str(target.id)], [target.task_spec.bpmn_id])


@dataclass
class RetryResult:
    incident_id: int
    resolved: bool
    error: str | None = None  # why it is still open (failed again, or refused)


def retry_incidents(db: Database, actor: str, incident_ids: Iterable[int] | None = None) -> list[RetryResult]:
    """Retry open incidents (all, or those named), each in its own transaction."""
    if incident_ids is None:
        with db.reader() as session:
            ids = list(session.scalars(select(_INCIDENTS.c.id).where(_INCIDENTS.c.resolved_at.is_(None))
                                       .order_by(_INCIDENTS.c.id)))
    else:
        ids = list(dict.fromkeys(incident_ids))
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise InvalidInput("incident ids must be whole numbers")
    results = []
    for incident_id in ids:
        try:
            outcome = retry_incident(db, incident_id, actor)
        except RuntimeRefusal as error:
            results.append(RetryResult(incident_id, False, str(error)))
            continue
        if outcome.incident_id is None:
            results.append(RetryResult(incident_id, True))
        else:
            with db.reader() as session:
                error = session.scalar(select(_INCIDENTS.c.error).where(_INCIDENTS.c.id == incident_id))
            results.append(RetryResult(incident_id, False, f"failed again: {error}"))
    return results


@dataclass
class History:
    instance_id: str
    business_key: str
    process_key: str
    definition_version: int
    state: str
    version: int
    started_at: datetime
    started_by: str
    ended_at: datetime | None
    audit: list[Any]  # audit_event rows, oldest first
    tasks: list[Any]  # human_task rows (open, completed, cancelled), oldest first
    incidents: list[Any]


def history(db: Database, instance_id: str) -> History:
    """Everything recorded about one instance: the audit trail and the trail of its tasks."""
    with db.reader() as session:
        row = session.execute(
            select(_INSTANCES, _DEFINITIONS.c.key, _DEFINITIONS.c.version.label("definition_version"))
            .join(_DEFINITIONS, _DEFINITIONS.c.id == _INSTANCES.c.definition_id)
            .where(_INSTANCES.c.id == instance_id)).first()
        if row is None:
            raise NotFound(f"no process instance {instance_id}")
        audit = session.execute(select(_AUDIT).where(_AUDIT.c.instance_id == instance_id).order_by(_AUDIT.c.id)).all()
        tasks = session.execute(select(_HUMAN).where(_HUMAN.c.instance_id == instance_id)
                                .order_by(_HUMAN.c.created_at, _HUMAN.c.id)).all()
        incidents = session.execute(select(_INCIDENTS).where(_INCIDENTS.c.instance_id == instance_id)
                                    .order_by(_INCIDENTS.c.id)).all()
    return History(row.id, row.business_key, row.key, row.definition_version, row.state, row.version, row.started_at,
                   row.started_by, row.ended_at, list(audit), list(tasks), list(incidents))
