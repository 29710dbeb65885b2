"""Managing people (the admin pages): create with a password or an invite link, change roles,
team and locality, deactivate. Each change is one transaction with its audit row.

An invite is a one-time link: the token is shown once, only its sha256 is stored (a 256-bit random
token needs no slow hash), and it expires after `INVITE_DAYS`.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Iterable

from sqlalchemy import select, update

from engine import clock
from engine.runtime import Conflict, InvalidInput, NotFound
from engine.runtime.unit import Unit
from engine.store import models
from engine.store.db import Database

from .accounts import Account, hash_password

INVITE_DAYS = 7
MIN_PASSWORD = 12
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,99}")
ROLE = re.compile(r"[a-z][a-z0-9_]{0,99}")
_USERS = models.UserAccount.__table__
_INVITES = models.AccountInvite.__table__


class InvalidAccount(InvalidInput):
    """Field name -> message, for the form's error summary."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class Person:
    """What the admin form edits."""

    username: str = ""
    display_name: str = ""
    team: str = ""
    locality: str = ""
    roles: list[str] = field(default_factory=list)

    def check(self, *, new: bool) -> dict[str, str]:
        errors = {}
        if new and not USERNAME.fullmatch(self.username):
            errors["username"] = "Enter a username of 2 to 100 lower-case letters, numbers, '.', '_' or '-'"
        if not self.display_name.strip() or len(self.display_name) > 200:
            errors["display_name"] = "Enter the person's name (200 characters or fewer)"
        if len(self.team) > 100:
            errors["team"] = "The team must be 100 characters or fewer"
        if len(self.locality) > 60:
            errors["locality"] = "The locality must be 60 characters or fewer"
        bad = [r for r in self.roles if not ROLE.fullmatch(r)]
        if bad:
            errors["roles"] = f"Role names are lane names: lower-case letters, numbers and '_' ({', '.join(bad)})"
        return errors


def known_roles(db: Database) -> list[str]:
    """The roles anyone holds, any task has had, or a deployed process's lanes name."""
    with db.reader() as session:
        found = set(session.scalars(select(models.UserRole.role).distinct()))
        found |= set(session.scalars(select(models.TaskRole.role).distinct()))
        for spec in session.scalars(select(models.ProcessDefinition.spec)):
            found |= set(_lanes(spec))
    return sorted(r for r in found if r and ROLE.fullmatch(r))


def _lanes(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "lane" and isinstance(item, str):
                yield item
            else:
                yield from _lanes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _lanes(item)


def people(db: Database) -> list[models.UserAccount]:
    with db.reader() as session:
        rows = list(session.scalars(select(models.UserAccount).order_by(models.UserAccount.username)))
        for row in rows:
            row.role_names = [r.role for r in row.roles]
        return rows


def get(db: Database, user_id: int) -> models.UserAccount:
    with db.reader() as session:
        row = session.get(models.UserAccount, user_id)
        if row is None:
            raise NotFound(f"no user {user_id}")
        row.role_names = [r.role for r in row.roles]
        return row


def _audit(conn, db: Database, actor: str, action: str, **details) -> None:
    unit = Unit(conn, db.url, actor)
    unit.audit(action, **details)
    unit.flush_audit()


def create(db: Database, person: Person, actor: str, *, password: str | None = None,
           invite: bool = False) -> tuple[Account, str | None]:
    """A new account with a password, or with an invite token (returned once)."""
    errors = person.check(new=True)
    if invite == (password is not None):
        errors["sign_in"] = "Choose how the person will sign in"
    elif password is not None and len(password) < MIN_PASSWORD:
        errors["password"] = f"The password must be at least {MIN_PASSWORD} characters"
    if errors:
        raise InvalidAccount(errors)
    with db.transaction() as session:
        if session.scalar(select(models.UserAccount.id).where(models.UserAccount.username == person.username)):
            raise InvalidAccount({"username": "That username is taken: choose another"})
        row = models.UserAccount(username=person.username, display_name=person.display_name.strip(),
                                 team=person.team.strip() or None, locality=person.locality.strip() or None,
                                 password_hash=hash_password(password) if password else None, active=True,
                                 created_at=clock.now())
        row.roles = [models.UserRole(role=r) for r in sorted(set(person.roles))]
        session.add(row)
        session.flush()
        token = _new_invite(session.connection(), row.id, actor) if invite else None
        _audit(session.connection(), db, actor, "user.created", username=row.username, roles=sorted(set(person.roles)),
               team=row.team, locality=row.locality, invited=invite)
        return Account.of(row), token


def update_person(db: Database, user_id: int, person: Person, actor: str) -> Account:
    errors = person.check(new=False)
    if errors:
        raise InvalidAccount(errors)
    with db.transaction() as session:
        row = session.get(models.UserAccount, user_id)
        if row is None:
            raise NotFound(f"no user {user_id}")
        before = {"display_name": row.display_name, "team": row.team, "locality": row.locality,
                  "roles": [r.role for r in row.roles]}
        wanted = sorted(set(person.roles))
        if row.username == actor and "admin" in before["roles"] and "admin" not in wanted:
            raise InvalidAccount({"roles": "You cannot take the admin role from yourself"})
        row.display_name, row.team = person.display_name.strip(), person.team.strip() or None
        row.locality = person.locality.strip() or None
        row.roles = [r for r in row.roles if r.role in wanted] + [
            models.UserRole(role=r) for r in wanted if r not in before["roles"]]
        session.flush()
        after = {"display_name": row.display_name, "team": row.team, "locality": row.locality, "roles": wanted}
        changed = {k: after[k] for k in after if after[k] != before[k]}
        if changed:
            _audit(session.connection(), db, actor, "user.updated", username=row.username, **changed)
        return Account.of(row)


def set_active(db: Database, user_id: int, active: bool, actor: str) -> Account:
    """Deactivate (their sessions end at their next request: inactive accounts are not loaded) or reactivate."""
    with db.transaction() as session:
        row = session.get(models.UserAccount, user_id)
        if row is None:
            raise NotFound(f"no user {user_id}")
        if row.username == actor and not active:
            raise Conflict("You cannot deactivate your own account")
        if row.active != active:
            row.active = active
            session.flush()
            _audit(session.connection(), db, actor, "user.reactivated" if active else "user.deactivated",
                   username=row.username)
        return Account.of(row)


def invite(db: Database, user_id: int, actor: str) -> str:
    """A fresh invite link for an existing person (e.g. a forgotten password); earlier ones stop working."""
    with db.transaction() as session:
        row = session.get(models.UserAccount, user_id)
        if row is None:
            raise NotFound(f"no user {user_id}")
        if not row.active:
            raise Conflict(f"{row.username} is deactivated: reactivate the account first")
        conn = session.connection()
        token = _new_invite(conn, row.id, actor)
        _audit(conn, db, actor, "user.invited", username=row.username)
        return token


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_invite(conn, user_id: int, actor: str) -> str:
    now = clock.now()
    conn.execute(update(_INVITES).where(_INVITES.c.user_id == user_id, _INVITES.c.used_at.is_(None)).values(used_at=now))
    token = secrets.token_urlsafe(32)
    conn.execute(_INVITES.insert().values(user_id=user_id, token_sha256=_digest(token), created_by=actor,
                                          created_at=now, expires_at=now + timedelta(days=INVITE_DAYS)))
    return token


def invited(db: Database, token: str) -> Account | None:
    """The active person an unused, unexpired invite is for; None otherwise."""
    with db.reader() as session:
        row = session.execute(select(_INVITES).where(_INVITES.c.token_sha256 == _digest(token))).first()
        if row is None or row.used_at is not None or row.expires_at <= clock.now():
            return None
        user = session.get(models.UserAccount, row.user_id)
        return Account.of(user) if user is not None and user.active else None


def accept_invite(db: Database, token: str, password: str, confirm: str) -> Account:
    """Set the password from an invite; the invite is then used up."""
    if len(password) < MIN_PASSWORD:
        raise InvalidAccount({"password": f"Your password must be at least {MIN_PASSWORD} characters"})
    if password != confirm:
        raise InvalidAccount({"confirm": "The two passwords are not the same"})
    with db.transaction() as session:
        conn = session.connection()
        row = conn.execute(select(_INVITES).where(_INVITES.c.token_sha256 == _digest(token)).with_for_update()).first()
        if row is None or row.used_at is not None or row.expires_at <= clock.now():
            raise NotFound("this invite link has been used or has expired")
        user = session.get(models.UserAccount, row.user_id)
        if user is None or not user.active:
            raise NotFound("this invite link has been used or has expired")
        user.password_hash = hash_password(password)
        conn.execute(update(_INVITES).where(_INVITES.c.id == row.id).values(used_at=clock.now()))
        session.flush()
        _audit(conn, db, user.username, "user.password_set", username=user.username)
        return Account.of(user)
