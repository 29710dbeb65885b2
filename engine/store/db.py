"""The database handle: engine, sessions, one transaction per service call, migrations."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from . import fast

DEFAULT_SQLITE_PATH = Path("var") / "stepwise.db"
MIGRATIONS = Path(__file__).parent / "migrations"
WAL_AUTOCHECKPOINT_PAGES = 10_000  # about 40 MB of write-ahead log


def default_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _normalise(url: str) -> str:
    # Heroku-style URLs name the driver "postgres"; we use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the task list) proceed while a step commits; NORMAL is durable in WAL mode
    # except for the last transactions on power loss, which is the usual trade for an embedded DB.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # In WAL mode only a checkpoint syncs to disk, and by default the committing writer runs one
    # every 1,000 pages (about every 50 steps), paying the fsync inside a person's request. The
    # worker checkpoints on every poll instead (`Database.checkpoint`); a writer still does it
    # itself past WAL_AUTOCHECKPOINT_PAGES, so the log stays bounded when no worker runs.
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # A deferred transaction that reads then writes can fail with "database is locked" without
    # waiting; writers take the lock up front so they queue on busy_timeout. Readers must not take
    # it, or every task-list page would hold up every completion.
    # Straight to the driver: this runs for every transaction, and the statement needs none of
    # SQLAlchemy's execution machinery.
    statement = "BEGIN" if conn.get_execution_options().get("stepwise_read_only") else "BEGIN IMMEDIATE"
    conn.connection.dbapi_connection.execute(statement)


class Database:
    def __init__(self, url: str | None = None, *, echo: bool = False):
        self.url = _normalise(url or default_url())
        kwargs: dict = {"echo": echo, "future": True}
        if self.is_sqlite:
            path = self.url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "isolation_level": None}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            event.listen(self.engine, "after_cursor_execute", fast.wait_in_pipeline)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readers = sessionmaker(self.engine.execution_options(stepwise_read_only=True), expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        with self._sessions() as session:
            with session.begin():
                yield session

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        """One unit of work at the Core level (no ORM session): the runtime's per-step path."""
        with self.engine.begin() as connection:
            yield connection

    @contextlib.contextmanager
    def reader(self) -> Iterator[Session]:
        """A session for reading only (on SQLite it does not take the write lock)."""
        with self._readers() as session:
            yield session

    def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic)."""
        from alembic import command

        command.upgrade(self.alembic_config(), "head")

    def alembic_config(self):
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        config.attributes["engine"] = self.engine
        return config

    def checkpoint(self) -> tuple[int, int, int] | None:
        """SQLite: copy the write-ahead log into the database file without waiting for readers
        (PASSIVE); returns SQLite's (busy, frames in the log, frames checkpointed). None elsewhere."""
        if not self.is_sqlite:
            return None
        raw = self.engine.raw_connection()
        try:
            return tuple(raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
        finally:
            raw.close()

    def optimize(self) -> None:
        """SQLite: refresh the query planner's statistics (ANALYZE, sampling at most 1,000 rows per
        index so it stays quick on a large file). Without them SQLite guesses, and picked a
        whole-index walk for a case's tasks. PostgreSQL's autovacuum does this itself. (SQLite
        3.40's PRAGMA optimize only analyses tables this connection has queried.)"""
        if not self.is_sqlite:
            return
        raw = self.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA analysis_limit=1000")
            raw.driver_connection.execute("ANALYZE")
        finally:
            raw.close()

    def dispose(self) -> None:
        self.engine.dispose()


def connect(url: str | None = None, *, migrate: bool = True) -> Database:
    database = Database(url)
    if migrate:
        database.migrate()
    return database
