"""Keep the tables that are read without loading workflows in step with a saved workflow:
human tasks (the task list), message subscriptions and the next timer due."""
from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from SpiffWorkflow.bpmn.specs.defaults import EventSubprocess, StartEvent

from engine import clock, expressions
from engine.catalog.parser import CANDIDATE_GROUPS, DUE_DATE, FORM_REF, RESERVED_EXTENSION_KEYS
from engine.store import models

from .repository import Loaded


def _open_user_tasks(workflow) -> dict[str, object]:
    found = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    for sub in workflow.subprocesses.values():
        found.update({str(t.id): t for t in sub.get_tasks(state=TaskState.READY, manual=True)})
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


def sync_tasks(session: Session, loaded: Loaded, *, completed: dict[str, str] | None = None) -> tuple[list[dict], list[str]]:
    """Insert rows for user tasks that became ready and close rows for those that went.

    `completed` maps task id -> actor for tasks a person completed in this step.
    Returns (created rows, closed task ids).
    """
    instance = loaded.instance
    if loaded.open_tasks is None:
        loaded.open_tasks = set(session.scalars(
            select(models.HumanTask.id).where(models.HumanTask.instance_id == instance.id, models.HumanTask.state == "open")
        ))
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
        session.execute(insert(models.HumanTask), created)
    if role_rows:
        session.execute(insert(models.TaskRole), role_rows)
    completed = completed or {}
    for task_id in gone:
        task = loaded.workflow.get_task_from_id(_uuid(task_id)) if _exists(loaded.workflow, task_id) else None
        done = task is not None and task.has_state(TaskState.COMPLETED)
        session.execute(
            update(models.HumanTask).where(models.HumanTask.id == task_id).values(
                state="completed" if done else "cancelled", completed_at=now,
                completed_by=completed.get(task_id) if done else None,
            ).execution_options(synchronize_session=False)
        )
    if gone:
        session.execute(delete(models.TaskDraft).where(models.TaskDraft.task_id.in_(gone)))
    loaded.open_tasks = (loaded.open_tasks - set(gone)) | {row["id"] for row in created}
    return created, gone


def _uuid(task_id: str) -> UUID:
    return UUID(task_id)


def _exists(workflow, task_id: str) -> bool:
    try:
        return workflow.get_task_from_id(_uuid(task_id)) is not None
    except Exception:  # SpiffWorkflow raises TaskNotFoundException for removed tasks
        return False


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
    if not workflow.is_completed():
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


def sync_subscriptions(session: Session, loaded: Loaded, messages: set[str]) -> None:
    instance = loaded.instance
    if loaded.subscriptions is None:
        loaded.subscriptions = set(session.scalars(
            select(models.MessageSubscription.message_name).where(models.MessageSubscription.instance_id == instance.id)
        ))
    added = messages - loaded.subscriptions
    removed = loaded.subscriptions - messages
    if removed:
        session.execute(delete(models.MessageSubscription).where(
            models.MessageSubscription.instance_id == instance.id, models.MessageSubscription.message_name.in_(removed)))
    if added:
        session.execute(insert(models.MessageSubscription), [
            {"instance_id": instance.id, "message_name": name, "business_key": instance.business_key} for name in added
        ])
    loaded.subscriptions = set(messages)
