"""Fixtures: a fresh database per test on the backend chosen for this run, and a movable clock.

The suite runs twice in CI: on SQLite (default) and on PostgreSQL, by setting
STEPWISE_TEST_DATABASE_URL to a server URL. Nothing here skips silently: if PostgreSQL is asked
for and unreachable, every test errors.
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from engine import clock as engine_clock
from engine.runtime import repository
from engine.store import models
from engine.store.db import Database

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_URL = os.environ.get("STEPWISE_TEST_DATABASE_URL")


def pytest_report_header(config):
    return f"stepwise database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite (temporary files)'}"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    database.migrate()
    database.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres() -> Database:
    database = Database(POSTGRES_URL)
    with database.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    database.migrate()
    yield database
    database.dispose()


def _empty_postgres(database: Database) -> None:
    tables = ", ".join(t.name for t in models.Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db(request, tmp_path) -> Database:
    repository.cache.clear()
    if POSTGRES_URL:
        database = request.getfixturevalue("_postgres")
        _empty_postgres(database)
        yield database
    else:
        path = tmp_path / "stepwise.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
    repository.cache.clear()


@pytest.fixture
def clock():
    fixed = engine_clock.FixedClock("2026-11-23T09:00:00+00:00")  # a Monday
    with engine_clock.using(fixed):
        yield fixed


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@contextmanager
def _documents_listener(on: bool):
    # Importing engine.documents subscribes its listener, as every entry point of the product does;
    # a test that wants it otherwise gets it so for itself alone, and the next test finds it as it was.
    from engine.documents.listener import on_events
    from engine.runtime import events

    was_on = on_events in events._listeners
    (events.subscribe if on else events.unsubscribe)(on_events)
    try:
        yield
    finally:
        (events.subscribe if was_on else events.unsubscribe)(on_events)


@pytest.fixture
def documents_on():
    """The documents listener on for this test (a completed task makes its document), restored after."""
    with _documents_listener(True):
        yield


@pytest.fixture
def documents_off():
    """The documents listener off for this test (no document, no document incident), restored after."""
    with _documents_listener(False):
        yield
