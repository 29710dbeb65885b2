"""Prepared statements for the per-step path.

Completing a task writes about ten small rows. Through SQLAlchemy's execution machinery each
statement costs some 60-80 µs of Python before the database sees it — more than SQLite needs
to run it, and more than SpiffWorkflow needs for a whole step of a small model. A `Prepared`
statement is compiled once per dialect and parameter set, its values converted with the
column types' own bind processors (JSON, UTCDateTime), and run on the DBAPI cursor of the
same connection, so it stays inside the caller's transaction.

`PreparedSelect` does the same for the one or two reads of every step (the task and its
instance): rows come back as named tuples with the column types' result processors applied.

Only statements with scalar parameters belong here; anything with an expanding IN list, and
reads off the per-step path, go through SQLAlchemy as usual.
"""
from __future__ import annotations

import threading
from collections import namedtuple
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import UpdateBase

@dataclass(frozen=True)
class _Plan:
    sql: str
    positional: bool
    # (parameter name, its type's bind processor or None), in the order the driver wants them
    # (positional paramstyles) or in the compiled statement's order (named ones).
    params: tuple[tuple[str, Callable[[Any], Any] | None], ...]


def _compile(statement, dialect, keys: tuple[str, ...] | None = None) -> _Plan:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
    positional = dialect.paramstyle in ("qmark", "numeric", "format")
    names = compiled.positiontup if positional else list(compiled.binds)
    for name in names:
        if keys is not None and name not in keys:
            # SQLAlchemy's own execution would fill in a value written into the statement; this does not.
            raise ValueError(f"a prepared statement takes every value as a parameter: '{name}' is not one of {list(keys)}"
                             " (use bindparam)")
    return _Plan(compiled.string, positional, tuple(
        (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names))


def _convert(plan: _Plan, row: Mapping[str, Any]):
    values = [row[name] if processor is None else processor(row[name]) for name, processor in plan.params]
    return tuple(values) if plan.positional else dict(zip([name for name, _ in plan.params], values))


class Prepared:
    def __init__(self, statement: UpdateBase):
        self.statement = statement
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}
        self._lock = threading.Lock()

    def _plan(self, dialect, keys: tuple[str, ...]) -> _Plan:
        return _compile(self.statement, dialect, keys)

    def execute(self, conn: Connection, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> int:
        """Run with one parameter set, or many (executemany); returns the rows affected."""
        rows = [params] if isinstance(params, Mapping) else list(params)
        if not rows:
            return 0
        dialect = conn.dialect
        key = (dialect.name, tuple(sorted(rows[0])))
        plan = self._plans.get(key)
        if plan is None:
            with self._lock:
                plan = self._plans[key] = self._plan(dialect, key[1])
        sql = plan.sql
        converted = [_convert(plan, row) for row in rows]
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            if len(converted) == 1:
                cursor.execute(sql, converted[0])
            else:
                cursor.executemany(sql, converted)
            return cursor.rowcount
        finally:
            cursor.close()


class PreparedSelect:
    """A SELECT compiled once per dialect, run on the connection's DBAPI cursor."""

    def __init__(self, statement: Select):
        self.statement = statement
        self._plans: dict[str, tuple[_Plan, type, list]] = {}
        self._lock = threading.Lock()

    def _plan(self, dialect):
        columns = list(self.statement.selected_columns)
        row_type = namedtuple("Row", [column.key for column in columns])
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        return _compile(self.statement, dialect), row_type, processors

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list:
        dialect = conn.dialect
        entry = self._plans.get(dialect.name)
        if entry is None:
            with self._lock:
                entry = self._plans[dialect.name] = self._plan(dialect)
        plan, row_type, processors = entry
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(plan.sql, _convert(plan, params))
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        return [
            row_type(*[p(v) if p is not None else v for p, v in zip(processors, values)])
            for values in fetched
        ]

    def first(self, conn: Connection, params: Mapping[str, Any]):
        rows = self.all(conn, params)
        return rows[0] if rows else None
