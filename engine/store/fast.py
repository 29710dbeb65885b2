"""Prepared statements for the per-step path.

Completing a task writes about ten small rows. Through SQLAlchemy's execution machinery each
statement costs some 60-80 µs of Python before the database sees it — more than SQLite needs
to run it, and more than SpiffWorkflow needs for a whole step of a small model. A `Prepared`
statement is compiled once per dialect and parameter set, its values converted with the
column types' own bind processors (JSON, UTCDateTime), and run on the DBAPI cursor of the
same connection, so it stays inside the caller's transaction.

`PreparedSelect` does the same for the reads of a step (the task and its instance; on a cache miss,
the workflow's rows): rows come back as named tuples with the column types' result processors
applied.

Only statements with scalar parameters belong here; anything with an expanding IN list, and
reads off the per-step path, go through SQLAlchemy as usual.

`pipelined` sends the statements run inside it to PostgreSQL without waiting for each answer
(psycopg's pipeline mode): the writes every step makes then cost two round trips to the server
instead of one each, which counts most where the database is across a network. `Prepared.send` is
a statement whose answer nobody needs; `Prepared.execute` returns the rows affected, so inside a
pipeline it waits for the answers so far.
"""
from __future__ import annotations

import contextlib
import functools
import threading
from collections import namedtuple
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Callable, Iterator, Mapping, Sequence

from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import UpdateBase


@dataclass(frozen=True)
class _Plan:
    sql: str
    # One parameter set (a mapping of names to values) -> what the driver takes: the values in
    # the statement's order (positional paramstyles) or a dict (named ones), each converted by
    # its column type's bind processor.
    convert: Callable[[Mapping[str, Any]], Any]


def _converter(names: Sequence[str], processors: Sequence[Callable | None], positional: bool):
    # Built once per plan: the per-row work is then one itemgetter call and the processors that
    # exist (most columns have none), not a loop over every parameter.
    if len(names) > 1:
        pick = itemgetter(*names)
    else:  # itemgetter of one name returns the value itself, not a tuple
        pick = (lambda row: (row[names[0]],)) if names else (lambda row: ())
    converting = [(index, processor) for index, processor in enumerate(processors) if processor is not None]
    if positional:
        if not converting:
            return pick

        def convert(row):
            values = list(pick(row))
            for index, processor in converting:
                values[index] = processor(values[index])
            return values

        return convert
    by_name = [(names[index], processor) for index, processor in converting]

    def convert_named(row):
        values = dict(zip(names, pick(row)))
        for name, processor in by_name:
            values[name] = processor(values[name])
        return values

    return convert_named


def _compile(statement, dialect, keys: tuple[str, ...] | None = None) -> _Plan:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
    positional = dialect.paramstyle in ("qmark", "numeric", "format")
    names = list(compiled.positiontup if positional else compiled.binds)
    for name in names:
        if keys is not None and name not in keys:
            # SQLAlchemy's own execution would fill in a value written into the statement; this does not.
            raise ValueError(f"a prepared statement takes every value as a parameter: '{name}' is not one of {list(keys)}"
                             " (use bindparam)")
    processors = [compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    return _Plan(compiled.string, _converter(names, processors, positional))


_PIPELINE = "stepwise_pipeline"  # key in the DBAPI connection's info: the open psycopg Pipeline


@functools.cache
def _libpq_pipelines() -> bool:
    import psycopg

    return psycopg.Pipeline.is_supported()  # libpq 14 or newer


def _pipelines_supported(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg" and _libpq_pipelines()


_NOTHING = contextlib.nullcontext()


def pipelined(conn: Connection) -> contextlib.AbstractContextManager:
    """PostgreSQL: send the statements run inside without waiting for each answer; all answers
    are read, and the first error raised, by the end of the block (or earlier, where a result is
    read). Elsewhere, and inside another `pipelined`, it changes nothing.

    Only for statements whose errors the caller does not catch to carry on: an error arrives at
    the next point that waits, which may be a later statement or the block's end."""
    if not _pipelines_supported(conn) or conn.info.get(_PIPELINE) is not None:
        return _NOTHING  # SQLite runs this on every step: no generator, no connection lookups
    return _pipeline(conn)


@contextlib.contextmanager
def _pipeline(conn: Connection) -> Iterator[None]:
    info = conn.info
    with conn.connection.dbapi_connection.pipeline() as pipeline:
        info[_PIPELINE] = pipeline
        try:
            yield
        finally:
            info.pop(_PIPELINE, None)


def wait_in_pipeline(conn: Connection, _cursor, _statement, _parameters, _context, _executemany) -> None:
    """SQLAlchemy looks at a statement's result right after running it (whether it has rows, what
    they are): inside `pipelined`, the answer must be in first. An `after_cursor_execute` listener
    on PostgreSQL engines (engine.store.db), so a SQLAlchemy statement inside a pipeline behaves
    as outside one."""
    pipeline = conn.info.get(_PIPELINE)
    if pipeline is not None:
        pipeline.sync()


class Prepared:
    def __init__(self, statement: UpdateBase):
        self.statement = statement
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}
        self._lock = threading.Lock()

    def execute(self, conn: Connection, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> int:
        """Run with one parameter set, or many (executemany); returns the rows affected.

        The statement is compiled for the names of the first parameter set, in their order.
        Inside `pipelined` this waits for the server's answers so far: use `send` when the count
        does not matter."""
        return self._run(conn, params, counted=True)

    def send(self, conn: Connection, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> None:
        """Run like `execute`, without the count: inside `pipelined` it does not wait for the server."""
        self._run(conn, params, counted=False)

    def _run(self, conn: Connection, params, *, counted: bool) -> int:
        if type(params) is dict or (type(params) is not list and isinstance(params, Mapping)):
            rows = [params]
        else:
            rows = params if type(params) is list else list(params)
            if not rows:
                return 0
        first = rows[0]
        dialect = conn.dialect
        key = (dialect.name, tuple(first))
        plan = self._plans.get(key)
        if plan is None:
            with self._lock:
                plan = self._plans[key] = _compile(self.statement, dialect, tuple(sorted(first)))
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            if len(rows) == 1:  # sqlite3's executemany costs more than execute for a single row
                cursor.execute(plan.sql, plan.convert(first))
            else:
                cursor.executemany(plan.sql, [plan.convert(row) for row in rows])
            if counted and dialect.name == "postgresql" and (pipeline := conn.info.get(_PIPELINE)) is not None:
                pipeline.sync()  # psycopg knows the count only once the answer is in
            return cursor.rowcount
        finally:
            cursor.close()


class PreparedSelect:
    """A SELECT compiled once per dialect, run on the connection's DBAPI cursor."""

    def __init__(self, statement: Select):
        self.statement = statement
        self._plans: dict[str, tuple[_Plan, Callable]] = {}
        self._lock = threading.Lock()

    def _plan(self, dialect):
        columns = list(self.statement.selected_columns)
        row_type = namedtuple("Row", [column.key for column in columns])
        processors = [(index, processor) for index, column in enumerate(columns)
                      if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None]

        def make_row(values):
            if processors:
                values = list(values)
                for index, processor in processors:
                    values[index] = processor(values[index])
            return row_type._make(values)

        return _compile(self.statement, dialect), make_row

    def send(self, conn: Connection, params: Mapping[str, Any]) -> "Pending":
        """Run the query; its rows are read when asked for. Inside `pipelined`, queries sent one
        after another then cost one round trip together."""
        dialect = conn.dialect
        entry = self._plans.get(dialect.name)
        if entry is None:
            with self._lock:
                entry = self._plans[dialect.name] = self._plan(dialect)
        plan, make_row = entry
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(plan.sql, plan.convert(params))
        except BaseException:
            cursor.close()
            raise
        return Pending(cursor, make_row)

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list:
        return self.send(conn, params).all()

    def first(self, conn: Connection, params: Mapping[str, Any]):
        rows = self.all(conn, params)
        return rows[0] if rows else None


class Pending:
    """The rows of a query sent by `PreparedSelect.send`, read once."""

    def __init__(self, cursor, make_row: Callable):
        self._cursor, self._make_row = cursor, make_row

    def all(self) -> list:
        try:
            fetched = self._cursor.fetchall()
        finally:
            self._cursor.close()
        return [self._make_row(values) for values in fetched]
