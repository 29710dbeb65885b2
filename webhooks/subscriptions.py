"""Admin functions: outbound subscriptions, inbound sources, and reading the delivery log.

Each change to a subscription is one transaction with its audit row (`webhook.subscription_*`,
never the secret). A deleted subscription keeps its rows (the delivery log stays readable by id);
it is hidden from lists, its pending webhooks are cancelled and nothing is sent to it again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

from sqlalchemy import select

from engine import clock
from engine.runtime.errors import InvalidInput, NotFound
from engine.store import models
from engine.store.db import Database

from . import signing

_SUBS = models.WebhookSubscription.__table__
_SOURCES = models.WebhookSource.__table__
_OUTBOX = models.WebhookOutbox.__table__
_ATTEMPTS = models.WebhookAttempt.__table__
_AUDIT = models.AuditEvent.__table__

MAX_URL = 2000
MAX_DESCRIPTION = 300
# An event type or a shell pattern of them: "task.completed", "lcs.*", "*".
_EVENT_TYPE = re.compile(r"^[A-Za-z0-9_.*?-]{1,100}$")


def _audit(conn, action: str, actor: str, at: datetime, **details) -> None:
    conn.execute(_AUDIT.insert().values(at=at, actor=actor, action=action, business_key=None, instance_id=None,
                                        task_id=None, details=details))


def _invalid(field: str, message: str) -> InvalidInput:
    """A refusal that names the input it is about (`field`), for forms to show it in place."""
    error = InvalidInput(message)
    error.field = field
    return error


def check_subscription(url: str | None, event_types, description: str | None = None) -> tuple[str, list[str], str | None]:
    """The cleaned (url, event types, description), or InvalidInput naming what is wrong."""
    url = (url or "").strip() if isinstance(url, str) else url
    if not isinstance(url, str) or not url:
        raise _invalid('url', "enter the URL to send webhooks to")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or any(c.isspace() for c in url):
        raise _invalid('url', f"a webhook URL must be http(s)://host/...; got '{url}'")
    if len(url) > MAX_URL:
        raise _invalid('url', f"a webhook URL is at most {MAX_URL} characters")
    if isinstance(event_types, str) or not isinstance(event_types, (list, tuple)) or \
            not all(isinstance(t, str) for t in event_types):
        raise _invalid('event_types', "event types must be a list of names")
    types = [t.strip() for t in event_types if t and t.strip()]
    if not types:
        raise _invalid('event_types', "name at least one event type (or '*')")
    bad = [t for t in types if not _EVENT_TYPE.match(t)]
    if bad:
        raise _invalid('event_types', f"not an event type or pattern: {', '.join(bad)} (letters, digits, '.', '_', '-', '*', '?')")
    if description is not None and not isinstance(description, str):
        raise _invalid('description', "the description must be text")
    description = (description or "").strip() or None
    if description and len(description) > MAX_DESCRIPTION:
        raise _invalid('description', f"the description is at most {MAX_DESCRIPTION} characters")
    return url, list(dict.fromkeys(types)), description


def add_subscription(db: Database, url: str, event_types: list[str], *, secret: str | None = None,
                     description: str | None = None, now: datetime | None = None,
                     actor: str = "system") -> tuple[int, str]:
    """A new subscription; returns (id, secret). The secret is generated unless given."""
    url, types, description = check_subscription(url, event_types, description)
    if secret is not None and not isinstance(secret, str):
        raise _invalid("secret", "the secret must be text")
    try:
        secret = signing.check_secret(secret) if secret else signing.new_secret()
    except ValueError as error:
        raise _invalid("secret", str(error)) from None
    moment = now or clock.now()
    with db.connection() as conn:
        sub_id = conn.execute(_SUBS.insert().returning(_SUBS.c.id).values(
            url=url, secret=secret, event_types=types, description=description, active=True,
            created_at=moment)).scalar_one()
        _audit(conn, "webhook.subscription_created", actor, moment, subscription_id=sub_id, url=url, event_types=types)
    return sub_id, secret


def set_active(db: Database, subscription_id: int, active: bool, *, actor: str = "system",
               now: datetime | None = None) -> None:
    """Pause (False) or resume (True). A paused subscription keeps its webhooks queued."""
    moment = now or clock.now()
    with db.connection() as conn:
        found = conn.execute(_SUBS.update().where(_SUBS.c.id == subscription_id, _SUBS.c.deleted_at.is_(None))
                             .values(active=active)).rowcount
        if found == 0:
            raise NotFound(f"no webhook subscription {subscription_id}")
        _audit(conn, "webhook.subscription_resumed" if active else "webhook.subscription_paused", actor, moment,
               subscription_id=subscription_id)


def delete_subscription(db: Database, subscription_id: int, *, actor: str = "system",
                        now: datetime | None = None) -> int:
    """Stop for good: hidden from lists, pending webhooks cancelled (returns how many), log kept."""
    moment = now or clock.now()
    with db.connection() as conn:
        found = conn.execute(_SUBS.update().where(_SUBS.c.id == subscription_id, _SUBS.c.deleted_at.is_(None))
                             .values(active=False, deleted_at=moment)).rowcount
        if found == 0:
            raise NotFound(f"no webhook subscription {subscription_id}")
        cancelled = conn.execute(
            _OUTBOX.update().where(_OUTBOX.c.subscription_id == subscription_id, _OUTBOX.c.state == "pending")
            .values(state="cancelled", next_attempt_at=None, last_error="subscription deleted")).rowcount
        _audit(conn, "webhook.subscription_deleted", actor, moment, subscription_id=subscription_id,
               cancelled=cancelled)
    return cancelled


def subscriptions(db: Database, *, include_deleted: bool = False) -> list:
    query = select(_SUBS).order_by(_SUBS.c.id)
    if not include_deleted:
        query = query.where(_SUBS.c.deleted_at.is_(None))
    with db.reader() as session:
        return list(session.execute(query))


def subscription(db: Database, subscription_id: int):
    """One subscription that is not deleted, or NotFound."""
    with db.reader() as session:
        row = session.execute(select(_SUBS).where(_SUBS.c.id == subscription_id, _SUBS.c.deleted_at.is_(None))).first()
    if row is None:
        raise NotFound(f"no webhook subscription {subscription_id}")
    return row


@dataclass(frozen=True)
class Delivery:
    """One webhook of a subscription and each attempt to send it (oldest attempt first)."""
    row: object
    attempts: list


def delivery_log(db: Database, subscription_id: int, *, state: str | None = None, limit: int = 50,
                 offset: int = 0) -> list[Delivery]:
    """A subscription's webhooks, newest first, with their attempts."""
    query = (select(_OUTBOX).where(_OUTBOX.c.subscription_id == subscription_id)
             .order_by(_OUTBOX.c.id.desc()).limit(limit).offset(offset))
    if state is not None:
        query = query.where(_OUTBOX.c.state == state)
    with db.reader() as session:
        rows = list(session.execute(query))
        found: dict[int, list] = {row.id: [] for row in rows}
        if rows:
            for attempt in session.execute(select(_ATTEMPTS).where(_ATTEMPTS.c.outbox_id.in_(list(found)))
                                           .order_by(_ATTEMPTS.c.id)):
                found[attempt.outbox_id].append(attempt)
    return [Delivery(row, found[row.id]) for row in rows]


def delivery_of(db: Database, subscription_id: int, outbox_id: int):
    """One webhook of this subscription, or NotFound (an id of another subscription is not found)."""
    with db.reader() as session:
        row = session.execute(select(_OUTBOX).where(_OUTBOX.c.id == outbox_id,
                                                    _OUTBOX.c.subscription_id == subscription_id)).first()
    if row is None:
        raise NotFound(f"no webhook {outbox_id} for subscription {subscription_id}")
    return row


def add_source(db: Database, name: str, *, secret: str | None = None, now: datetime | None = None) -> str:
    """Allow a system to POST /webhooks/in/<name>; returns the secret it signs with."""
    if not name or not name.replace("_", "").replace("-", "").isalnum() or len(name) > 100:
        raise InvalidInput("a source name is letters, digits, '-' and '_' (at most 100)")
    try:
        secret = signing.check_secret(secret) if secret else signing.new_secret()
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    with db.connection() as conn:
        if conn.execute(_SOURCES.update().where(_SOURCES.c.name == name).values(secret=secret, active=True)).rowcount == 0:
            conn.execute(_SOURCES.insert().values(name=name, secret=secret, active=True, created_at=now or clock.now()))
    return secret


def source_secret(conn, name: str) -> str | None:
    return conn.execute(select(_SOURCES.c.secret).where(_SOURCES.c.name == name, _SOURCES.c.active.is_(True))).scalar()


def outbox(db: Database, *, state: str | None = None, subscription_id: int | None = None, limit: int = 100) -> list:
    query = select(_OUTBOX).order_by(_OUTBOX.c.id.desc()).limit(limit)
    if state is not None:
        query = query.where(_OUTBOX.c.state == state)
    if subscription_id is not None:
        query = query.where(_OUTBOX.c.subscription_id == subscription_id)
    with db.reader() as session:
        return list(session.execute(query))


def attempts(db: Database, outbox_id: int) -> list:
    with db.reader() as session:
        return list(session.execute(select(_ATTEMPTS).where(_ATTEMPTS.c.outbox_id == outbox_id).order_by(_ATTEMPTS.c.id)))
