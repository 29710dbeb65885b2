"""Delivery: POST due outbox rows with Standard Webhooks headers, log every attempt, back off, give up.

A worker claims a batch of due rows in one short transaction (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so workers side by side never claim the same row; SQLite runs one worker) and moves
their `next_attempt_at` forward by a lease. It then posts each row and records the attempt in a
transaction of its own. A worker that dies between the POST and that record leaves the row pending
with its lease; when the lease runs out another pass sends it again: delivered at least once,
never lost. Receivers de-duplicate by the `webhook-id` header, which is the same on every retry.

Back-off: after the n-th failed attempt wait 5 s x 2^(n-1); when that wait would exceed 24 hours
the row is marked failed (16 attempts, about 45 hours after the first). `redeliver` puts rows back.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

import httpx
from sqlalchemy import select, update

from engine import clock
from engine.store import models
from engine.store.db import Database

from . import signing

BACKOFF_START = timedelta(seconds=5)
MAX_WAIT = timedelta(hours=24)
BATCH = 10
DEFAULT_TIMEOUT = 10.0
USER_AGENT = "Stepwise-Webhooks/1"

_OUTBOX = models.WebhookOutbox.__table__
_SUBS = models.WebhookSubscription.__table__
_ATTEMPTS = models.WebhookAttempt.__table__
_AUDIT = models.AuditEvent.__table__


def backoff(attempts: int) -> timedelta | None:
    """The wait after `attempts` failed attempts, or None when it is time to give up."""
    wait = BACKOFF_START * (2 ** (attempts - 1))
    return wait if wait <= MAX_WAIT else None


def lease_for(timeout: float) -> timedelta:
    """How long a claimed batch is reserved: every POST of the batch timing out, plus a margin."""
    return timedelta(seconds=timeout * BATCH + 60)


@dataclass(frozen=True)
class Item:
    id: int
    webhook_id: str
    event_type: str
    payload: dict
    attempts: int
    url: str
    secret: str
    due: datetime


@dataclass(frozen=True)
class Result:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class DeliveryRun:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    handled: list[int] = field(default_factory=list)  # outbox ids, in the order they were posted


def _moment(now: datetime | None) -> datetime:
    return now if now is not None else clock.now()


def _wall_clock() -> datetime:
    return datetime.now(timezone.utc)


def deliver_due(
    db: Database,
    now: datetime | None = None,
    limit: int = 100,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    client: httpx.Client | None = None,
    should_stop: Callable[[], bool] | None = None,
    signed_at: Callable[[], datetime] = _wall_clock,
) -> DeliveryRun:
    """Post up to `limit` rows due at `now` (default: the engine clock).

    `should_stop` is asked before each POST (the worker's SIGTERM flag): the row in hand is
    finished, the rest of the claimed batch is released for the next pass. `signed_at` is the
    webhook-timestamp: the real time of sending, because receivers check it against their own clock.
    """
    stop = should_stop or (lambda: False)
    run = DeliveryRun()
    own_client = client is None
    if own_client:
        client = httpx.Client(timeout=timeout, follow_redirects=False, headers={"user-agent": USER_AGENT})
    try:
        while len(run.handled) < limit and not stop():
            batch = _claim(db, _moment(now), min(BATCH, limit - len(run.handled)), lease_for(timeout))
            if not batch:
                break
            for index, item in enumerate(batch):
                if stop():
                    _release(db, batch[index:])
                    break
                result = post(client, item, signed_at(), timeout)
                state = _record(db, item, result, _moment(now))
                run.handled.append(item.id)
                run.delivered += state == "delivered"
                run.retrying += state == "pending"
                run.failed += state == "failed"
    finally:
        if own_client:
            client.close()
    return run


def _claim(db: Database, moment: datetime, size: int, lease: timedelta) -> list[Item]:
    query = (
        select(_OUTBOX.c.id, _OUTBOX.c.webhook_id, _OUTBOX.c.event_type, _OUTBOX.c.payload, _OUTBOX.c.attempts,
               _OUTBOX.c.next_attempt_at, _SUBS.c.url, _SUBS.c.secret)
        .join(_SUBS, _SUBS.c.id == _OUTBOX.c.subscription_id)
        .where(_OUTBOX.c.state == "pending", _OUTBOX.c.next_attempt_at <= moment, _SUBS.c.active.is_(True))
        .order_by(_OUTBOX.c.next_attempt_at, _OUTBOX.c.id)
        .limit(size)
    )
    if not db.is_sqlite:
        query = query.with_for_update(of=_OUTBOX, skip_locked=True)
    with db.connection() as conn:
        rows = conn.execute(query).all()
        _claimed(conn, rows)
        if rows:
            conn.execute(_OUTBOX.update().where(_OUTBOX.c.id.in_([r.id for r in rows]))
                         .values(next_attempt_at=moment + lease))
    return [Item(r.id, r.webhook_id, r.event_type, r.payload, r.attempts, r.url, r.secret, r.next_attempt_at)
            for r in rows]


def _claimed(conn, rows) -> None:
    """Called with the claimed rows still locked (a seam for the concurrency test)."""


def _release(db: Database, items: Iterable[Item]) -> None:
    with db.connection() as conn:
        for item in items:
            conn.execute(_OUTBOX.update().where(_OUTBOX.c.id == item.id, _OUTBOX.c.state == "pending")
                         .values(next_attempt_at=item.due))


def body_of(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def post(client: httpx.Client, item: Item, signed_at: datetime, timeout: float = DEFAULT_TIMEOUT) -> Result:
    body = body_of(item.payload)
    headers = {"content-type": "application/json", **signing.headers(item.secret, item.webhook_id, signed_at, body)}
    started = time.perf_counter()
    status, error = None, None
    try:
        response = client.post(item.url, content=body.encode(), headers=headers, timeout=timeout)
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}: {response.text[:200]}"
    except httpx.TimeoutException:
        error = f"timed out after {timeout:g} s"
    except httpx.HTTPError as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
    return Result(status, error, int((time.perf_counter() - started) * 1000))


def _record(db: Database, item: Item, result: Result, moment: datetime) -> str:
    attempts = item.attempts + 1
    if result.ok:
        values = {"state": "delivered", "delivered_at": moment, "next_attempt_at": None, "last_error": None}
    else:
        wait = backoff(attempts)
        values = ({"state": "pending", "next_attempt_at": moment + wait} if wait is not None
                  else {"state": "failed", "next_attempt_at": None})
        values["last_error"] = result.error
    with db.connection() as conn:
        conn.execute(_ATTEMPTS.insert().values(outbox_id=item.id, at=moment, status_code=result.status_code,
                                               error=result.error, duration_ms=result.duration_ms))
        conn.execute(_OUTBOX.update().where(_OUTBOX.c.id == item.id).values(attempts=attempts, **values))
    return values["state"]


def redeliver(db: Database, outbox_ids: Iterable[int], actor: str, now: datetime | None = None) -> int:
    """Put delivered or failed rows back in the queue, due now, with a fresh back-off (admins)."""
    ids = list(outbox_ids)
    moment = _moment(now)
    with db.connection() as conn:
        changed = conn.execute(
            update(_OUTBOX).where(_OUTBOX.c.id.in_(ids), _OUTBOX.c.state.in_(("delivered", "failed")))
            .values(state="pending", attempts=0, next_attempt_at=moment, last_error=None)
        ).rowcount
        if changed:
            conn.execute(_AUDIT.insert().values(at=moment, actor=actor, action="webhook.redelivered", business_key=None,
                                                instance_id=None, task_id=None, details={"outbox_ids": ids}))
    return changed


def failed_ids(db: Database, subscription_id: int | None = None) -> list[int]:
    query = select(_OUTBOX.c.id).where(_OUTBOX.c.state == "failed").order_by(_OUTBOX.c.id)
    if subscription_id is not None:
        query = query.where(_OUTBOX.c.subscription_id == subscription_id)
    with db.reader() as session:
        return list(session.scalars(query))
