"""The runtime: the only way the state of a case changes (each call one transaction)."""
from .errors import Conflict, Forbidden, InvalidInput, InvalidSubmission, NotFound, RuntimeRefusal, StaleVersion
from .service import (
    TaskView,
    TimerRun,
    assign,
    cancel,
    claim,
    complete,
    correlate,
    draft,
    fire_due_timers,
    incidents,
    instance_version,
    record_incident,
    record_view,
    retry_incident,
    save_draft,
    start,
    task,
    task_count,
    task_form,
    tasks,
    unclaim,
)
from .unit import Outcome
from .external_tasks import complete_external_task
from .events import Event, subscribe, unsubscribe

__all__ = [
    "Conflict", "Forbidden", "InvalidInput", "InvalidSubmission", "NotFound", "RuntimeRefusal", "StaleVersion",
    "TaskView", "TimerRun", "Outcome", "Event", "subscribe", "unsubscribe", "assign", "cancel", "claim", "complete", "complete_external_task", "correlate", "draft",
    "fire_due_timers", "incidents", "instance_version", "record_incident", "record_view", "retry_incident", "save_draft",
    "start", "task", "task_count", "task_form", "tasks", "unclaim",
]
