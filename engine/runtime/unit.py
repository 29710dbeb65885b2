"""One transaction's work on workflows: advance, route messages, save, project, audit.

Every service function opens a `Unit` inside `Database.transaction()`; whatever it changed is
committed together or not at all. Workflows it touched go back to the live cache only after the
commit succeeded.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine import clock
from engine.store import models

from . import projection, repository
from .repository import Loaded

log = logging.getLogger(__name__)

MAX_MESSAGE_HOPS = 10


@dataclass
class Outcome:
    instance_id: str
    version: int
    state: str
    created_tasks: list[str] = field(default_factory=list)
    incident_id: int | None = None


def run_engine(workflow) -> None:
    """Run engine steps until only human tasks or waits remain (a timer firing may need two passes)."""
    workflow.do_engine_steps()
    for _ in range(10):
        if not any(not t.task_spec.manual for t in workflow.get_tasks(state=TaskState.READY)):
            return
        workflow.do_engine_steps()


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


class Unit:
    def __init__(self, session: Session, db_key: str, actor: str):
        self.session = session
        self.db_key = db_key
        self.actor = actor
        self.touched: list[Loaded] = []
        self._audit: list[dict] = []

    # -- audit -------------------------------------------------------------------------------
    def audit(self, action: str, *, business_key=None, instance_id=None, task_id=None, **details) -> None:
        self._audit.append({
            "at": clock.now(), "actor": self.actor, "action": action, "business_key": business_key,
            "instance_id": instance_id, "task_id": task_id, "details": json.loads(json.dumps(details, default=str)),
        })

    def flush_audit(self) -> None:
        if self._audit:
            self.session.execute(insert(models.AuditEvent), self._audit)
            self._audit = []

    def done(self) -> None:
        """Call after commit: the touched workflows are now the stored truth."""
        for loaded in self.touched:
            repository.cache.put(self.db_key, loaded)

    # -- workflows -----------------------------------------------------------------------------
    def load(self, instance: models.ProcessInstance) -> Loaded:
        return repository.load(self.session, self.db_key, instance)

    def apply(
        self,
        loaded: Loaded,
        action: Callable[[object], None],
        reload: Callable[[], Loaded],
        *,
        completed: dict[str, str] | None = None,
        hops: int = 0,
        retrying: models.Incident | None = None,
    ) -> Outcome:
        """Do `action`, then the engine steps it unlocks.

        An error in an engine step (script, gateway, DMN, expression) rolls those steps back: the
        action's own effect is kept (a person's completed form is never lost), the failing
        element is recorded as an incident, and `retry_incident` runs the steps again.
        """
        action(loaded.workflow)
        incident = None
        try:
            run_engine(loaded.workflow)
            projection_due = projection.waiting(loaded)
        except Exception as error:  # noqa: BLE001 - any engine failure becomes an incident
            log.info("engine step failed on %s: %s", loaded.instance.id, error)
            incident = (describe(error), _element_of(error))
            loaded = reload()
            action(loaded.workflow)
            projection_due = projection.waiting(loaded)
        events = [] if incident else loaded.workflow.get_events()
        return self._save(loaded, projection_due, incident, events, completed=completed, hops=hops, retrying=retrying)

    def _save(self, loaded: Loaded, waiting, incident, events, *, completed, hops, retrying) -> Outcome:
        instance = loaded.instance
        messages, timer_due = waiting
        now = clock.now()
        if incident is not None:
            state = "incident"
        elif loaded.workflow.is_completed():
            state = "completed"
        else:
            state = "running"
        columns = {
            "state": state,
            "next_timer_due": None if state == "completed" else timer_due,
            "ended_at": now if state == "completed" else None,
        }
        version = repository.save(self.session, loaded, **columns)
        created, gone = projection.sync_tasks(self.session, loaded, completed=completed)
        projection.sync_subscriptions(self.session, loaded, set() if state == "completed" else messages)
        self.touched.append(loaded)
        key = instance.business_key
        for row in created:
            self.audit("task.created", business_key=key, instance_id=instance.id, task_id=row["id"],
                       element_id=row["element_id"], name=row["name"], roles=projection.roles_of_row(row))
        for task_id in gone:
            if not completed or task_id not in completed:
                self.audit("task.closed", business_key=key, instance_id=instance.id, task_id=task_id)
        outcome = Outcome(instance.id, version, state, [row["id"] for row in created])
        if incident is not None:
            message, element_id = incident
            if retrying is not None:
                # A failed retry keeps one incident with its attempts counted.
                row = retrying
                row.attempts, row.error, row.element_id = row.attempts + 1, message, element_id
            else:
                row = models.Incident(instance_id=instance.id, element_id=element_id, error=message, created_at=now, attempts=1)
                self.session.add(row)
            self.session.flush()
            outcome.incident_id = row.id
            self.audit("incident.raised", business_key=key, instance_id=instance.id, incident_id=row.id,
                       element_id=element_id, error=message)
        if state == "completed":
            self.audit("instance.completed", business_key=key, instance_id=instance.id)
        self._route(loaded, events, hops)
        return outcome

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
            target_id = self.session.scalar(
                select(models.MessageSubscription.instance_id)
                .join(models.ProcessInstance, models.ProcessInstance.id == models.MessageSubscription.instance_id)
                .where(
                    models.MessageSubscription.message_name == name,
                    models.MessageSubscription.business_key == source.instance.business_key,
                    models.MessageSubscription.instance_id != source.instance.id,
                    models.ProcessInstance.state == "running",
                )
                .order_by(models.ProcessInstance.started_at).limit(1)
            )
            if target_id is None:
                self.audit("message.unrouted", business_key=source.instance.business_key,
                           instance_id=source.instance.id, message=name)
                continue
            self.deliver(target_id, event, hops=hops + 1)

    def lock_instance(self, instance_id: str) -> models.ProcessInstance | None:
        return self.session.get(models.ProcessInstance, instance_id, with_for_update=True)

    def deliver(self, instance_id: str, event: BpmnEvent, *, hops: int = 0) -> Outcome:
        instance = self.lock_instance(instance_id)
        loaded = self.touched_or_load(instance)
        _aim_payload(loaded.workflow, event)
        outcome = self.apply(
            loaded, lambda wf: wf.catch(event), lambda: repository.load(self.session, self.db_key, instance, use_cache=False), hops=hops
        )
        self.audit("message.delivered", business_key=instance.business_key, instance_id=instance.id,
                   message=getattr(event.event_definition, "name", None))
        return outcome

    def touched_or_load(self, instance: models.ProcessInstance) -> Loaded:
        for index, loaded in enumerate(self.touched):
            if loaded.instance.id == instance.id:
                return self.touched.pop(index)
        return self.load(instance)
