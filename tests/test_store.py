"""The store's per-step helpers: prepared reads return what SQLAlchemy would, and the SQLite
write-ahead log is checkpointed by whoever calls `Database.checkpoint` (the worker)."""
from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import given, strategies as st
from sqlalchemy import DateTime, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from engine import runtime
from engine.catalog import collect, deploy
from engine.runtime import repository

from engine.store import models
from engine.store.fast import PreparedSelect

_HUMAN = models.HumanTask.__table__
_INSTANCES = models.ProcessInstance.__table__
_TASKS = models.WorkflowTask.__table__


def _seed(db, fixtures) -> str:
    """A running instance of the fixtures' review process; returns its open task's id."""
    deploy(db, collect([fixtures / "engine"]), name="fixtures", actor="tester")
    return runtime.start(db, "review", "CASE-1", {}, "tester").created_tasks[0]


QUERY = (
    select(_HUMAN, _INSTANCES.c.version.label("instance_version"))
    .join(_INSTANCES, _INSTANCES.c.id == _HUMAN.c.instance_id)
    .where(_HUMAN.c.id == bindparam("b_id"))
)


def test_a_prepared_select_returns_the_rows_sqlalchemy_returns(db, fixtures, clock):
    task_id = _seed(db, fixtures)
    prepared = PreparedSelect(QUERY)
    with db.connection() as conn:
        conn.execute(_HUMAN.update().where(_HUMAN.c.id == task_id).values(
            name="Task & <more>", candidate_groups=["team_manager", "früh"], properties={"document": "x"},
            due_at=datetime(2026, 11, 24, 16, 0, tzinfo=timezone.utc)))
        expected = conn.execute(QUERY, {"b_id": task_id}).first()
        got = prepared.first(conn, {"b_id": task_id})
        missing = prepared.first(conn, {"b_id": "nope"})
    assert got is not None and missing is None
    assert got._asdict() == dict(expected._mapping)
    # The column types' own conversions: JSON back to lists/dicts, times back to aware UTC.
    assert got.candidate_groups == ["team_manager", "früh"] and got.properties == {"document": "x"}
    assert got.due_at == datetime(2026, 11, 24, 16, 0, tzinfo=timezone.utc)
    assert got.created_at.tzinfo is not None and got.name == "Task & <more>"
    assert got.instance_version == 1


def test_the_checkpoint_empties_the_sqlite_log_into_the_database_file(db, fixtures, clock):
    if not db.is_sqlite:
        assert db.checkpoint() is None  # PostgreSQL manages its own log
        return
    _seed(db, fixtures)
    path = db.url.split("///", 1)[1]
    assert os.path.getsize(path + "-wal") > 0
    busy, frames, copied = db.checkpoint()
    assert busy == 0 and frames > 0 and copied == frames
    # Writers leave checkpoints to the worker until the log is large (engine/store/db.py).
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_000


def test_optimize_gives_sqlite_the_statistics_its_planner_needs(db, fixtures, clock):
    _seed(db, fixtures)
    db.optimize()  # PostgreSQL: nothing to do (autovacuum analyses)
    if db.is_sqlite:
        with db.engine.connect() as conn:
            analysed = {row[0] for row in conn.exec_driver_sql("SELECT tbl FROM sqlite_stat1")}
        assert {"human_task", "process_instance", "audit_event"} <= analysed


def _task_rows(conn, instance_id: str) -> dict[str, str]:
    return dict(conn.execute(select(_TASKS.c.id, _TASKS.c.body).where(_TASKS.c.instance_id == instance_id)).all())


def test_saving_writes_what_changed_even_when_a_task_object_was_rebuilt(db, fixtures, clock):
    """`repository.save` tells tasks apart by object (engine/runtime/repository.py); a task object
    rebuilt under an id already stored (as a transformation of the workflow may do) is rewritten,
    not inserted a second time, and a task that went loses its row."""
    task_id = _seed(db, fixtures)
    instance_id = runtime.task(db, task_id).instance_id
    with db.connection() as conn:
        row = conn.execute(select(_INSTANCES).where(_INSTANCES.c.id == instance_id)).first()
        loaded = repository.load(conn, db.url, repository.InstanceRef.of(row), use_cache=False)
        before = _task_rows(conn, instance_id)
        twin = repository.load(conn, db.url, repository.InstanceRef.of(row), use_cache=False).workflow
        rebuilt = twin.get_task_from_id(UUID(task_id))
        rebuilt.data["note"] = "written through the rebuilt object"
        loaded.workflow.tasks[rebuilt.id] = rebuilt
        leaf = next(t for t in loaded.workflow.tasks.values() if not t._children and t.id != rebuilt.id)
        del loaded.workflow.tasks[leaf.id]
        repository.save(conn, loaded, state="running", next_timer_due=None, ended_at=None)
        after = _task_rows(conn, instance_id)
    assert set(after) == set(before) - {str(leaf.id)}
    assert json.loads(after[task_id])["data"]["note"] == "written through the rebuilt object"


def test_the_task_role_migration_marks_the_roles_of_closed_tasks(db, fixtures, clock):
    """0014 adds human_task_role.task_open to a database with tasks: the roles of closed tasks get false."""
    from alembic import command

    task_id = _seed(db, fixtures)
    second = runtime.complete(db, task_id, {"decision": "step_down", "rationale": "Needs met"}, "tester").created_tasks[0]
    config = db.alembic_config()
    try:
        command.downgrade(config, "0008_tasklist_filters_comments")
        command.upgrade(config, "head")
    finally:
        command.upgrade(config, "head")  # never leave a shared PostgreSQL schema behind
    roles = models.TaskRole.__table__
    with db.connection() as conn:
        flags = dict(conn.execute(select(roles.c.task_id, roles.c.task_open).where(roles.c.role != "service_manager")).all())
    assert flags == {task_id: False, second: True}


@given(moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                           timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-5)),
                                                      timezone(timedelta(hours=13, minutes=45))])))
def test_times_are_written_for_sqlite_as_sqlalchemy_writes_them(moment):
    """UTCDateTime's own SQLite bind processor (engine/store/models.py) writes what SQLAlchemy's
    DATETIME would after converting to naive UTC, and reads back the same instant."""
    dialect = sqlite.dialect()
    column_type = models.UTCDateTime().dialect_impl(dialect)  # as SQLAlchemy asks for it
    written = column_type.bind_processor(dialect)(moment)
    standard = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert written == standard(moment.astimezone(timezone.utc).replace(tzinfo=None))
    assert column_type.result_processor(dialect, None)(written) == moment


def test_a_naive_time_is_refused_on_every_database():
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        with pytest.raises(ValueError, match="naive datetime"):
            models.UTCDateTime().dialect_impl(dialect).bind_processor(dialect)(datetime(2026, 12, 4, 9, 0))


def test_a_task_state_change_carries_its_role_rows_and_drops_its_draft_whoever_makes_it(db, fixtures, clock):
    """The trigger human_task_state_changed (migration 0015) keeps human_task_role.task_open equal to
    the task being open and drops the task's draft when it closes, for any writer of the state."""
    task_id = _seed(db, fixtures)
    runtime.save_draft(db, task_id, {"rationale": "half-written"}, "tester")
    roles, drafts = models.TaskRole.__table__, models.TaskDraft.__table__

    def flags_and_draft():
        with db.connection() as conn:
            flags = set(conn.execute(select(roles.c.task_open).where(roles.c.task_id == task_id)).scalars())
            return flags, conn.execute(select(drafts.c.task_id).where(drafts.c.task_id == task_id)).first() is not None

    assert flags_and_draft() == ({True}, True)
    with db.connection() as conn:
        conn.execute(_HUMAN.update().where(_HUMAN.c.id == task_id).values(assignee="someone"))  # not the state
    assert flags_and_draft() == ({True}, True)
    with db.connection() as conn:
        conn.execute(_HUMAN.update().where(_HUMAN.c.id == task_id).values(state="cancelled"))
    assert flags_and_draft() == ({False}, False)
    with db.connection() as conn:
        conn.execute(_HUMAN.update().where(_HUMAN.c.id == task_id).values(state="open"))  # as repair reopens one
    assert flags_and_draft() == ({True}, False)
