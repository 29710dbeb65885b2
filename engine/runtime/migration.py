"""Move running instances of a process from one deployed version to another.

SpiffWorkflow does the aligning (`SpecDiff`/`WorkflowDiff`: by element id first, then by
structure) and the moving (`migrate_workflow`: task specs swapped, ready and waiting branches
re-predicted on the new diagram). Stepwise adds what a case needs on top: an instance whose
waiting work would be lost is refused with the reason; the rest keep their task ids, data,
timers' start times, assignees and drafts; each instance moves in its own transaction, guarded by
its optimistic version, with the projection brought in line and an `instance.migrated` audit row.

`preview` runs the same migration on a freshly loaded copy and throws it away, so what it
promises is what `apply` does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping
from uuid import UUID

from sqlalchemy import select
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine import serializer
from engine.catalog import load_spec
from engine.catalog.parser import CANDIDATE_GROUPS, FORM_REF, RESERVED_EXTENSION_KEYS
from engine.store import models
from engine.store.db import Database

from . import projection, repository
from .errors import InvalidInput, NotFound, StaleVersion
from .repository import InstanceRef
from .unit import Unit

_INSTANCES = models.ProcessInstance.__table__
_DEFINITIONS = models.ProcessDefinition.__table__
_HUMAN = models.HumanTask.__table__
_ROLES = models.TaskRole.__table__

# A task in one of these states is work in progress: losing its element loses the work.
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_FINISHED = TaskState.COMPLETED | TaskState.CANCELLED


@dataclass
class TaskMapping:
    task_id: str
    element_id: str
    name: str | None
    state: str
    to_element: str | None
    to_name: str | None
    changes: list[str] = field(default_factory=list)  # attributes SpiffWorkflow's diff found changed


@dataclass
class InstancePlan:
    instance_id: str
    business_key: str
    version: int
    state: str
    tasks: list[TaskMapping] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why it cannot migrate; empty when it can

    @property
    def migratable(self) -> bool:
        return not self.reasons


@dataclass
class Preview:
    key: str
    from_version: int
    to_version: int
    from_definition_id: str
    to_definition_id: str
    instances: list[InstancePlan]


@dataclass
class Result:
    instance_id: str
    business_key: str
    migrated: bool
    version: int | None = None  # the instance version after the migration
    reasons: list[str] = field(default_factory=list)


@dataclass
class _Versions:
    key: str
    from_version: int
    to_version: int
    from_id: str
    to_id: str


def _versions(conn, key: str, from_version, to_version) -> _Versions:
    for name, value in (("from", from_version), ("to", to_version)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidInput(f"'{name}' must be a version number (1 or more)")
    if from_version == to_version:
        raise InvalidInput("the two versions are the same: nothing to migrate")
    if not isinstance(key, str) or not key:
        raise InvalidInput("a process key is required")
    ids = {}
    for version in (from_version, to_version):
        found = conn.execute(select(_DEFINITIONS.c.id).where(_DEFINITIONS.c.key == key,
                                                             _DEFINITIONS.c.version == version)).scalar()
        if found is None:
            raise NotFound(f"no deployed process '{key}' version {version}")
        ids[version] = found
    return _Versions(key, from_version, to_version, ids[from_version], ids[to_version])


def _state_name(task) -> str:
    return TaskState.get_name(task.state).lower()


def _label(task_spec) -> str:
    name = task_spec.bpmn_name or task_spec.bpmn_id or task_spec.name
    return f"'{name}' ({task_spec.bpmn_id or task_spec.name})"


def _diffs(workflow, spec, subprocess_specs):
    """(workflow or sub-workflow, its new spec or None, its WorkflowDiff, its SpecDiff) for the
    top workflow and each running sub-process (call activity, embedded or event sub-process)."""
    found = []
    for wf, new in [(workflow, spec)] + [(sub, subprocess_specs.get(sub.spec.name)) for sub in workflow.subprocesses.values()]:
        if new is None:
            found.append((wf, None, None, None))
            continue
        spec_diff = SpecDiff(serializer.registry, wf.spec, new)
        found.append((wf, new, WorkflowDiff(wf, spec_diff), spec_diff))
    return found


def plan_and_migrate(workflow, spec, subprocess_specs, to_version: int, plan: InstancePlan) -> None:
    """Fill `plan` with the mapping of the instance's live tasks and the reasons it cannot move;
    when there are none, migrate `workflow` in place (the caller saves or discards it)."""
    diffs = _diffs(workflow, spec, subprocess_specs)
    for wf, new, diff, spec_diff in diffs:
        if new is None:
            plan.reasons.append(f"sub-process '{wf.spec.name}' is running and is not in version {to_version}")
            continue
        for task in wf.get_tasks(skip_subprocesses=True):
            target = diff.alignment.get(task)
            changes = spec_diff.comparisons.get(task.task_spec, [])
            if task.has_state(_LIVE) and task.task_spec.bpmn_id:
                plan.tasks.append(TaskMapping(
                    str(task.id), task.task_spec.bpmn_id, task.task_spec.bpmn_name, _state_name(task),
                    target.bpmn_id if target is not None else None, target.bpmn_name if target is not None else None,
                    sorted(changes)))
                if target is None:
                    plan.reasons.append(f"{_state_name(task)} task {_label(task.task_spec)} is not in version {to_version}")
                elif "typename" in changes:
                    plan.reasons.append(
                        f"{_state_name(task)} task {_label(task.task_spec)} changed type from "
                        f"{type(task.task_spec).__name__} to {type(target).__name__} in version {to_version}")
            elif task.has_state(_FINISHED) and target is None:
                # Its stored row names the old element: the instance's history would no longer load.
                plan.reasons.append(f"completed step {_label(task.task_spec)} is not in version {to_version}: "
                                    "the case's history would be lost")
    if plan.reasons:
        return
    kept = {task.id: (task.data, task.internal_data)
            for wf, *_ in diffs for task in wf.get_tasks(state=_LIVE, skip_subprocesses=True)}
    for wf, new, diff, _ in diffs:
        migrate_workflow(diff, wf, new)
    workflow.subprocess_specs = dict(subprocess_specs)
    # migrate_workflow re-predicts a live task by resetting it, which would give it its parent's
    # data and restart a waiting timer's clock: the same task keeps what it had.
    for wf, *_ in diffs:
        for task in wf.get_tasks(state=_LIVE, skip_subprocesses=True):
            if task.id in kept:
                task.data, task.internal_data = kept[task.id]
    serializer.connect_triggered(workflow)  # the new spec objects never saw its events fire
    _check_placed(workflow, to_version, plan)


def _check_placed(workflow, to_version: int, plan: InstancePlan) -> None:
    """Every task must now stand on an element of the new version, and the result must survive
    the way Stepwise stores it; anything else is refused rather than saved half-right."""
    for wf in [workflow, *workflow.subprocesses.values()]:
        for task in wf.tasks.values():
            if wf.spec.task_specs.get(task.task_spec.name) is not task.task_spec:
                plan.reasons.append(f"task {_label(task.task_spec)} could not be placed in version {to_version}")
    if plan.reasons:
        return
    try:
        rows = [(str(task_id), owner, serializer.task_body(task)) for owner, task_id, task in repository._all_tasks(workflow)]
        serializer.restore(serializer.header(workflow), rows, workflow.spec, workflow.subprocess_specs)
    except Exception as error:  # noqa: BLE001 - any failure here is a reason to refuse
        plan.reasons.append(f"the migrated state does not load back: {error}")


def _running(conn, definition_id: str, instance_ids: Iterable[str] | None):
    query = select(_INSTANCES.c.id, _INSTANCES.c.definition_id, _INSTANCES.c.business_key, _INSTANCES.c.version,
                   _INSTANCES.c.state, _INSTANCES.c.header).where(
        _INSTANCES.c.definition_id == definition_id, _INSTANCES.c.state.in_(("running", "incident")))
    if instance_ids is not None:
        query = query.where(_INSTANCES.c.id.in_(list(instance_ids)))
    return [InstanceRef.of(row) for row in conn.execute(query.order_by(_INSTANCES.c.started_at, _INSTANCES.c.id))]


def _plan_for(conn, db_key: str, instance: InstanceRef, versions: _Versions):
    plan = InstancePlan(instance.id, instance.business_key, instance.version, instance.state)
    if instance.state != "running":
        plan.reasons.append("it has an open incident: retry or repair it first")
        return plan, None
    loaded = repository.load(conn, db_key, instance, use_cache=False)  # never the shared cached copy
    spec, subprocess_specs = load_spec(conn, versions.to_id)
    plan_and_migrate(loaded.workflow, spec, subprocess_specs, versions.to_version, plan)
    return plan, loaded


def preview(db: Database, key: str, from_version: int, to_version: int) -> Preview:
    """Which running instances of `key` version `from_version` would move, their live tasks and
    where each maps in `to_version`, and why the others cannot. Changes nothing."""
    with db.reader() as session:
        conn = session.connection()
        versions = _versions(conn, key, from_version, to_version)
        plans = [_plan_for(conn, db.url, instance, versions)[0] for instance in _running(conn, versions.from_id, None)]
    return Preview(key, from_version, to_version, versions.from_id, versions.to_id, plans)


def apply(db: Database, key: str, from_version: int, to_version: int, actor: str, *,
          instance_ids: Iterable[str] | None = None, expected_versions: Mapping[str, int] | None = None) -> list[Result]:
    """Migrate each migratable instance (all of that version, or those named) in its own
    transaction. `expected_versions` (instance id -> version, e.g. from a preview) refuses an
    instance that changed since. Refused instances are left exactly as they were."""
    wanted = None if instance_ids is None else list(dict.fromkeys(instance_ids))
    with db.reader() as session:
        conn = session.connection()
        versions = _versions(conn, key, from_version, to_version)
        candidates = [i.id for i in _running(conn, versions.from_id, wanted)]
    results = []
    for missing in [] if wanted is None else [i for i in wanted if i not in candidates]:
        results.append(Result(missing, "", False, reasons=[
            f"not a running instance of '{key}' version {from_version}"]))
    for instance_id in candidates:
        expected = (expected_versions or {}).get(instance_id)
        try:
            results.append(_apply_one(db, instance_id, versions, actor, expected))
        except StaleVersion as error:
            results.append(Result(instance_id, "", False, reasons=[str(error)]))
    return results


def _apply_one(db: Database, instance_id: str, versions: _Versions, actor: str, expected: int | None) -> Result:
    with db.connection() as conn:
        unit = Unit(conn, db.url, actor)
        instance = unit.lock_instance(instance_id)
        if instance is None or instance.definition_id != versions.from_id:
            return Result(instance_id, instance.business_key if instance else "", False,
                          reasons=[f"no longer on '{versions.key}' version {versions.from_version}"])
        if expected is not None and instance.version != expected:
            raise StaleVersion(instance_id, expected, instance.version)
        plan, loaded = _plan_for(conn, db.url, instance, versions)
        if not plan.migratable:
            return Result(instance_id, instance.business_key, False, reasons=plan.reasons)
        loaded.instance.definition_id = versions.to_id
        messages, timer_due = projection.waiting(loaded)
        version = repository.save(conn, loaded, state="running", next_timer_due=timer_due, ended_at=None)
        conn.execute(_INSTANCES.update().where(_INSTANCES.c.id == instance_id).values(definition_id=versions.to_id))
        created, gone = projection.sync_tasks(conn, loaded)
        renamed = _refresh_open_tasks(conn, loaded)
        projection.sync_subscriptions(conn, loaded, messages)
        unit.touched.append(loaded)
        key = instance.business_key
        unit.audit("instance.migrated", business_key=key, instance_id=instance_id, process_key=versions.key,
                   from_version=versions.from_version, to_version=versions.to_version,
                   from_definition_id=versions.from_id, to_definition_id=versions.to_id,
                   tasks=[{"task_id": t.task_id, "from": t.element_id, "to": t.to_element} for t in plan.tasks],
                   renamed=renamed)
        for row in created:
            unit.audit("task.created", business_key=key, instance_id=instance_id, task_id=row["id"],
                       element_id=row["element_id"], name=row["name"], roles=projection.roles_of_row(row),
                       context={"properties": row["properties"], "process_key": row["process_key"],
                                "due_at": row["due_at"], "form_ref": row["form_ref"]})
        for task_id in gone:
            unit.audit("task.closed", business_key=key, instance_id=instance_id, task_id=task_id)
        unit.flush_audit()
    unit.done()
    return Result(instance_id, key, True, version=version)


def _refresh_open_tasks(conn, loaded) -> list[str]:
    """Open task-list rows keep their id, assignee, dates and draft; what the diagram says about
    them (element, name, lane, groups, form, properties) and so who may act now comes from the new
    version. Returns the ids of the rows that changed."""
    rows = conn.execute(select(_HUMAN).where(_HUMAN.c.instance_id == loaded.instance.id, _HUMAN.c.state == "open")).all()
    changed = []
    for row in rows:
        task = loaded.workflow.get_task_from_id(UUID(row.id))
        spec = task.task_spec
        extensions = spec.extensions or {}
        columns = {
            "element_id": spec.bpmn_id, "name": spec.bpmn_name or spec.bpmn_id, "lane": spec.lane,
            "candidate_groups": extensions.get(CANDIDATE_GROUPS, []), "form_ref": extensions.get(FORM_REF),
            "properties": {k: v for k, v in extensions.items() if k not in RESERVED_EXTENSION_KEYS},
        }
        if all(getattr(row, name) == value for name, value in columns.items()):
            continue
        conn.execute(_HUMAN.update().where(_HUMAN.c.id == row.id).values(**columns))
        conn.execute(_ROLES.delete().where(_ROLES.c.task_id == row.id))
        roles = projection.roles_of_row(columns)
        if roles:
            conn.execute(_ROLES.insert(), [{"task_id": row.id, "role": role} for role in roles])
        changed.append(row.id)
    return changed
