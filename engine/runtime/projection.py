"""Keep the tables that are read without loading workflows in step with a saved workflow:
human tasks (the task list), message subscriptions and the next timer due."""
from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

from sqlalchemy import bindparam
from sqlalchemy.engine import Connection
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from SpiffWorkflow.bpmn.specs.defaults import EventSubprocess, StartEvent

from engine import clock, expressions
from engine.catalog.parser import CANDIDATE_GROUPS, DUE_DATE, FORM_REF, RESERVED_EXTENSION_KEYS
from engine.store import models
from engine.store.fast import Prepared

from .repository import Loaded


def _open_user_tasks(workflow) -> dict[str, object]:
    # A flat scan of the tasks dicts: the tree iterator costs several times more on long models.
    ready = TaskState.READY
    found = {str(t.id): t for t in workflow.tasks.values() if t._state == ready and t.task_spec.manual}
    for sub in workflow.subprocesses.values():
        found.update({str(t.id): t for t in sub.tasks.values() if t._state == ready and t.task_spec.manual})
    return found


def roles_of_row(row: dict) -> list[str]:
    roles = [row["lane"]] if row["lane"] else []
    return roles + [g for g in row["candidate_groups"] if g not in roles]


def _due(task) -> datetime | None:
    expression = (task.task_spec.extensions or {}).get(DUE_DATE)
    if not expression:
        return None
    value = expressions.evaluate(expression, task.data)
    return parse_instant(value, f"due date of {task.task_spec.bpmn_id}")


def parse_instant(value, what: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = TimerEventDefinition.get_datetime(value)
        except ValueError:
            raise ValueError(f"{what}: '{value}' is not an ISO 8601 date or date-time") from None
    else:
        raise ValueError(f"{what}: expected an ISO 8601 string, got {type(value).__name__}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


_HUMAN = models.HumanTask.__table__
_ROLES = models.TaskRole.__table__
_SUBSCRIPTIONS = models.MessageSubscription.__table__
_INSERT_HUMAN = Prepared(_HUMAN.insert())
_INSERT_ROLE = Prepared(_ROLES.insert())
# Closing a task also closes its role rows and drops its draft: the database's trigger
# human_task_state_changed does both (migration 0015).
_CLOSE_HUMAN = Prepared(_HUMAN.update().where(_HUMAN.c.id == bindparam("b_id")).values(
    state=bindparam("state"), completed_at=bindparam("completed_at"), completed_by=bindparam("completed_by")))
_INSERT_SUBSCRIPTION = _SUBSCRIPTIONS.insert()
_DELETE_SUBSCRIPTIONS = _SUBSCRIPTIONS.delete().where(
    _SUBSCRIPTIONS.c.instance_id == bindparam("b_instance"),
    _SUBSCRIPTIONS.c.message_name.in_(bindparam("b_names", expanding=True)))


def sync_tasks(conn: Connection, loaded: Loaded, *, completed: dict[str, str] | None = None) -> tuple[list[dict], list[str]]:
    """Insert rows for user tasks that became ready and close rows for those that went.

    `completed` maps task id -> actor for tasks a person completed in this step.
    Returns (created rows, closed task ids).
    """
    instance = loaded.instance
    ready = _open_user_tasks(loaded.workflow)
    now = clock.now()
    created, role_rows = [], []
    for task_id, task in ready.items():
        if task_id in loaded.open_tasks:
            continue
        spec = task.task_spec
        extensions = spec.extensions or {}
        created.append({
            "id": task_id, "instance_id": instance.id, "business_key": instance.business_key,
            "process_key": loaded.workflow.spec.name,  # the instance's process, also for tasks in sub-processes
            "element_id": spec.bpmn_id, "name": spec.bpmn_name or spec.bpmn_id, "lane": spec.lane,
            "candidate_groups": extensions.get(CANDIDATE_GROUPS, []), "form_ref": extensions.get(FORM_REF),
            "properties": {k: v for k, v in extensions.items() if k not in RESERVED_EXTENSION_KEYS},
            "state": "open", "assignee": None, "created_at": now, "due_at": _due(task),
            "completed_at": None, "completed_by": None,
        })
        role_rows.extend({"task_id": task_id, "role": role} for role in roles_of_row(created[-1]))
    gone = [task_id for task_id in loaded.open_tasks if task_id not in ready]
    if created:
        _INSERT_HUMAN.send(conn, created)
    if role_rows:
        _INSERT_ROLE.send(conn, role_rows)
    if gone:
        completed = completed or {}
        closing = []
        for task_id in gone:
            task = find_task(loaded.workflow, task_id)
            done = task is not None and task.has_state(TaskState.COMPLETED)
            closing.append({"b_id": task_id, "state": "completed" if done else "cancelled", "completed_at": now,
                            "completed_by": completed.get(task_id) if done else None})
        _CLOSE_HUMAN.send(conn, closing)
    loaded.open_tasks = (loaded.open_tasks - set(gone)) | {row["id"] for row in created}
    return created, gone


def find_task(workflow, task_id: str):
    """The task of that id in the workflow or one of its sub-processes, or None if it went."""
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except TaskNotFoundException:
        return None


TIMER_EVENTS = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}
# Keyed by id() with the spec kept alive beside its answer, so an id is never reused.
_event_starts: dict[int, tuple[object, frozenset[str]]] = {}


def _event_subprocess_messages(spec, subprocess_specs) -> frozenset[str]:
    """Messages that start an event sub-process of `spec` (SpiffWorkflow does not list these
    among a workflow's waiting events, but a running workflow does catch them)."""
    entry = _event_starts.get(id(spec))
    if entry is None or entry[0] is not spec:
        names = set()
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, EventSubprocess):
                sub = subprocess_specs.get(task_spec.spec)
                for start in (sub.task_specs.values() if sub else ()):
                    definition = getattr(start, "event_definition", None)
                    if isinstance(start, StartEvent) and "Message" in type(definition).__name__:
                        names.add(definition.name)
        entry = _event_starts[id(spec)] = (spec, frozenset(names))
    return entry[1]


def waiting(loaded: Loaded) -> tuple[set[str], datetime | None]:
    """(message names waited for, earliest timer due)."""
    workflow = loaded.workflow
    messages: set[str] = set()
    if not workflow.completed:
        messages |= _event_subprocess_messages(workflow.spec, workflow.subprocess_specs)
        for sub in workflow.get_active_subprocesses():
            messages |= _event_subprocess_messages(sub.spec, workflow.subprocess_specs)
    due: datetime | None = None
    for event in workflow.waiting_events():
        if "Message" in event.event_type:
            messages.add(event.name)
        elif event.event_type in TIMER_EVENTS and event.value is not None:
            value = event.value["next"] if isinstance(event.value, dict) else event.value
            moment = parse_instant(value, f"timer {event.name}")
            due = moment if due is None or moment < due else due
    return messages, due


def sync_subscriptions(conn: Connection, loaded: Loaded, messages: set[str]) -> None:
    instance = loaded.instance
    added = messages - loaded.subscriptions
    removed = loaded.subscriptions - messages
    if removed:
        conn.execute(_DELETE_SUBSCRIPTIONS, {"b_instance": instance.id, "b_names": sorted(removed)})
    if added:
        conn.execute(_INSERT_SUBSCRIPTION, [
            {"instance_id": instance.id, "message_name": name, "business_key": instance.business_key} for name in sorted(added)
        ])
    loaded.subscriptions = set(messages)
