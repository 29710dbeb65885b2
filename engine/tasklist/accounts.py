"""Local accounts for the task list: argon2 password hashes, roles (BPMN lane names), team, locality."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from engine import clock
from engine.store import models
from engine.store.db import Database

_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


@dataclass(frozen=True)
class Account:
    """A signed-in person, as Flask-Login sees them (read once per request, never a live ORM row)."""

    id: int
    username: str
    display_name: str
    team: str | None
    locality: str | None
    active: bool
    roles: tuple[str, ...]

    # Flask-Login's user protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @classmethod
    def of(cls, row: models.UserAccount) -> "Account":
        return cls(row.id, row.username, row.display_name, row.team, row.locality, row.active,
                   tuple(r.role for r in row.roles))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def save_user(db: Database, username: str, display_name: str, roles: Iterable[str], *, password: str | None = None,
              team: str | None = None, locality: str | None = None, active: bool = True) -> Account:
    """Create or update an account (its roles replaced by `roles`)."""
    with db.transaction() as session:
        row = session.scalar(select(models.UserAccount).where(models.UserAccount.username == username))
        if row is None:
            row = models.UserAccount(username=username, created_at=clock.now(), display_name=display_name)
            session.add(row)
        row.display_name, row.team, row.locality, row.active = display_name, team, locality, active
        if password is not None:
            row.password_hash = hash_password(password)
        wanted = sorted(set(roles))
        row.roles = [r for r in row.roles if r.role in wanted] + [
            models.UserRole(role=role) for role in wanted if role not in {r.role for r in row.roles}]
        session.flush()
        return Account.of(row)


def load(db: Database, user_id: int) -> Account | None:
    with db.reader() as session:
        row = session.get(models.UserAccount, user_id)
        return Account.of(row) if row is not None and row.active else None


def by_username(db: Database, username: str) -> Account | None:
    with db.reader() as session:
        row = session.scalar(select(models.UserAccount).where(models.UserAccount.username == username))
        return Account.of(row) if row is not None else None


def authenticate(db: Database, username: str, password: str) -> Account | None:
    """The active account whose password this is, or None (same cost whether or not the name exists)."""
    with db.reader() as session:
        row = session.scalar(select(models.UserAccount).where(models.UserAccount.username == username.strip()))
        stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row.password_hash or not row.active:
            return None
        return Account.of(row)


def colleagues(db: Database, role: str | None = None) -> list[Account]:
    with db.reader() as session:
        query = select(models.UserAccount).where(models.UserAccount.active.is_(True)).order_by(models.UserAccount.display_name)
        if role:
            query = query.where(models.UserAccount.id.in_(select(models.UserRole.user_id).where(models.UserRole.role == role)))
        return [Account.of(row) for row in session.scalars(query)]


def holding(db: Database, roles: Iterable[str]) -> list[Account]:
    """Active people holding any of these roles, by name (whom a manager may give a task)."""
    roles = sorted(set(roles))
    if not roles:
        return []
    with db.reader() as session:
        query = (select(models.UserAccount).where(models.UserAccount.active.is_(True),
                                                  models.UserAccount.id.in_(select(models.UserRole.user_id)
                                                                            .where(models.UserRole.role.in_(roles))))
                 .order_by(models.UserAccount.display_name, models.UserAccount.username))
        return [Account.of(row) for row in session.scalars(query)]
