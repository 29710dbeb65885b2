"""Prepared writes for the per-step path.

Completing a task writes about ten small rows. Through SQLAlchemy's execution machinery each
statement costs some 60-80 µs of Python before the database sees it — more than SQLite needs
to run it, and more than SpiffWorkflow needs for a whole step of a small model. A `Prepared`
statement is compiled once per dialect and parameter set, its values converted with the
column types' own bind processors (JSON, UTCDateTime), and run on the DBAPI cursor of the
same connection, so it stays inside the caller's transaction.

Only plain INSERT, UPDATE and DELETE with scalar parameters belong here; reads, and anything
with an expanding IN list, go through SQLAlchemy as usual.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Mapping, Sequence

from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import UpdateBase

_Plan = tuple[str, tuple[str, ...] | None, dict[str, Callable[[Any], Any]]]


class Prepared:
    def __init__(self, statement: UpdateBase):
        self.statement = statement
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}
        self._lock = threading.Lock()

    def _plan(self, dialect, keys: tuple[str, ...]) -> _Plan:
        compiled = self.statement.compile(dialect=dialect, column_keys=list(keys))
        positional = dialect.paramstyle in ("qmark", "numeric", "format")
        names = tuple(compiled.positiontup) if positional else None
        processors = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        return compiled.string, names, processors

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
        sql, names, processors = plan
        converted = []
        for row in rows:
            values = {k: processors[k](v) if k in processors else v for k, v in row.items()}
            converted.append(tuple(values[n] for n in names) if names is not None else values)
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            if len(converted) == 1:
                cursor.execute(sql, converted[0])
            else:
                cursor.executemany(sql, converted)
            return cursor.rowcount
        finally:
            cursor.close()
