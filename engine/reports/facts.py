"""Reportable facts, recorded inside the transaction of each change (a runtime listener).

Audit rows keep only the names of submitted fields, and reports never deserialise workflows, so
the few values the reports count are copied into `report_fact` as they happen:

- `task.completed`: from the fields the person submitted (`event.context["submitted"]`, the
  cleaned form values) -
  `consent` -> fact `consent` (given / refused / not_sought_risk);
  `route` / `proposed_route` -> fact `route`;
  fields ending `_decision` / `_outcome`, and `recommendation` -> fact `decision` (field = key).
  Only scalar values are kept (a string, number or boolean; at most 200 characters).
- `instance.completed`: the end event the instance reached -> fact `outcome`. The end event is
  `event.context["end_event"]` when the runtime gives it; otherwise it is read from the live
  workflow the unit has just saved (in memory, not deserialised): the completed end events of the
  top workflow, latest first, a side-branch end (config.BRANCH_ENDS) only when nothing else ended.

`install()` subscribes the listener; importing `engine.reports` calls it. The runtime must import
`engine.reports` at start-up in every process that changes state (web, worker, CLI), or facts
are missed: the CLI does so through its extensions.
"""
from __future__ import annotations

from typing import Any, Iterable

from engine.runtime import events as runtime_events
from engine.store import models
from engine.store.fast import Prepared

from . import config

_FACTS = models.ReportFact.__table__
_INSERT_FACTS = Prepared(_FACTS.insert())  # on every completion with a form: the per-step path


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)) and str(value).strip():
        return str(value)[:200]
    return None


def facts_of_submission(submitted: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    """(fact name, field, value) for the reportable fields of one submission."""
    for key in sorted(submitted):
        value = _scalar(submitted[key])
        if value is None:
            continue
        if key == config.CONSENT_FIELD:
            yield "consent", key, value
        elif key in config.ROUTE_FIELDS:
            yield "route", key, value
        elif key.endswith(config.DECISION_SUFFIXES) or key in config.DECISION_FIELDS:
            yield "decision", key, value


def _end_event_of(unit, instance_id: str) -> str | None:
    from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
    from SpiffWorkflow.util.task import TaskState

    for loaded in getattr(unit, "touched", ()):
        if loaded.instance.id != instance_id:
            continue
        ended = [t for t in loaded.workflow.tasks.values()
                 if isinstance(t.task_spec, EndEvent) and t.has_state(TaskState.COMPLETED) and t.task_spec.bpmn_id]
        ended.sort(key=lambda t: t.last_state_change, reverse=True)
        main = [t for t in ended if t.task_spec.bpmn_id not in config.BRANCH_ENDS]
        chosen = (main or ended)[:1]
        return chosen[0].task_spec.bpmn_id if chosen else None
    return None


def record(unit, events: list[runtime_events.Event]) -> None:
    rows = []
    for event in events:
        if event.instance_id is None:
            continue
        base = {"at": event.at, "instance_id": event.instance_id, "business_key": event.business_key or "",
                "task_id": event.task_id}
        if event.action == "task.completed":
            submitted = event.context.get("submitted") or {}
            process_key = event.context.get("process_key") or ""
            for name, key, value in facts_of_submission(submitted):
                rows.append({**base, "process_key": process_key, "element_id": event.details.get("element_id"),
                             "name": name, "field": key, "value": value})
        elif event.action == "instance.completed":
            end = event.context.get("end_event") or _end_event_of(unit, event.instance_id)
            if end:
                rows.append({**base, "process_key": event.context.get("process_key") or "", "element_id": end,
                             "name": "outcome", "field": None, "value": end})
    if rows:
        _INSERT_FACTS.send(unit.conn, rows)


def install() -> None:
    runtime_events.subscribe(record)


def uninstall() -> None:
    runtime_events.unsubscribe(record)
