"""Admin functions: outbound subscriptions, inbound sources, and reading the delivery log."""
from __future__ import annotations

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


def add_subscription(db: Database, url: str, event_types: list[str], *, secret: str | None = None,
                     description: str | None = None, now: datetime | None = None) -> tuple[int, str]:
    """A new subscription; returns (id, secret). The secret is generated unless given."""
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput(f"a webhook URL must be http(s)://host/...; got '{url}'")
    types = [t.strip() for t in event_types if t and t.strip()]
    if not types:
        raise InvalidInput("name at least one event type (or '*')")
    try:
        secret = signing.check_secret(secret) if secret else signing.new_secret()
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    with db.connection() as conn:
        sub_id = conn.execute(_SUBS.insert().returning(_SUBS.c.id).values(
            url=url, secret=secret, event_types=types, description=description, active=True,
            created_at=now or clock.now())).scalar_one()
    return sub_id, secret


def set_active(db: Database, subscription_id: int, active: bool) -> None:
    with db.connection() as conn:
        if conn.execute(_SUBS.update().where(_SUBS.c.id == subscription_id).values(active=active)).rowcount == 0:
            raise NotFound(f"no webhook subscription {subscription_id}")


def subscriptions(db: Database) -> list:
    with db.reader() as session:
        return list(session.execute(select(_SUBS).order_by(_SUBS.c.id)))


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
