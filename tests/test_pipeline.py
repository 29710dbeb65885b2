"""Prepared statements sent in a pipeline (engine.store.fast.pipelined), on both databases.

On PostgreSQL the statements inside `pipelined` go out without waiting for each answer; on SQLite
the block changes nothing. Either way the statements take effect, counts are true, and an error
rolls the whole transaction back.
"""
from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select

from engine import runtime
from engine.catalog import collect, deploy
from engine.store import fast, models
from engine.store.fast import Prepared, PreparedSelect, pipelined

_HUMAN = models.HumanTask.__table__
_ROLES = models.TaskRole.__table__
_RENAME = Prepared(_HUMAN.update().where(_HUMAN.c.id == bindparam("b_id")).values(name=bindparam("name")))
_INSERT_ROLE = Prepared(_ROLES.insert())


def _seed(db, fixtures) -> str:
    deploy(db, collect([fixtures / "engine"]), name="fixtures", actor="tester")
    return runtime.start(db, "review", "CASE-1", {}, "tester").created_tasks[0]


def _pipelining(conn) -> bool:
    """Whether the driver connection is in pipeline mode right now (psycopg's own flag)."""
    pgconn = getattr(conn.connection.dbapi_connection, "pgconn", None)
    return pgconn is not None and pgconn.pipeline_status != 0


def _name(db, task_id: str) -> str:
    with db.reader() as session:
        return session.scalar(select(_HUMAN.c.name).where(_HUMAN.c.id == task_id))


def test_statements_sent_in_a_pipeline_are_written_by_its_end(db, fixtures, clock):
    task_id = _seed(db, fixtures)
    with db.connection() as conn:
        with pipelined(conn):
            assert _pipelining(conn) == (db.dialect == "postgresql")
            _RENAME.send(conn, {"b_id": task_id, "name": "first"})
            with pipelined(conn):  # nested: the outer pipeline carries on
                _RENAME.send(conn, {"b_id": task_id, "name": "second"})
            assert _pipelining(conn) == (db.dialect == "postgresql")
            _INSERT_ROLE.send(conn, [{"task_id": task_id, "role": "auditor"}, {"task_id": task_id, "role": "lawyer"}])
        assert not _pipelining(conn)
        roles = set(conn.execute(select(_ROLES.c.role).where(_ROLES.c.task_id == task_id)).scalars())
    assert _name(db, task_id) == "second"
    assert {"auditor", "lawyer"} <= roles


def test_execute_counts_the_rows_even_inside_a_pipeline(db, fixtures, clock):
    task_id = _seed(db, fixtures)
    with db.connection() as conn:
        with pipelined(conn):
            _RENAME.send(conn, {"b_id": task_id, "name": "queued before the counts"})
            assert _RENAME.execute(conn, {"b_id": "no-such-task", "name": "x"}) == 0
            assert _RENAME.execute(conn, {"b_id": task_id, "name": "counted"}) == 1
            assert _RENAME.execute(conn, [{"b_id": task_id, "name": "again"}, {"b_id": "nope", "name": "y"},
                                          {"b_id": task_id, "name": "last"}]) == 2
    assert _name(db, task_id) == "last"


def test_sqlalchemy_statements_inside_a_pipeline_see_the_statements_sent_before_them(db, fixtures, clock):
    task_id = _seed(db, fixtures)
    with db.connection() as conn:
        with pipelined(conn):
            _RENAME.send(conn, {"b_id": task_id, "name": "sent"})
            assert conn.execute(select(_HUMAN.c.name).where(_HUMAN.c.id == task_id)).scalar_one() == "sent"
            changed = conn.execute(_HUMAN.update().where(_HUMAN.c.id == task_id).values(name="updated"))
            assert changed.rowcount == 1
            _RENAME.send(conn, {"b_id": task_id, "name": "sent last"})
    assert _name(db, task_id) == "sent last"


def test_queries_sent_together_each_get_their_own_rows(db, fixtures, clock):
    task_id = _seed(db, fixtures)
    names = PreparedSelect(select(_HUMAN.c.name, _HUMAN.c.candidate_groups).where(_HUMAN.c.id == bindparam("b_id")))
    roles = PreparedSelect(select(_ROLES.c.role).where(_ROLES.c.task_id == bindparam("b_task")))
    with db.connection() as conn:
        expected_roles = set(conn.execute(select(_ROLES.c.role).where(_ROLES.c.task_id == task_id)).scalars())
        with pipelined(conn):
            _RENAME.send(conn, {"b_id": task_id, "name": "before the reads"})
            first, missing, role_rows = (names.send(conn, {"b_id": task_id}), names.send(conn, {"b_id": "nope"}),
                                         roles.send(conn, {"b_task": task_id}))
            # Read in another order than sent: each answer is its own query's.
            assert {row.role for row in role_rows.all()} == expected_roles
            assert missing.all() == []
            [row] = first.all()
    assert row.name == "before the reads" and isinstance(row.candidate_groups, list)


def test_an_error_in_a_pipeline_rolls_its_whole_transaction_back(db, fixtures, clock):
    task_id = _seed(db, fixtures)
    before = _name(db, task_id)
    with db.connection() as conn:
        taken = conn.execute(select(_ROLES.c.role).where(_ROLES.c.task_id == task_id)).scalars().first()
    with pytest.raises(Exception) as raised:
        with db.connection() as conn:
            _RENAME.send(conn, {"b_id": task_id, "name": "renamed before the pipeline"})
            with pipelined(conn):
                _RENAME.send(conn, {"b_id": task_id, "name": "renamed in the pipeline"})
                _INSERT_ROLE.send(conn, {"task_id": task_id, "role": taken})  # its primary key is taken
                _RENAME.send(conn, {"b_id": task_id, "name": "renamed after the error"})
    assert isinstance(raised.value, db.engine.dialect.loaded_dbapi.IntegrityError)
    assert _name(db, task_id) == before


def test_a_step_sends_the_writes_it_always_makes_in_one_pipeline(db, fixtures, clock, monkeypatch):
    task_id = _seed(db, fixtures)
    seen: list[tuple[str, bool]] = []
    run = Prepared._run

    def recording(self, conn, params, *, counted):
        seen.append((str(self.statement).split()[0] + " " + self.statement.table.name, _pipelining(conn)))
        return run(self, conn, params, counted=counted)

    monkeypatch.setattr(Prepared, "_run", recording)
    runtime.complete(db, task_id, {"decision": "step_down", "rationale": "Needs met by early help."}, "tester")
    pipelined_writes = {statement for statement, inside in seen if inside}
    if db.dialect == "postgresql":
        assert {"UPDATE workflow_task", "UPDATE process_instance", "INSERT human_task",
                "UPDATE human_task"} <= pipelined_writes
        # The audit rows follow the listeners, which run outside: their errors must arrive where raised.
        assert ("INSERT audit_event", False) in seen
    else:
        assert not pipelined_writes and fast._PIPELINE not in db.engine.raw_connection().info
    assert ("UPDATE process_instance", db.dialect == "postgresql") in seen
