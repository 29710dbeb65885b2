"""The outbox writer: turns the runtime's events into webhook_outbox rows in the same transaction.

Importing this module registers the listener (`engine.runtime.subscribe`). Every process that
changes state (web server, worker, CLI) must import it at start-up, or its changes send nothing.
"""
from __future__ import annotations

import fnmatch
import uuid

from sqlalchemy import select

from engine.runtime import subscribe
from engine.store import models
from engine.store.fast import PreparedSelect

from . import payloads

_SUBSCRIPTIONS = models.WebhookSubscription.__table__
_OUTBOX = models.WebhookOutbox.__table__
# Read in every state-changing transaction, so straight off the DBAPI cursor (engine/store/fast.py).
_ACTIVE = PreparedSelect(
    select(_SUBSCRIPTIONS.c.id, _SUBSCRIPTIONS.c.event_types).where(_SUBSCRIPTIONS.c.active.is_(True)))


def wants(event_types, event_type: str) -> bool:
    """A subscription's list names event types exactly or by shell pattern ("task.*", "lcs.*", "*")."""
    return any(event_type == pattern or fnmatch.fnmatchcase(event_type, pattern) for pattern in event_types or ())


def new_webhook_id() -> str:
    return "msg_" + uuid.uuid4().hex


@subscribe
def write_outbox(unit, events) -> None:
    subscriptions = _ACTIVE.all(unit.conn, {})
    if not subscriptions:
        return
    messages = [(event, kind, payload) for event in events for kind, payload in payloads.of(event)]
    rows = [
        {"subscription_id": sub.id, "event_type": kind, "payload": payload, "webhook_id": new_webhook_id(),
         "state": "pending", "attempts": 0, "next_attempt_at": event.at, "created_at": event.at}
        for event, kind, payload in messages
        for sub in subscriptions
        if wants(sub.event_types, kind)
    ]
    if rows:
        unit.conn.execute(_OUTBOX.insert(), rows)
