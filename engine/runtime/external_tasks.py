"""Completing Camunda 7 external tasks: a service task with `camunda:type="external"` waits (see
`engine.catalog.external_task`) until another system says its work is done.

    complete_external_task(db, business_key="CASE-1", topic="lcs.open_record",
                           variables={"lcs_id": "L-77"}, actor="webhook:lcs")

One transaction, as every runtime call: the variables land in the task's data, the task completes,
the engine steps it unlocks run, the projections and audit rows (`external_task.completed`) are
written; a failing step becomes an incident and the completion stands, as for a person's task.
"""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine.catalog.external_task import is_external
from engine.store import models
from engine.store.db import Database

from .errors import Conflict, InvalidInput, NotFound
from .service import json_object
from .unit import Outcome, Unit

_INSTANCES = models.ProcessInstance.__table__
# Enough for every procedure one case has running; a business key is one case.
MAX_INSTANCES = 100


def _all_tasks(workflow):
    # The tasks dicts, top level and sub-processes: a flat look, cheaper than the tree iterator.
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


def _waiting(workflow, topic: str | None, element_id: str | None) -> list:
    return [t for t in _all_tasks(workflow)
            if t._state == TaskState.STARTED and is_external(t.task_spec)
            and (topic is None or t.task_spec.topic == topic)
            and (element_id is None or t.task_spec.bpmn_id == element_id)]


def complete_external_task(
    db: Database,
    *,
    business_key: str | None = None,
    instance_id: str | None = None,
    topic: str | None = None,
    element_id: str | None = None,
    variables: Mapping[str, Any] | None = None,
    actor: str = "system",
) -> Outcome:
    """Complete the one external task waiting on that case (or instance) for that topic (or element).

    Refuses, changing nothing: InvalidInput (what to find is not named, variables not plain JSON),
    NotFound (no such task waits), Conflict (several wait: name the element or the instance)."""
    body = json_object(variables, "variables")
    for name, value in (("business_key", business_key), ("instance", instance_id), ("topic", topic),
                        ("element_id", element_id)):
        if value is not None and (not isinstance(value, str) or not value):
            raise InvalidInput(f"'{name}' must be a non-empty string")
    if business_key is None and instance_id is None:
        raise InvalidInput("give a business key or an instance id to find the waiting task")
    if topic is None and element_id is None:
        raise InvalidInput("give the external task's topic or element id")
    with db.connection() as conn:
        unit = Unit(conn, db.url, actor)
        query = select(_INSTANCES.c.id).where(_INSTANCES.c.state == "running").order_by(_INSTANCES.c.started_at)
        if business_key is not None:
            query = query.where(_INSTANCES.c.business_key == business_key)
        if instance_id is not None:
            query = query.where(_INSTANCES.c.id == instance_id)
        found = []
        for candidate in conn.execute(query.limit(MAX_INSTANCES)).scalars():
            instance = unit.lock_instance(candidate)
            if instance is None or instance.state != "running":
                continue
            loaded = unit.touched_or_load(instance)
            unit.touched.append(loaded)  # unchanged ones go back to the cache as they are
            found.extend((loaded, task) for task in _waiting(loaded.workflow, topic, element_id))
        what = f"topic '{topic}'" if topic is not None else f"element '{element_id}'"
        where = f"case {business_key}" if business_key is not None else f"instance {instance_id}"
        if not found:
            raise NotFound(f"no external task for {what} is waiting on {where}")
        if len(found) > 1:
            raise Conflict(f"{len(found)} external tasks for {what} are waiting on {where}: "
                           "name the element id or the instance")
        loaded, waiting = found[0]
        unit.touched.remove(loaded)
        task_id, spec = waiting.id, waiting.task_spec

        def finish(workflow) -> None:
            task = workflow.get_task_from_id(task_id)
            task.set_data(**body)
            task.complete()

        before_step = unit.mark()
        outcome = unit.apply(loaded, finish, unit.reloader(loaded.instance))
        unit.audit("external_task.completed", business_key=loaded.instance.business_key,
                   instance_id=loaded.instance.id, task_id=str(task_id), position=before_step,
                   element_id=spec.bpmn_id, topic=spec.topic, fields=sorted(body),
                   context={"properties": dict(spec.extensions or {}), "process_key": loaded.workflow.spec.name,
                            "variables": body, "outcome": outcome})
        unit.flush_audit()
    unit.done()
    return outcome
