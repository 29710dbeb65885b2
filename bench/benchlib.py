"""What the benchmark scripts share: a fresh database to measure on.

Imported by the scripts in this folder after they have imported the `engine` package (bench/engine.py
shares that package's name, so it keeps this folder off sys.path until then).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import event, text

from engine.runtime import repository
from engine.store import Database


def fresh_database(url: str | None, sqlite_file: Path, *,
                   sqlite_factory: type[sqlite3.Connection] | None = None) -> Database:
    """An empty, migrated database: a new SQLite file at `sqlite_file`, or the PostgreSQL server at
    `url` with its schema public dropped and recreated (everything in it is lost).

    `sqlite_factory`: the class of the SQLite connections (to time what happens inside SQLite)."""
    repository.cache.clear()  # workflows cached from an earlier database at the same URL
    if url is None:
        db = Database(f"sqlite:///{sqlite_file}")
        if sqlite_factory is not None:
            event.listen(db.engine, "do_connect",
                         lambda _dialect, _record, _args, params: params.update(factory=sqlite_factory))
    else:
        db = Database(url)
        if db.is_sqlite:
            raise SystemExit("--database-url is for a PostgreSQL server; SQLite runs in a temporary file by default")
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    db.migrate()
    return db
