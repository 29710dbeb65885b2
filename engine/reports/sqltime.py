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


def _month_number(column, dialect: str):
    """year * 12 + month of the UTC month, an integer: months apart is a subtraction."""
    if dialect == "sqlite":
        return cast(func.substr(column, 1, 4), Integer) * 12 + cast(func.substr(column, 6, 2), Integer)
    utc = func.timezone("UTC", column)
    return cast(func.extract("year", utc), Integer) * 12 + cast(func.extract("month", utc), Integer)


def _day_of_month(column, dialect: str):
    if dialect == "sqlite":
        return cast(func.substr(column, 9, 2), Integer)
    return cast(func.extract("day", func.timezone("UTC", column)), Integer)


def within_months(later, earlier, months: int, dialect: str):
    """True when `later`'s UTC day is no later than `earlier`'s day `months` calendar months on,
    clamped to the month's last day as `period.add_months` is (31 August + 6 months = 28/29 Feb).

    Written without date arithmetic: the day is within when it is in an earlier month than the
    target's, or in the target's month on a day of the month no later than `earlier`'s (a day of
    a short month is never past the clamped last day). NULL when `later` is NULL."""
    apart = _month_number(later, dialect) - _month_number(earlier, dialect)
    return (apart < months) | ((apart == months) & (_day_of_month(later, dialect) <= _day_of_month(earlier, dialect)))
