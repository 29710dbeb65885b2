"""Reads that need the workflow itself (not the projection tables): a task's data, and the
elements an instance is waiting in. Read-only: the workflow is restored outside the cache and
never saved, so nothing here can change a case.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.store import models

from . import repository
from .errors import NotFound

_INSTANCES = models.ProcessInstance.__table__
_HUMAN = models.HumanTask.__table__
_WAITING = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass(frozen=True)
class Activity:
    id: str  # the SpiffWorkflow task id
    element_id: str
    name: str | None
    type: str  # the BPMN element type, as Camunda names it (userTask, intermediateCatchEvent, ...)


def _restore(conn, db_key: str, instance_id: str) -> repository.Loaded:
    row = conn.execute(select(_INSTANCES.c.id, _INSTANCES.c.definition_id, _INSTANCES.c.business_key,
                              _INSTANCES.c.version, _INSTANCES.c.state, _INSTANCES.c.header)
                       .where(_INSTANCES.c.id == instance_id)).first()
    if row is None:
        raise NotFound(f"no process instance {instance_id}")
    return repository.load(conn, db_key, repository.InstanceRef.of(row), use_cache=False)


def task_data(db, task_id: str) -> dict[str, Any]:
    """The data a human task sees (what its form would be filled from)."""
    with db.reader() as session:
        conn = session.connection()
        instance_id = conn.execute(select(_HUMAN.c.instance_id).where(_HUMAN.c.id == task_id)).scalar()
        if instance_id is None:
            raise NotFound(f"no task {task_id}")
        loaded = _restore(conn, db.url, instance_id)
        task = repository.task_of(loaded, task_id)
        return dict(task.data) if task is not None else {}


def _camunda_type(spec) -> str:
    name = type(spec).__name__
    for bpmn, camunda in (("UserTask", "userTask"), ("ManualTask", "manualTask"), ("ScriptTask", "scriptTask"),
                          ("ServiceTask", "serviceTask"), ("BusinessRuleTask", "businessRuleTask"),
                          ("CallActivity", "callActivity"), ("SubWorkflowTask", "subProcess"),
                          ("IntermediateCatchEvent", "intermediateCatchEvent"), ("BoundaryEvent", "boundaryEvent"),
                          ("ReceiveTask", "receiveTask"), ("Gateway", "gateway"), ("StartEvent", "startEvent"),
                          ("EndEvent", "endEvent")):
        if bpmn in name:
            return camunda
    return name[0].lower() + name[1:]


def waiting_activities(db, instance_id: str) -> list[Activity]:
    """The BPMN elements the instance is in now (user tasks, timers, message waits...)."""
    with db.reader() as session:
        loaded = _restore(session.connection(), db.url, instance_id)
    found = []
    for task in loaded.workflow.get_tasks(state=_WAITING):
        spec = task.task_spec
        element_id = getattr(spec, "bpmn_id", None)
        if not element_id or spec.__class__.__name__ in ("BpmnStartTask", "_EndJoin", "Simple"):
            continue
        found.append(Activity(str(task.id), element_id, getattr(spec, "bpmn_name", None), _camunda_type(spec)))
    return found
