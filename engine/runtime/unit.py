"""One transaction's work on workflows: advance, route messages, save, project, audit.

Every service function opens a `Unit` on the connection of one transaction; whatever it changed is
committed together or not at all. Workflows it touched go back to the live cache only after the
commit succeeded.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.util.task import TaskState

from engine import clock
from engine.jsondata import plain_copy
from engine.store import models
from engine.store.fast import Prepared, pipelined

from . import events, projection, repository
from .repository import InstanceRef, Loaded

log = logging.getLogger(__name__)

MAX_MESSAGE_HOPS = 10


@dataclass
class Outcome:
    instance_id: str
    version: int
    state: str
    created_tasks: list[str] = field(default_factory=list)
    # element id of each created task, in the same order (saves a task-list query for callers
    # that only need to know what comes next)
    created_elements: list[str] = field(default_factory=list)
    incident_id: int | None = None


def run_engine(workflow, *, settle: bool = False) -> None:
    """Run engine steps until only human tasks or waits remain.

    `settle`: a timer that fires inside `do_engine_steps` leaves its successors ready for one more
    pass, so after refreshing timers keep going until nothing automatic is ready.
    """
    workflow.do_engine_steps()
    for _ in range(10 if settle else 0):
        if not any(t._state == TaskState.READY and not t.task_spec.manual for t in _flat_tasks(workflow)):
            return
        workflow.do_engine_steps()


def _flat_tasks(workflow):
    # The tasks dicts, not the tree iterator: same tasks, a fraction of the cost on big models.
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


def _end_event(workflow) -> str | None:
    """The end event the top-level process finished at (the last one, if branches ended apart)."""
    ends = [t for t in workflow.tasks.values()
            if isinstance(t.task_spec, EndEvent) and t._state == TaskState.COMPLETED]
    return max(ends, key=lambda t: t.last_state_change).task_spec.bpmn_id if ends else None


def is_finished(workflow) -> bool:
    """SpiffWorkflow's is_completed() walks the tree to the first unfinished task, which on a long
    model is the whole tree; a flat look at the top workflow's tasks answers the same question."""
    return workflow.completed or not any(t._state & TaskState.NOT_FINISHED_MASK for t in workflow.tasks.values())


def _element_of(error: Exception) -> str | None:
    task = getattr(error, "task", None)
    if task is not None:
        return task.task_spec.bpmn_id or task.task_spec.name
    spec = getattr(error, "task_spec", None)
    return getattr(spec, "bpmn_id", None)


def describe(error: Exception) -> str:
    text = str(error) or error.__class__.__name__
    notes = getattr(error, "__notes__", None)
    if notes:
        text += " (" + "; ".join(notes) + ")"
    return text


def _aim_payload(workflow, event: BpmnEvent) -> None:
    """A message from outside carries no result variable: use the catching event's
    `camunda:resultVariable`, as the modeller shows it, when it has one."""
    payload = event.payload
    if not isinstance(payload, dict) or payload.get("result_var") is not None:
        return
    name = getattr(event.event_definition, "name", None)
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if getattr(definition, "name", None) == name and getattr(definition, "result_var", None):
            payload["result_var"] = definition.result_var
            return


_AUDIT = models.AuditEvent.__table__
_INCIDENTS = models.Incident.__table__
_INSTANCES = models.ProcessInstance.__table__
_SUBSCRIPTIONS = models.MessageSubscription.__table__
_INSERT_AUDIT = Prepared(_AUDIT.insert())
_INSERT_INCIDENT = _INCIDENTS.insert().returning(_INCIDENTS.c.id)
_LOCK_INSTANCE = (
    select(_INSTANCES.c.id, _INSTANCES.c.definition_id, _INSTANCES.c.business_key, _INSTANCES.c.version,
           _INSTANCES.c.state)
    .where(_INSTANCES.c.id == bindparam("b_id"))
    .with_for_update()
)


class Unit:
    """The work of one transaction on one database connection."""

    def __init__(self, conn: Connection, db_key: str, actor: str):
        self.conn = conn
        self.db_key = db_key
        self.actor = actor
        self.touched: list[Loaded] = []
        self._audit: list[dict] = []
        self._context: list[dict] = []

    # -- audit -------------------------------------------------------------------------------
    def audit(self, action: str, *, business_key=None, instance_id=None, task_id=None, context=None,
              position: int | None = None, **details) -> None:
        """Record what happened (audit row and event); `context` goes to listeners only, never to
        the audit. `position` puts the row before those recorded since (see `mark`)."""
        row = {
            "at": clock.now(), "actor": self.actor, "action": action, "business_key": business_key,
            "instance_id": instance_id, "task_id": task_id,
            "details": plain_copy(details, default=str),  # listeners and the JSON column get plain data
        }
        at = len(self._audit) if position is None else position
        self._audit.insert(at, row)
        self._context.insert(at, context or {})

    def discard_audit(self) -> None:
        """Forget recorded rows not yet written (their work was rolled back)."""
        self._audit, self._context = [], []

    def mark(self) -> int:
        return len(self._audit)

    def flush_audit(self) -> None:
        """Tell the listeners, then write the audit rows; both inside the transaction."""
        while self._audit:
            rows, contexts = self._audit, self._context
            self._audit, self._context = [], []
            # Listeners may record further events (a document created, say): loop until quiet.
            events.publish(self, [events.Event(**row, context=ctx) for row, ctx in zip(rows, contexts)])
            _INSERT_AUDIT.send(self.conn, rows)

    def done(self) -> None:
        """Call after commit: the touched workflows are now the stored truth."""
        for loaded in self.touched:
            repository.cache.put(self.db_key, loaded)

    # -- workflows -----------------------------------------------------------------------------
    def lock_instance(self, instance_id: str) -> InstanceRef | None:
        """The instance's row, locked until commit on PostgreSQL (SQLite locks the whole file)."""
        row = self.conn.execute(_LOCK_INSTANCE, {"b_id": instance_id}).first()
        return InstanceRef.of(row) if row is not None else None

    def load(self, instance: InstanceRef) -> Loaded:
        return repository.load(self.conn, self.db_key, instance)

    def reloader(self, instance: InstanceRef) -> Callable[[], Loaded]:
        return lambda: repository.load(self.conn, self.db_key, instance, use_cache=False)

    def apply(
        self,
        loaded: Loaded,
        action: Callable[[object], None],
        reload: Callable[[], Loaded],
        *,
        completed: dict[str, str] | None = None,
        hops: int = 0,
        retrying: int | None = None,
        settle: bool = False,
    ) -> Outcome:
        """Do `action`, then the engine steps it unlocks.

        An error in an engine step (script, gateway, DMN, expression) rolls those steps back: the
        action's own effect is kept (a person's completed form is never lost), the failing
        element is recorded as an incident, and `retry_incident` runs the steps again.
        `retrying` is the id of the incident being retried: a new failure counts on it.
        """
        action(loaded.workflow)
        incident = None
        try:
            run_engine(loaded.workflow, settle=settle)
            waiting = projection.waiting(loaded)
        except Exception as error:  # noqa: BLE001 - any engine failure becomes an incident
            log.info("engine step failed on %s: %s", loaded.instance.id, error)
            incident = (describe(error), _element_of(error))
            loaded = reload()
            action(loaded.workflow)
            waiting = projection.waiting(loaded)
        events = [] if incident else loaded.workflow.get_events()
        return self._save(loaded, waiting, incident, events, completed=completed, hops=hops, retrying=retrying)

    def _save(self, loaded: Loaded, waiting, incident, events, *, completed, hops, retrying) -> Outcome:
        instance = loaded.instance
        messages, timer_due = waiting
        now = clock.now()
        if incident is not None:
            state = "incident"
        elif is_finished(loaded.workflow):
            state = "completed"
        else:
            state = "running"
        # The writes every step makes, sent together: on PostgreSQL two round trips in all (the
        # version check's answer and the block's end) instead of one per statement.
        # Listeners stay outside: the first error of a pipeline arrives late, and some listeners
        # catch theirs (an inbound webhook's replay, say).
        with pipelined(self.conn):
            version = repository.save(
                self.conn, loaded, state=state,
                next_timer_due=None if state == "completed" else timer_due,
                ended_at=now if state == "completed" else None,
            )
            created, gone = projection.sync_tasks(self.conn, loaded, completed=completed)
            projection.sync_subscriptions(self.conn, loaded, set() if state == "completed" else messages)
        self.touched.append(loaded)
        key = instance.business_key
        for row in created:
            self.audit("task.created", business_key=key, instance_id=instance.id, task_id=row["id"],
                       element_id=row["element_id"], name=row["name"], roles=projection.roles_of_row(row),
                       context={"properties": row["properties"], "process_key": row["process_key"],
                                "due_at": row["due_at"], "form_ref": row["form_ref"]})
        for task_id in gone:
            if not completed or task_id not in completed:
                self.audit("task.closed", business_key=key, instance_id=instance.id, task_id=task_id)
        outcome = Outcome(instance.id, version, state, [r["id"] for r in created], [r["element_id"] for r in created])
        if incident is not None:
            outcome.incident_id = self._record_incident(instance, incident, retrying, now)
        if state == "completed":
            end = _end_event(loaded.workflow)
            self.audit("instance.completed", business_key=key, instance_id=instance.id, end_event=end,
                       context={"process_key": loaded.workflow.spec.name, "data": dict(loaded.workflow.data),
                                "end_event": end})
        self._route(loaded, events, hops)
        return outcome

    def raise_incident(self, *, instance_id: str, business_key: str | None, element_id: str | None, error: str,
                       kind: str, details: dict) -> int:
        """An incident a listener raises for work of its own (e.g. a document that could not be
        made): the change that caused it stands, the incident waits for a retry (`events.on_retry`)."""
        incident_id = self.conn.execute(_INSERT_INCIDENT, {
            "instance_id": instance_id, "element_id": element_id, "error": error, "created_at": clock.now(),
            "attempts": 1, "kind": kind, "details": plain_copy(details, default=str),
        }).scalar_one()
        self.audit("incident.raised", business_key=business_key, instance_id=instance_id, incident_id=incident_id,
                   element_id=element_id, error=error, kind=kind)
        return incident_id

    def _record_incident(self, instance: InstanceRef, incident, retrying: int | None, now) -> int:
        message, element_id = incident
        if retrying is not None:
            # A failed retry keeps one incident with its attempts counted.
            self.conn.execute(
                _INCIDENTS.update().where(_INCIDENTS.c.id == retrying)
                .values(attempts=_INCIDENTS.c.attempts + 1, error=message, element_id=element_id)
            )
            incident_id = retrying
        else:
            incident_id = self.conn.execute(_INSERT_INCIDENT, {
                "instance_id": instance.id, "element_id": element_id, "error": message, "created_at": now, "attempts": 1,
                "kind": "engine", "details": None,
            }).scalar_one()
        self.audit("incident.raised", business_key=instance.business_key, instance_id=instance.id,
                   incident_id=incident_id, element_id=element_id, error=message)
        return incident_id

    # -- messages between instances ------------------------------------------------------------
    def _route(self, source: Loaded, events: list[BpmnEvent], hops: int) -> None:
        """Deliver messages an instance threw and did not catch itself to its case's other instances."""
        for event in events:
            definition = event.event_definition
            kind = definition.__class__.__name__
            name = getattr(definition, "name", None)
            if "Message" not in kind:
                self.audit("event.uncaught", business_key=source.instance.business_key,
                           instance_id=source.instance.id, event=kind, name=name)
                continue
            if hops >= MAX_MESSAGE_HOPS:
                raise RuntimeError(f"message '{name}' passed between instances more than {MAX_MESSAGE_HOPS} times")
            target_id = self.conn.execute(
                select(_SUBSCRIPTIONS.c.instance_id)
                .join(_INSTANCES, _INSTANCES.c.id == _SUBSCRIPTIONS.c.instance_id)
                .where(
                    _SUBSCRIPTIONS.c.message_name == name,
                    _SUBSCRIPTIONS.c.business_key == source.instance.business_key,
                    _SUBSCRIPTIONS.c.instance_id != source.instance.id,
                    _INSTANCES.c.state == "running",
                )
                .order_by(_INSTANCES.c.started_at).limit(1)
            ).scalar()
            if target_id is None:
                self.audit("message.unrouted", business_key=source.instance.business_key,
                           instance_id=source.instance.id, message=name)
                continue
            self.deliver(target_id, event, hops=hops + 1)

    def deliver(self, instance_id: str, event: BpmnEvent, *, hops: int = 0) -> Outcome:
        instance = self.lock_instance(instance_id)
        loaded = self.touched_or_load(instance)
        _aim_payload(loaded.workflow, event)
        outcome = self.apply(loaded, lambda wf: wf.catch(event), self.reloader(loaded.instance), hops=hops)
        self.audit("message.delivered", business_key=instance.business_key, instance_id=instance.id,
                   message=getattr(event.event_definition, "name", None))
        return outcome

    def touched_or_load(self, instance: InstanceRef) -> Loaded:
        for index, loaded in enumerate(self.touched):
            if loaded.instance.id == instance.id:
                return self.touched.pop(index)
        return self.load(instance)
