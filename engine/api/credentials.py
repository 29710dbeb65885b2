"""HTTP Basic without paying argon2 on every request: a short-lived cache of verified credentials.

Why a cache and not "Modeler must use tokens": Camunda Modeler, camunda-deploy and most Camunda
7 scripts send HTTP Basic, and a script listing tasks then completing them sends the same
credentials many times a minute. argon2 is deliberately slow (~0.1 s alone, ~1 s on a loaded
2-core server), so each request would cost that. Tokens are offered too (and are cheaper
still), but refusing Basic would break the tools process owners already have.

What is cached: sha256(username, password) -> the stored argon2 hash it verified against, for
`TTL`. The password itself is never kept. A hit still reads the account row (one indexed
lookup, needed anyway for the current roles) and counts only while the row's hash is the one
that verified and the account is active, so a password change or a deactivation takes effect at
the next request, in every process sharing the database. A wrong password is never cached.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from sqlalchemy import select

from engine import clock
from engine.store import models
from engine.store.db import Database
from engine.tasklist import accounts

TTL = timedelta(minutes=5)
MAX_ENTRIES = 1024


class VerifiedCredentials:
    def __init__(self, ttl: timedelta = TTL, size: int = MAX_ENTRIES):
        self.ttl, self.size = ttl, size
        self._entries: OrderedDict[str, tuple[str, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(db: Database, username: str, password: str) -> str:
        # The database URL is part of the key: tests and tools may serve several databases in one process.
        return hashlib.sha256("\0".join((db.url, username, password)).encode("utf-8")).hexdigest()

    def authenticate(self, db: Database, username: str, password: str) -> accounts.Account | None:
        key = self._key(db, username, password)
        with db.reader() as session:
            row = session.scalar(select(models.UserAccount).where(models.UserAccount.username == username.strip()))
            current = accounts.Account.of(row) if row is not None and row.active and row.password_hash else None
            stored = row.password_hash if current is not None else None
        now = clock.now()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and (hit[0] != stored or hit[1] <= now):
                del self._entries[key]
                hit = None
        if hit is not None and current is not None:
            return current
        verified = accounts.authenticate(db, username, password)  # argon2, same cost for unknown names
        if verified is not None and stored is not None:
            with self._lock:
                self._entries[key] = (stored, now + self.ttl)
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return verified

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


cache = VerifiedCredentials()
