"""The filters every report takes: a period of whole days and optional council / team."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone


@dataclass(frozen=True)
class Filters:
    """`start` and `end` are inclusive UTC calendar days; `team` is the case's locality team."""

    start: date
    end: date
    council: str | None = None
    team: str | None = None

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def lower(self) -> datetime:
        return datetime.combine(self.start, time(), timezone.utc)

    @property
    def upper(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(), timezone.utc)

    def describe(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "council": self.council, "team": self.team}


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later; the month's last day when it is shorter
    (31 August + 6 months = 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def utc_day(moment: datetime) -> date:
    return moment.astimezone(timezone.utc).date()
