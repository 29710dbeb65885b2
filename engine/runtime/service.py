"""The runtime's service functions: the only way the state of a case changes.

Each function is one transaction (see `Unit`). Views, the CLI and the worker call these and
nothing below them.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping
from uuid import UUID

from sqlalchemy import bindparam, func, select
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine import clock, forms
from engine.catalog import specs as catalog_specs
from engine.jsondata import plain_copy
from engine.store import models
from engine.store.db import Database
from engine.store.fast import PreparedSelect

from . import cases, events, projection, repository, role_filter
from .errors import Conflict, InvalidInput, InvalidSubmission, NotFound, StaleVersion
from .repository import InstanceRef
from .unit import Outcome, Unit, describe

clock.install()

_HUMAN = models.HumanTask.__table__
_INSTANCES = models.ProcessInstance.__table__
_DRAFTS = models.TaskDraft.__table__
_INCIDENTS = models.Incident.__table__
_SUBSCRIPTIONS = models.MessageSubscription.__table__
_SELECT_TASK = select(_HUMAN).where(_HUMAN.c.id == bindparam("b_id"))
# The task with its instance, the instance row locked (PostgreSQL): one round trip per completion,
# of the columns a completion reads (its times would only be parsed to be dropped).
_COMPLETING = ("id", "instance_id", "business_key", "process_key", "element_id", "name", "lane", "candidate_groups",
               "form_ref", "properties", "state", "assignee")
_SELECT_TASK_LOCKING_INSTANCE = PreparedSelect(
    select(*[_HUMAN.c[name] for name in _COMPLETING], _INSTANCES.c.definition_id,
           _INSTANCES.c.version.label("instance_version"), _INSTANCES.c.state.label("instance_state"))
    .join(_INSTANCES, _INSTANCES.c.id == _HUMAN.c.instance_id)
    .where(_HUMAN.c.id == bindparam("b_id"))
    .with_for_update(of=_INSTANCES)
)
_SELECT_OPEN_TASK = PreparedSelect(_SELECT_TASK)


@dataclass(frozen=True)
class TaskView:
    id: str
    instance_id: str
    business_key: str
    process_key: str
    element_id: str
    name: str | None
    lane: str | None
    candidate_groups: list[str]
    form_ref: str | None
    properties: dict[str, Any]
    state: str
    assignee: str | None
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None

    @property
    def roles(self) -> list[str]:
        roles = [self.lane] if self.lane else []
        return roles + [g for g in self.candidate_groups if g not in roles]

    @classmethod
    def of(cls, row) -> "TaskView":
        return cls(**{f: getattr(row, f) for f in cls.__dataclass_fields__})


def json_object(value: Any, what: str) -> dict[str, Any]:
    """`value` as a plain JSON object (a copy), or InvalidInput saying what is wrong with it."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InvalidInput(f"{what} must be an object with string keys")
    try:
        return plain_copy(dict(value))
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"{what} must be plain JSON data: {error}") from None


def _roles_allow(row, roles: Iterable[str] | None) -> bool:
    if roles is None:
        return True
    allowed = set(roles)
    return (row.lane in allowed) or bool(allowed.intersection(row.candidate_groups or []))


def _open_task(conn, task_id: str, roles: Iterable[str] | None, query: PreparedSelect = _SELECT_OPEN_TASK):
    row = query.first(conn, {"b_id": task_id})
    if row is None or not _roles_allow(row, roles):
        # Tasks outside a person's roles are reported as missing: their existence is case data too.
        raise NotFound(f"no task {task_id}")
    if row.state != "open":
        raise Conflict(f"task '{row.name}' is already {row.state}")
    return row


# -- starting ----------------------------------------------------------------------------------

def start(
    db: Database,
    process_key: str,
    business_key: str,
    variables: Mapping[str, Any] | None = None,
    actor: str = "system",
    *,
    case: Mapping[str, Any] | None = None,
    version: int | None = None,
) -> Outcome:
    """Start the newest (or given) version of a process for a case, creating the case if new."""
    if not isinstance(business_key, str) or not business_key.strip() or len(business_key) > 100:
        raise InvalidInput("a business key (the case reference) of 1 to 100 characters is required")
    business_key = business_key.strip()
    data = json_object(variables, "variables")
    with db.transaction() as session:
        conn = session.connection()
        unit = Unit(conn, db.url, actor)
        query = select(models.ProcessDefinition).where(models.ProcessDefinition.key == process_key)
        if version is not None:
            query = query.where(models.ProcessDefinition.version == version)
        definition = session.scalar(query.order_by(models.ProcessDefinition.version.desc()).limit(1))
        if definition is None:
            raise NotFound(f"no deployed process '{process_key}'" + (f" version {version}" if version else ""))
        case_row = cases.find_or_create(session, business_key, case)
        instance = repository.InstanceRef(str(uuid.uuid4()), definition.id, business_key, 1, "running")
        first_columns = {"case_id": case_row.id, "started_at": clock.now(), "started_by": actor}

        def fresh() -> repository.Loaded:
            return repository.Loaded(instance, repository.new_workflow(conn, definition.id), 1, open_tasks=set(),
                                     subscriptions=set(), new=True, new_columns=first_columns)

        def seed(workflow) -> None:
            for task in workflow.get_tasks(state=TaskState.READY):
                task.set_data(**data)

        unit.audit("instance.started", business_key=business_key, instance_id=instance.id,
                   process_key=process_key, definition_id=definition.id, variables=sorted(data),
                   context={"variables": data})
        outcome = unit.apply(fresh(), seed, fresh)
        unit.flush_audit()
    unit.done()
    return outcome


# -- reading the task list -----------------------------------------------------------------------

def _task_query(session, columns, *, roles, assignee, unassigned, business_key, instance_id, process_key,
                element_id, state, due_before, condition=None):
    query = select(*columns)
    if roles is not None:
        query = query.where(role_filter.for_roles(session, roles, open_only=state == "open"))
    if condition is not None:
        query = query.where(condition)
    for column, value in ((_HUMAN.c.assignee, assignee), (_HUMAN.c.business_key, business_key),
                          (_HUMAN.c.instance_id, instance_id), (_HUMAN.c.process_key, process_key),
                          (_HUMAN.c.element_id, element_id), (_HUMAN.c.state, state)):
        if value is not None:
            query = query.where(column == value)
    if unassigned:
        query = query.where(_HUMAN.c.assignee.is_(None))
    if due_before is not None:
        query = query.where(_HUMAN.c.due_at < due_before)
    return query


TASK_ORDER_COLUMNS = ("due_at", "created_at", "name", "id", "assignee", "element_id", "instance_id",
                      "business_key")


def tasks(
    db: Database,
    *,
    roles: Iterable[str] | None = None,
    assignee: str | None = None,
    unassigned: bool = False,
    business_key: str | None = None,
    instance_id: str | None = None,
    process_key: str | None = None,
    element_id: str | None = None,
    state: str | None = "open",
    due_before: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    order_by: tuple[str, bool] | None = None,
    condition=None,
) -> list[TaskView]:
    """Human tasks from the projection table (never loads a workflow), soonest due first; or by
    `order_by` = (a column of human_task in TASK_ORDER_COLUMNS, descending).

    `condition`: a further SQL condition on `human_task` (the task list's team scope)."""
    if order_by is not None and order_by[0] not in TASK_ORDER_COLUMNS:
        raise InvalidInput(f"tasks cannot be ordered by '{order_by[0]}'")
    with db.reader() as session:
        query = _task_query(session, [_HUMAN], roles=roles, assignee=assignee, unassigned=unassigned,
                            business_key=business_key, instance_id=instance_id, process_key=process_key,
                            element_id=element_id, state=state, due_before=due_before, condition=condition)
        if order_by is not None:
            name, descending = order_by
            column = _HUMAN.c[name]
            # Empty values last either way; the id makes the order total, so pages never overlap.
            query = query.order_by(column.is_(None), column.desc() if descending else column.asc(), _HUMAN.c.id)
        else:
            # The same order as the index ix_human_task_list_order, so a page is read, not sorted.
            query = query.order_by(_HUMAN.c.state, _HUMAN.c.due_at.is_(None), _HUMAN.c.due_at, _HUMAN.c.created_at,
                                   _HUMAN.c.id)
        return [TaskView.of(row) for row in session.execute(query.limit(limit).offset(offset))]


def task_count(
    db: Database,
    *,
    roles: Iterable[str] | None = None,
    assignee: str | None = None,
    unassigned: bool = False,
    business_key: str | None = None,
    instance_id: str | None = None,
    process_key: str | None = None,
    element_id: str | None = None,
    state: str | None = "open",
    due_before: datetime | None = None,
    condition=None,
) -> int:
    """How many tasks `tasks` would list with the same filters, without a limit."""
    with db.reader() as session:
        query = _task_query(session, [_HUMAN.c.id], roles=roles, assignee=assignee, unassigned=unassigned,
                            business_key=business_key, instance_id=instance_id, process_key=process_key,
                            element_id=element_id, state=state, due_before=due_before, condition=condition)
        return session.scalar(select(func.count()).select_from(query.subquery()))


def task(db: Database, task_id: str) -> TaskView:
    with db.reader() as session:
        row = session.execute(_SELECT_TASK, {"b_id": task_id}).first()
        if row is None:
            raise NotFound(f"no task {task_id}")
        return TaskView.of(row)


def instance_version(db: Database, instance_id: str) -> int:
    with db.reader() as session:
        version = session.scalar(select(_INSTANCES.c.version).where(_INSTANCES.c.id == instance_id))
        if version is None:
            raise NotFound(f"no process instance {instance_id}")
        return version


def task_form(db: Database, task_id: str) -> forms.Form | None:
    """The Camunda Form of a task, from the deployment its instance started on."""
    with db.reader() as session:
        row = session.execute(_SELECT_TASK, {"b_id": task_id}).first()
        if row is None:
            raise NotFound(f"no task {task_id}")
        definition_id = session.scalar(select(_INSTANCES.c.definition_id).where(_INSTANCES.c.id == row.instance_id))
        return _form_of(session, row, definition_id)


def _form_of(conn, row, definition_id: str) -> forms.Form | None:
    if not row.form_ref:
        return None
    form = catalog_specs.form_for(conn, catalog_specs.deployment_of(conn, definition_id), row.form_ref)
    if form is None:
        raise NotFound(f"form '{row.form_ref}' is not in the deployment of task {row.id}")
    return form


def record_view(db: Database, business_key: str, actor: str, page: str) -> None:
    """Every view of a case is audited (case data is special-category data): who, when, which page."""
    with db.connection() as conn:
        unit = Unit(conn, db.url, actor)
        unit.audit("case.viewed", business_key=business_key, page=page)
        unit.flush_audit()


# -- assignment ----------------------------------------------------------------------------------

def _reassign(db: Database, task_id: str, actor: str, roles, action: str, decide) -> TaskView:
    """Change a task's assignee; `decide(row)` returns the new assignee or raises."""
    with db.connection() as conn:
        unit = Unit(conn, db.url, actor)
        row = _open_task(conn, task_id, roles)
        assignee = decide(row)
        conn.execute(_HUMAN.update().where(_HUMAN.c.id == task_id).values(assignee=assignee))
        unit.audit(action, business_key=row.business_key, instance_id=row.instance_id, task_id=task_id,
                   assignee=assignee, previous=row.assignee)
        unit.flush_audit()
        return TaskView.of(conn.execute(_SELECT_TASK, {"b_id": task_id}).first())


def claim(db: Database, task_id: str, actor: str, *, roles: Iterable[str] | None = None) -> TaskView:
    def decide(row):
        if row.assignee and row.assignee != actor:
            raise Conflict(f"task '{row.name}' is already claimed by {row.assignee}")
        return actor

    return _reassign(db, task_id, actor, roles, "task.claimed", decide)


def unclaim(db: Database, task_id: str, actor: str, *, roles: Iterable[str] | None = None) -> TaskView:
    return _reassign(db, task_id, actor, roles, "task.unclaimed", lambda row: None)


def assign(db: Database, task_id: str, assignee: str | None, actor: str, *, roles: Iterable[str] | None = None) -> TaskView:
    return _reassign(db, task_id, actor, roles, "task.assigned", lambda row: assignee)


# -- drafts and completion ------------------------------------------------------------------------

def save_draft(db: Database, task_id: str, data: Mapping[str, Any], actor: str, *, roles: Iterable[str] | None = None) -> None:
    """Keep unfinished input on the server (not validated: a draft may be incomplete)."""
    payload = json_object(data, "draft")
    with db.connection() as conn:
        unit = Unit(conn, db.url, actor)
        row = _open_task(conn, task_id, roles)
        values = {"data": payload, "saved_by": actor, "saved_at": clock.now()}
        if conn.execute(_DRAFTS.update().where(_DRAFTS.c.task_id == task_id).values(**values)).rowcount == 0:
            conn.execute(_DRAFTS.insert().values(task_id=task_id, **values))
        unit.audit("task.draft_saved", business_key=row.business_key, instance_id=row.instance_id, task_id=task_id)
        unit.flush_audit()


def draft(db: Database, task_id: str) -> dict[str, Any] | None:
    with db.reader() as session:
        data = session.scalar(select(_DRAFTS.c.data).where(_DRAFTS.c.task_id == task_id))
        return dict(data) if data is not None else None


def _ready_task(workflow, task_id: str, row):
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or not task.has_state(TaskState.READY):
        raise Conflict(f"task '{row.name}' is no longer waiting")
    return task


def complete(
    db: Database,
    task_id: str,
    data: Mapping[str, Any] | None,
    actor: str,
    expected_version: int | None = None,
    *,
    roles: Iterable[str] | None = None,
) -> Outcome:
    """Validate the submission against the task's form, complete the task and run what follows."""
    submitted = json_object(data, "data")
    with db.connection() as conn:
        unit = Unit(conn, db.url, actor)
        row = _open_task(conn, task_id, roles, _SELECT_TASK_LOCKING_INSTANCE)
        if row.assignee and row.assignee != actor:
            raise Conflict(f"task '{row.name}' is claimed by {row.assignee}")
        instance = InstanceRef(row.instance_id, row.definition_id, row.business_key, row.instance_version,
                               row.instance_state)
        if expected_version is not None and instance.version != expected_version:
            raise StaleVersion(instance.id, expected_version, instance.version)
        loaded = unit.touched_or_load(instance)
        task = _ready_task(loaded.workflow, task_id, row)
        form = _form_of(conn, row, instance.definition_id)
        if form is not None:
            # Hide conditions may read process variables; they never fill a field.
            result = forms.validate(form, submitted, variables=task.data)
            if not result.ok:
                repository.cache.put(db.url, loaded)  # untouched: keep it warm
                raise InvalidSubmission(result.errors)
            submitted = result.cleaned

        completed_data: dict = {}

        def run_task(workflow) -> None:
            ready = _ready_task(workflow, task_id, row)
            ready.set_data(**submitted)
            ready.run()
            completed_data.clear()
            completed_data.update(ready.data)

        before_step = unit.mark()
        outcome = unit.apply(loaded, run_task, unit.reloader(instance), completed={task_id: actor})
        # The completion comes first in the trail: what it caused (new tasks, the end) follows it.
        unit.audit("task.completed", business_key=row.business_key, instance_id=row.instance_id, task_id=task_id,
                   position=before_step,
                   element_id=row.element_id, name=row.name, fields=sorted(submitted),
                   context={"properties": dict(row.properties or {}), "process_key": row.process_key,
                            "definition_id": instance.definition_id, "submitted": submitted,
                            "data": plain_copy(completed_data, default=str), "outcome": outcome})
        unit.flush_audit()
    unit.done()
    return outcome


# -- timers, messages, incidents, cancellation ----------------------------------------------------

@dataclass
class TimerRun:
    fired: int
    incidents: int
    instances: list[str]


def fire_due_timers(db: Database, now: datetime | None = None, *, limit: int = 500, actor: str = "worker",
                    should_stop=lambda: False) -> TimerRun:
    """Advance every running instance whose earliest timer is due, one transaction each.

    `should_stop()` is asked before each instance, so a worker told to stop finishes only the
    instance in hand."""
    moment = now or clock.now()
    with clock.using(clock.FixedClock(moment)):
        with db.reader() as session:
            due = list(session.scalars(
                select(_INSTANCES.c.id)
                .where(_INSTANCES.c.state == "running", _INSTANCES.c.next_timer_due < moment)
                .order_by(_INSTANCES.c.next_timer_due).limit(limit)
            ))
        run = TimerRun(0, 0, [])
        for instance_id in due:
            if should_stop():
                break
            try:
                outcome = _fire_one(db, instance_id, moment, actor)
            except Exception as error:  # noqa: BLE001 - a broken timer must not stop the others
                record_incident(db, instance_id, None, f"timer could not fire: {describe(error)}", actor)
                run.incidents += 1
                continue
            if outcome is not None:
                run.fired += 1
                run.instances.append(instance_id)
                run.incidents += outcome.incident_id is not None
        return run


def _fire_one(db: Database, instance_id: str, moment: datetime, actor: str) -> Outcome | None:
    with db.connection() as conn:
        unit = Unit(conn, db.url, actor)
        query = select(_INSTANCES).where(_INSTANCES.c.id == instance_id)
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)  # another worker has it: leave it to them
        row = conn.execute(query).first()
        # SpiffWorkflow fires a timer once its time has passed, not at it.
        if row is None or row.state != "running" or row.next_timer_due is None or row.next_timer_due >= moment:
            return None
        instance = InstanceRef.of(row)
        outcome = unit.apply(unit.load(instance), lambda wf: wf.refresh_timers(), unit.reloader(instance), settle=True)
        unit.audit("timer.fired", business_key=instance.business_key, instance_id=instance.id,
                   due=row.next_timer_due.isoformat())
        unit.flush_audit()
    unit.done()
    return outcome


def correlate(
    db: Database,
    message_name: str,
    *,
    business_key: str | None = None,
    correlation: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
    actor: str = "system",
) -> Outcome:
    """Deliver a message to the one instance waiting for it (by business key and/or variable values).

    The payload lands in the catching task's data under the event's `camunda:resultVariable`, or
    `<element id>_Response` when it has none (SpiffWorkflow's Camunda dialect).
    """
    body = json_object(payload, "payload")
    match = json_object(correlation, "correlation")
    with db.connection() as conn:
        unit = Unit(conn, db.url, actor)
        query = select(_SUBSCRIPTIONS.c.instance_id).where(_SUBSCRIPTIONS.c.message_name == message_name)
        if business_key is not None:
            query = query.where(_SUBSCRIPTIONS.c.business_key == business_key)
        candidates = list(conn.execute(query.limit(1000)).scalars())
        if match:
            candidates = [i for i in candidates if _matches(unit, i, message_name, match)]
        where = f" for case {business_key}" if business_key else ""
        if not candidates:
            raise NotFound(f"no process is waiting for message '{message_name}'{where}")
        if len(candidates) > 1:
            raise Conflict(f"{len(candidates)} processes wait for message '{message_name}'{where}: "
                           "give a business key or correlation values that pick one")
        event = BpmnEvent(MessageEventDefinition(message_name), payload={"payload": body, "result_var": None})
        outcome = unit.deliver(candidates[0], event)
        unit.audit("message.correlated", business_key=business_key, instance_id=candidates[0], message=message_name,
                   fields=sorted(body))
        unit.flush_audit()
    unit.done()
    return outcome


def _matches(unit: Unit, instance_id: str, message_name: str, match: dict) -> bool:
    loaded = unit.touched_or_load(unit.lock_instance(instance_id))
    unit.touched.append(loaded)
    for task in loaded.workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if getattr(definition, "name", None) == message_name:
            if all(task.data.get(k) == v for k, v in match.items()):
                return True
    return False


def record_incident(db: Database, instance_id: str, element_id: str | None, error: str, actor: str) -> int:
    """An incident that changed no workflow state (e.g. a timer whose own expression failed)."""
    with db.connection() as conn:
        unit = Unit(conn, db.url, actor)
        instance = unit.lock_instance(instance_id)
        incident_id = conn.execute(_INCIDENTS.insert().returning(_INCIDENTS.c.id), {
            "instance_id": instance_id, "element_id": element_id, "error": error, "created_at": clock.now(), "attempts": 1,
            "kind": "engine", "details": None,
        }).scalar_one()
        if instance is not None and instance.state == "running":
            # Out of the timer queue until someone retries it; the version bump voids cached copies.
            conn.execute(_INSTANCES.update().where(_INSTANCES.c.id == instance_id)
                         .values(state="incident", version=_INSTANCES.c.version + 1))
        unit.audit("incident.raised", business_key=instance.business_key if instance else None, instance_id=instance_id,
                   incident_id=incident_id, element_id=element_id, error=error)
        unit.flush_audit()
        return incident_id


def incidents(db: Database, *, instance_id: str | None = None, open_only: bool = True) -> list[models.Incident]:
    with db.reader() as session:
        query = select(models.Incident).order_by(models.Incident.id)
        if instance_id is not None:
            query = query.where(models.Incident.instance_id == instance_id)
        if open_only:
            query = query.where(models.Incident.resolved_at.is_(None))
        return list(session.scalars(query))


def retry_incident(db: Database, incident_id: int, actor: str) -> Outcome:
    """Run again what failed: the engine steps of the instance, or a listener's own work."""
    with db.connection() as conn:
        unit = Unit(conn, db.url, actor)
        incident = conn.execute(select(_INCIDENTS).where(_INCIDENTS.c.id == incident_id)).first()
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        if incident.resolved_at is not None:
            raise Conflict(f"incident {incident_id} was already resolved by {incident.resolved_by}")
        instance = unit.lock_instance(incident.instance_id)
        if incident.kind != "engine":
            outcome = _retry_listener_work(unit, incident, instance)
        else:
            # The retry is the engine steps themselves: nothing to do before them.
            outcome = unit.apply(unit.load(instance), lambda wf: wf.refresh_timers(), unit.reloader(instance),
                                 retrying=incident_id, settle=True)
        if outcome.incident_id is None:
            conn.execute(_INCIDENTS.update().where(_INCIDENTS.c.id == incident_id)
                         .values(resolved_at=clock.now(), resolved_by=actor))
            unit.audit("incident.resolved", business_key=instance.business_key, instance_id=instance.id,
                       incident_id=incident_id)
        unit.flush_audit()
    unit.done()
    return outcome


def _retry_listener_work(unit: Unit, incident, instance: InstanceRef) -> Outcome:
    retry = events.retry_for(incident.kind)
    if retry is None:
        raise Conflict(f"incident {incident.id} is of kind '{incident.kind}', which nothing here can retry")
    outcome = Outcome(instance.id, instance.version, instance.state)
    savepoint = unit.conn.begin_nested()
    try:
        retry(unit, incident)
        unit.flush_audit()  # what the retry made is announced inside its savepoint
        savepoint.commit()
    except Exception as error:  # noqa: BLE001 - a failed retry is counted, not raised
        savepoint.rollback()
        unit.discard_audit()
        unit.conn.execute(_INCIDENTS.update().where(_INCIDENTS.c.id == incident.id)
                          .values(attempts=_INCIDENTS.c.attempts + 1, error=describe(error)))
        outcome.incident_id = incident.id
    return outcome


def cancel(db: Database, instance_id: str, actor: str, reason: str = "") -> Outcome:
    with db.connection() as conn:
        unit = Unit(conn, db.url, actor)
        instance = unit.lock_instance(instance_id)
        if instance is None:
            raise NotFound(f"no process instance {instance_id}")
        if instance.state in ("completed", "cancelled"):
            raise Conflict(f"process instance {instance_id} is already {instance.state}")
        loaded = unit.load(instance)
        loaded.workflow.cancel()
        repository.save(conn, loaded, state="cancelled", next_timer_due=None, ended_at=clock.now())
        projection.sync_tasks(conn, loaded)
        projection.sync_subscriptions(conn, loaded, set())
        unit.touched.append(loaded)
        unit.audit("instance.cancelled", business_key=instance.business_key, instance_id=instance_id, reason=reason)
        unit.flush_audit()
        outcome = Outcome(instance_id, loaded.version, "cancelled")
    unit.done()
    return outcome
