"""What happened in a transaction, for the modules that must act in that same transaction.

Every audit row the runtime writes is also an `Event`. Before the rows are written, each
registered listener is called with the unit of work and the events, on the transaction's
connection: the webhook outbox and the document renderer write their rows there, so they are
committed with the state change or not at all. A listener that raises rolls the whole call back.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

Listener = Callable[["object", list["Event"]], None]  # (Unit, events)

# The modules whose import registers the product's listeners. Imported on the first change a
# process makes, so no entry point (CLI, web app, worker, a script) can run without them.
LISTENER_MODULES = ("engine.documents", "engine.reports", "webhooks.outbox", "webhooks.inbound")

_listeners: list[Listener] = []
_installed = False


@dataclass(frozen=True)
class Event:
    action: str  # e.g. "task.completed", "instance.started", "incident.raised"
    at: datetime
    actor: str
    business_key: str | None
    instance_id: str | None
    task_id: str | None
    details: dict[str, Any]  # as stored in the audit row
    # Not stored in the audit row (it may hold case data): e.g. for task.completed the task's
    # data after completion and its camunda:properties (document, integration).
    context: dict[str, Any] = field(default_factory=dict)


def subscribe(listener: Listener) -> Listener:
    """Register a listener (usable as a decorator); registering the same one twice is a no-op."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def install() -> None:
    global _installed
    if not _installed:
        for name in LISTENER_MODULES:
            importlib.import_module(name)
        _installed = True


def publish(unit, events: list[Event]) -> None:
    install()
    for listener in list(_listeners):
        listener(unit, events)


# Incidents raised by a listener (kind other than "engine") are retried by the function its module
# registers: retry(unit, incident_row) raises to fail the retry again.
_retries: dict[str, Callable] = {}


def on_retry(kind: str, retry: Callable) -> None:
    _retries[kind] = retry


def retry_for(kind: str) -> Callable | None:
    install()
    return _retries.get(kind)
