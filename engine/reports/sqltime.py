"""Date arithmetic on UTC timestamp columns, per SQL dialect, in one place.

Timestamps are `models.UTCDateTime`: naive UTC text ('YYYY-MM-DD HH:MM:SS[.ffffff]') on SQLite,
`timestamp with time zone` on PostgreSQL. Every function takes the dialect name
(`Database.dialect`: "sqlite" or "postgresql") and returns a SQL expression.
"""
from __future__ import annotations

from sqlalchemy import Date, Integer, cast, func


def _utc_date(column, dialect: str):
    """The UTC calendar day of a timestamp, as a date (PostgreSQL) or 'YYYY-MM-DD' text (SQLite)."""
    if dialect == "sqlite":
        return func.date(column)
    return cast(func.timezone("UTC", column), Date)


def month(column, dialect: str):
    """'YYYY-MM' of the UTC month."""
    if dialect == "sqlite":
        return func.substr(column, 1, 7)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM")


def day(column, dialect: str):
    """'YYYY-MM-DD' of the UTC day, as text."""
    if dialect == "sqlite":
        return func.substr(column, 1, 10)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")


def days_between(later, earlier, dialect: str):
    """Whole UTC calendar days from `earlier`'s day to `later`'s (an integer; NULL if either is)."""
    if dialect == "sqlite":
        return cast(func.julianday(func.date(later)) - func.julianday(func.date(earlier)), Integer)
    return _utc_date(later, dialect) - _utc_date(earlier, dialect)
