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

from sqlalchemy import bindparam, literal_column, select
from sqlalchemy.engine import Connection
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import expressions, serializer
from engine.catalog import load_spec
from engine.store import models
from engine.store.fast import Prepared, PreparedSelect, pipelined

from .errors import StaleVersion

_TASKS = models.WorkflowTask.__table__
_INSTANCES = models.ProcessInstance.__table__
_HUMAN = models.HumanTask.__table__
_SUBSCRIPTIONS = models.MessageSubscription.__table__
# Built once: the per-step statements then skip SQLAlchemy's statement construction and
# cache-key work, which costs more than the SQL itself.
# What loading an instance reads, sent together (one round trip on PostgreSQL, see fast.pipelined):
# its header, its task rows, and the projection rows a save compares against.
_SELECT_HEADER = PreparedSelect(select(_INSTANCES.c.header).where(_INSTANCES.c.id == bindparam("b_id")))
_SELECT_TASKS = PreparedSelect(select(_TASKS.c.id, _TASKS.c.workflow_id, _TASKS.c.body)
                               .where(_TASKS.c.instance_id == bindparam("b_instance")))
_SELECT_OPEN_TASK_IDS = PreparedSelect(select(_HUMAN.c.id).where(_HUMAN.c.instance_id == bindparam("b_instance"),
                                                                 _HUMAN.c.state == literal_column("'open'")))
_SELECT_SUBSCRIBED = PreparedSelect(select(_SUBSCRIPTIONS.c.message_name)
                                    .where(_SUBSCRIPTIONS.c.instance_id == bindparam("b_instance")))
_INSERT_TASK = Prepared(_TASKS.insert())
_UPDATE_TASK = Prepared(_TASKS.update().where(_TASKS.c.instance_id == bindparam("b_instance"), _TASKS.c.id == bindparam("b_id")).values(
    body=bindparam("body")))
# One row per parameter set rather than an IN list: an expanding IN cannot be prepared, and through
# SQLAlchemy's execution it cost more than the rest of the step's writes (SpiffWorkflow drops
# predicted tasks at every gateway, so most steps of a branching model delete a few rows).
_DELETE_TASK = Prepared(_TASKS.delete().where(_TASKS.c.instance_id == bindparam("b_instance"),
                                              _TASKS.c.id == bindparam("b_id")))
_INSERT_INSTANCE = Prepared(_INSTANCES.insert())
# SET names only the columns given: a step that leaves state and timer alone then leaves the
# indexes on them (timer, reports) untouched, which is most steps.
_UPDATE_INSTANCE = Prepared(_INSTANCES.update().where(
    _INSTANCES.c.id == bindparam("b_id"), _INSTANCES.c.version == bindparam("b_version")))
_SELECT_VERSION = select(_INSTANCES.c.version).where(_INSTANCES.c.id == bindparam("b_id"))

UNKNOWN = object()
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_SCRIPT_ENGINE = expressions.script_engine()


@dataclass
class InstanceRef:
    """The columns of a process instance the runtime works with (read with Core, not the ORM:
    this is the per-step path, and an ORM identity map buys nothing here)."""

    id: str
    definition_id: str
    business_key: str
    version: int
    state: str
    header: dict | None = None  # read only when the workflow is not in the cache

    @classmethod
    def of(cls, row) -> "InstanceRef":
        return cls(row.id, row.definition_id, row.business_key, row.version, row.state,
                   getattr(row, "header", None))


@dataclass
class Loaded:
    instance: InstanceRef
    workflow: BpmnWorkflow
    version: int
    open_tasks: set[str]  # ids of its open human_task rows, as stored
    subscriptions: set[str]  # names of its message_subscription rows, as stored
    fingerprints: dict = field(default_factory=dict)  # see fingerprints()
    new: bool = False
    # The next_timer_due this version stored, when known (UNKNOWN after a load from the database).
    timer_due: object = None
    # For a new instance: the columns only its first save writes (case_id, started_at, started_by).
    new_columns: dict = field(default_factory=dict)


def _fingerprint(task) -> tuple:
    # Keep in step with the inlined copy in save().
    return (task._state, task.last_state_change, tuple(task._children), len(task.data), task.triggered, len(task.internal_data))


def fingerprints(workflow: BpmnWorkflow) -> dict:
    """What `save` compares against: each task object -> (fingerprint, its id as stored).

    Keyed by the task object rather than its id: the objects live as long as the workflow, and
    hashing them is free where hashing a UUID or making its string is not, on every task, every
    step."""
    return {task: (_fingerprint(task), str(task_id)) for _, task_id, task in _all_tasks(workflow)}


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


def new_workflow(conn: Connection, definition_id: str) -> BpmnWorkflow:
    spec, subprocess_specs = load_spec(conn, definition_id)
    return BpmnWorkflow(spec, subprocess_specs, script_engine=_SCRIPT_ENGINE)


def load(conn: Connection, db_key: str, instance: InstanceRef, *, use_cache: bool = True) -> Loaded:
    if use_cache:
        cached = cache.take(db_key, instance.id)
        if cached is not None and cached.version == instance.version:
            cached.instance = instance
            return cached
    spec, subprocess_specs = load_spec(conn, instance.definition_id)
    by_instance = {"b_instance": instance.id}
    with pipelined(conn):  # the answers are read after the block: all of them come in its one round trip
        header = _SELECT_HEADER.send(conn, {"b_id": instance.id}) if instance.header is None else None
        rows = _SELECT_TASKS.send(conn, by_instance)
        open_tasks = _SELECT_OPEN_TASK_IDS.send(conn, by_instance)
        subscriptions = _SELECT_SUBSCRIBED.send(conn, by_instance)
    if header is not None:
        found = header.all()
        if not found:
            raise LookupError(f"no process instance {instance.id}")
        instance.header = found[0].header
    rows = rows.all()
    open_tasks = {row.id for row in open_tasks.all()}
    subscriptions = {row.message_name for row in subscriptions.all()}
    workflow = serializer.restore(instance.header, rows, spec, subprocess_specs)
    workflow.script_engine = _SCRIPT_ENGINE
    loaded = Loaded(instance, workflow, instance.version, open_tasks=open_tasks, subscriptions=subscriptions,
                    timer_due=UNKNOWN)
    loaded.fingerprints = fingerprints(workflow)
    return loaded


def save(conn: Connection, loaded: Loaded, *, state: str, next_timer_due, ended_at) -> int:
    """Write what changed and bump the version; raises StaleVersion if someone saved first.

    A new instance (``loaded.new``) is inserted with ``loaded.new_columns``.
    """
    instance = loaded.instance
    inserts, updates, current = [], [], {}
    previous_prints = loaded.fingerprints
    body = serializer.task_body
    unseen = []  # task objects the last save did not see: new tasks, or (rarely) a task rebuilt under its old id
    for owner, task_id, task in _all_tasks(loaded.workflow):
        fingerprint = (task._state, task.last_state_change, tuple(task._children), len(task.data), task.triggered,
                       len(task.internal_data))
        previous = previous_prints.get(task)
        if previous is None:
            key = str(task_id)
            unseen.append((owner, key, task))
        else:
            key = previous[1]
            if previous[0] != fingerprint or task._state & _LIVE:
                updates.append({"b_instance": instance.id, "b_id": key, "body": body(task)})
        current[task] = (fingerprint, key)
    stored = {key for _, key in previous_prints.values()} if unseen else ()
    for owner, key, task in unseen:
        if key in stored:
            updates.append({"b_instance": instance.id, "b_id": key, "body": body(task)})
        else:
            inserts.append({"instance_id": instance.id, "id": key, "workflow_id": owner, "body": body(task)})
    unseen_keys = {key for _, key, _ in unseen}
    removed = [key for task, (_, key) in previous_prints.items() if task not in current and key not in unseen_keys]
    head = serializer.header(loaded.workflow)
    if loaded.new:
        # Before its task rows, which refer to it.
        _INSERT_INSTANCE.send(conn, {
            "id": instance.id, "definition_id": instance.definition_id, "business_key": instance.business_key,
            "state": state, "version": loaded.version, "header": head, "next_timer_due": next_timer_due,
            "ended_at": ended_at, **loaded.new_columns,
        })
    if removed:
        _DELETE_TASK.send(conn, [{"b_instance": instance.id, "b_id": key} for key in removed])
    if inserts:
        _INSERT_TASK.send(conn, inserts)
    if updates:
        _UPDATE_TASK.send(conn, updates)
    if loaded.new:
        new_version = loaded.version
        loaded.new = False
    else:
        # Last: the version check is the one answer a save waits for (see fast.pipelined).
        new_version = loaded.version + 1
        values = {"b_id": instance.id, "b_version": loaded.version, "version": new_version, "header": head}
        if state != instance.state:
            values.update(state=state, ended_at=ended_at)
        if loaded.timer_due is UNKNOWN or next_timer_due != loaded.timer_due:
            values["next_timer_due"] = next_timer_due
        changed = _UPDATE_INSTANCE.execute(conn, values)
        if changed != 1:
            actual = conn.execute(_SELECT_VERSION, {"b_id": instance.id}).scalar()
            raise StaleVersion(instance.id, loaded.version, actual if actual is not None else -1)
    instance.version, instance.state, instance.header = new_version, state, head
    loaded.version = new_version
    loaded.timer_due = next_timer_due
    loaded.fingerprints = current
    return new_version


def task_of(loaded: Loaded, task_id: str):
    return loaded.workflow.get_task_from_id(UUID(task_id))
