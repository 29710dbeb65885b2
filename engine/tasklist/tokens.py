"""Bearer tokens for the REST API: made and revoked by an admin, each acting as one account.

A token is 32 random bytes (`secrets.token_urlsafe`), so it is stored as its plain sha256 and
looked up by that hash. A password needs a slow, salted hash (argon2) because people choose
guessable ones and a stolen table could be attacked word by word; a 256-bit random token cannot
be guessed, so a fast hash is as safe, and it lets every API request be checked with one indexed
lookup instead of an argon2 verification (~0.1-1 s of CPU on a busy server).

The token is returned once, by `create`; the table keeps the hash, a short prefix to tell tokens
apart, who made it, when it was last used, and when and by whom it was revoked. A token's roles
are its account's roles at the time of each request; a deactivated account's tokens stop working.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from engine import clock
from engine.store import models
from engine.store.db import Database

from . import accounts

PREFIX = "swt_"  # recognisable in logs and secret scanners
# last_used_at is a hint for admins, not an audit: write it at most once a minute per token.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token cannot be made or revoked as asked (the message says why)."""


@dataclass(frozen=True)
class TokenInfo:
    id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(db: Database, username: str, name: str, actor: str) -> tuple[TokenInfo, str]:
    """A new token for `username`: (what is stored about it, the token itself, shown only now)."""
    name = (name or "").strip()
    if not name:
        raise TokenError("Enter a name for the token, such as the tool or person that will use it")
    if len(name) > 100:
        raise TokenError("The token's name must be 100 characters or fewer")
    token = PREFIX + secrets.token_urlsafe(32)
    with db.transaction() as session:
        user = session.scalar(select(models.UserAccount).where(models.UserAccount.username == (username or "").strip()))
        if user is None or not user.active:
            raise TokenError("Choose an active account for the token to act as")
        row = models.ApiToken(user_id=user.id, name=name, token_hash=digest(token), prefix=token[:10],
                              created_at=clock.now(), created_by=actor)
        session.add(row)
        session.flush()
        session.add(models.AuditEvent(at=row.created_at, actor=actor, action="api_token.created",
                                      details={"token_id": row.id, "user": user.username, "name": name}))
        return _info(row, user.username), token


def revoke(db: Database, token_id: int, actor: str) -> TokenInfo:
    with db.transaction() as session:
        row = session.get(models.ApiToken, token_id)
        if row is None:
            raise TokenError(f"There is no token {token_id}")
        if row.revoked_at is not None:
            raise TokenError(f"Token '{row.name}' was already revoked by {row.revoked_by}")
        row.revoked_at, row.revoked_by = clock.now(), actor
        user = session.get(models.UserAccount, row.user_id)
        session.add(models.AuditEvent(at=row.revoked_at, actor=actor, action="api_token.revoked",
                                      details={"token_id": row.id, "user": user.username, "name": row.name}))
        return _info(row, user.username)


def listing(db: Database) -> list[TokenInfo]:
    """Every token, newest first (revoked ones too: they are the record of who had access)."""
    with db.reader() as session:
        rows = session.execute(select(models.ApiToken, models.UserAccount.username)
                               .join(models.UserAccount, models.UserAccount.id == models.ApiToken.user_id)
                               .order_by(models.ApiToken.id.desc())).all()
        return [_info(row, username) for row, username in rows]


def authenticate(db: Database, token: str) -> accounts.Account | None:
    """The active account a live token acts for, or None; notes the time of use."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None
    hashed = digest(token)
    with db.reader() as session:
        found = session.execute(select(models.ApiToken.id, models.ApiToken.user_id, models.ApiToken.revoked_at,
                                       models.ApiToken.last_used_at)
                                .where(models.ApiToken.token_hash == hashed)).first()
        if found is None or found.revoked_at is not None:
            return None
        user = session.get(models.UserAccount, found.user_id)
        if user is None or not user.active:
            return None
        account = accounts.Account.of(user)
    now = clock.now()
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
        with db.transaction() as session:
            session.execute(update(models.ApiToken).where(models.ApiToken.id == found.id).values(last_used_at=now))
    return account


def _info(row: models.ApiToken, username: str) -> TokenInfo:
    return TokenInfo(row.id, username, row.name, row.prefix, row.created_at, row.created_by, row.last_used_at,
                     row.revoked_at, row.revoked_by)
