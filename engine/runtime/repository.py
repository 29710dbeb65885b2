"""Load and save workflows: the spec from the definition, the header, and one row per task.

Saving writes only the task rows whose state changed since the load, which keeps the cost of a
step proportional to what the step did rather than to the size of the model or its history.
A small in-process cache keeps recently saved workflows live; an entry is used only when its
version equals the stored version, and it is taken out while in use, so a failed transaction
can never leave a half-changed workflow behind for the next caller.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import expressions, serializer
from engine.catalog import load_spec
from engine.store import models

from .errors import StaleVersion

_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_SCRIPT_ENGINE = expressions.script_engine()


@dataclass
class Loaded:
    instance: models.ProcessInstance
    workflow: BpmnWorkflow
    version: int
    fingerprints: dict[str, tuple] = field(default_factory=dict)
    open_tasks: set[str] | None = None
    subscriptions: set[str] | None = None
    new: bool = False


def _fingerprint(task) -> tuple:
    return (task._state, task.last_state_change, tuple(task._children), len(task.data), task.triggered, len(task.internal_data))


def _all_tasks(workflow: BpmnWorkflow):
    for task_id, task in workflow.tasks.items():
        yield "", task_id, task
    for sub_id, sub in workflow.subprocesses.items():
        owner = str(sub_id)
        for task_id, task in sub.tasks.items():
            yield owner, task_id, task


class _Cache:
    def __init__(self, size: int = 256):
        self._items: OrderedDict[tuple[str, str], Loaded] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def take(self, db_key: str, instance_id: str) -> Loaded | None:
        with self._lock:
            return self._items.pop((db_key, instance_id), None)

    def put(self, db_key: str, loaded: Loaded) -> None:
        with self._lock:
            self._items[(db_key, loaded.instance.id)] = loaded
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


cache = _Cache()


def new_workflow(session: Session, definition: models.ProcessDefinition) -> BpmnWorkflow:
    spec, subprocess_specs = load_spec(session, definition.id)
    return BpmnWorkflow(spec, subprocess_specs, script_engine=_SCRIPT_ENGINE)


def load(session: Session, db_key: str, instance: models.ProcessInstance, *, use_cache: bool = True) -> Loaded:
    if use_cache:
        cached = cache.take(db_key, instance.id)
        if cached is not None and cached.version == instance.version:
            cached.instance = instance
            return cached
    spec, subprocess_specs = load_spec(session, instance.definition_id)
    rows = session.execute(
        select(models.WorkflowTask.id, models.WorkflowTask.workflow_id, models.WorkflowTask.body)
        .where(models.WorkflowTask.instance_id == instance.id)
    ).all()
    workflow = serializer.restore(instance.header, [tuple(r) for r in rows], spec, subprocess_specs)
    workflow.script_engine = _SCRIPT_ENGINE
    loaded = Loaded(instance, workflow, instance.version)
    loaded.fingerprints = {str(task_id): _fingerprint(task) for _, task_id, task in _all_tasks(workflow)}
    return loaded


def save(session: Session, loaded: Loaded, **columns) -> int:
    """Write what changed and bump the version; raises StaleVersion if someone saved first."""
    instance_id = loaded.instance.id
    inserts, updates, current = [], [], {}
    for owner, task_id, task in _all_tasks(loaded.workflow):
        key = str(task_id)
        fingerprint = _fingerprint(task)
        current[key] = fingerprint
        previous = loaded.fingerprints.get(key)
        if previous is None:
            inserts.append({"instance_id": instance_id, "id": key, "workflow_id": owner, "body": serializer.task_body(task)})
        elif previous != fingerprint or task._state & _LIVE:
            updates.append({"instance_id": instance_id, "id": key, "workflow_id": owner, "body": serializer.task_body(task)})
    removed = [key for key in loaded.fingerprints if key not in current]
    values = {"header": serializer.header(loaded.workflow), **columns}
    if loaded.new:
        for name, value in values.items():
            setattr(loaded.instance, name, value)
        session.flush()
    if removed:
        session.execute(delete(models.WorkflowTask).where(
            models.WorkflowTask.instance_id == instance_id, models.WorkflowTask.id.in_(removed)))
    if inserts:
        session.execute(insert(models.WorkflowTask), inserts)
    if updates:
        session.execute(update(models.WorkflowTask), updates)

    if loaded.new:
        loaded.new = False
        new_version = loaded.version
    else:
        new_version = loaded.version + 1
        result = session.execute(
            update(models.ProcessInstance)
            .where(models.ProcessInstance.id == instance_id, models.ProcessInstance.version == loaded.version)
            .values(version=new_version, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            actual = session.scalar(select(models.ProcessInstance.version).where(models.ProcessInstance.id == instance_id))
            raise StaleVersion(instance_id, loaded.version, actual if actual is not None else -1)
        # The row is already written; keep the ORM object in step without a second UPDATE.
        for name, value in {**values, "version": new_version}.items():
            set_committed_value(loaded.instance, name, value)
    loaded.version = new_version
    loaded.fingerprints = current
    return new_version


def task_of(loaded: Loaded, task_id: str):
    return loaded.workflow.get_task_from_id(UUID(task_id))
