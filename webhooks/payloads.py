"""What each event type carries: ids and names, not case data, except where the receiver needs the record.

One function per kind of runtime event; `of(event)` gives the (event type, payload) pairs an event
produces. The payload shape is Standard Webhooks': {"type", "timestamp", "data"}. webhooks/README.md
documents the fields per type; keep the two in step.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterator

from engine.runtime.events import Event

ASSIGNMENT_ACTIONS = {"task.claimed": "claimed", "task.unclaimed": "unclaimed", "task.assigned": "assigned"}

# Every event type a subscription can name (integration events are named by the models:
# any `integration` property, e.g. "lcs.step_down").
EVENT_TYPES = ("instance.started", "instance.completed", "instance.cancelled", "task.created", "task.completed",
               "task.assigned", "document.created", "incident.raised")


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _ids(event: Event) -> dict[str, Any]:
    return {"instance_id": event.instance_id, "business_key": event.business_key}


def _task_ids(event: Event) -> dict[str, Any]:
    return {"task_id": event.task_id, **_ids(event)}


def _envelope(kind: str, event: Event, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return kind, {"type": kind, "timestamp": event.at.isoformat(), "data": {k: _plain(v) for k, v in data.items()}}


def of(event: Event) -> Iterator[tuple[str, dict[str, Any]]]:
    details, context = event.details, event.context
    action = event.action
    if action == "instance.started":
        yield _envelope(action, event, {**_ids(event), "process_key": details.get("process_key"),
                                        "definition_id": details.get("definition_id"), "started_by": event.actor})
    elif action == "instance.completed":
        yield _envelope(action, event, {**_ids(event), "process_key": context.get("process_key")})
    elif action == "instance.cancelled":
        yield _envelope(action, event, {**_ids(event), "cancelled_by": event.actor})
    elif action == "task.created":
        yield _envelope(action, event, {
            **_task_ids(event), "process_key": context.get("process_key"), "element_id": details.get("element_id"),
            "name": details.get("name"), "roles": details.get("roles", []), "due_at": context.get("due_at"),
        })
    elif action == "task.completed":
        common = {**_task_ids(event), "process_key": context.get("process_key"), "element_id": details.get("element_id"),
                  "name": details.get("name"), "completed_by": event.actor}
        yield _envelope(action, event, {**common, "fields": details.get("fields", [])})
        integration = (context.get("properties") or {}).get("integration")
        if integration:
            # The receiving case system needs the record: the fields submitted on this task, and no more.
            yield _envelope(integration, event, {**common, "integration": integration,
                                                 "fields": dict(context.get("submitted") or {})})
    elif action in ASSIGNMENT_ACTIONS:
        yield _envelope("task.assigned", event, {**_task_ids(event), "action": ASSIGNMENT_ACTIONS[action],
                                                 "assignee": details.get("assignee"), "previous": details.get("previous"),
                                                 "by": event.actor})
    elif action == "document.created":
        # Audit details never hold case data (the runtime keeps that in `context`).
        yield _envelope(action, event, {**_task_ids(event), **{k: v for k, v in details.items() if k not in _task_ids(event)}})
    elif action == "incident.raised":
        yield _envelope(action, event, {**_ids(event), "incident_id": details.get("incident_id"),
                                        "element_id": details.get("element_id"), "error": details.get("error")})
