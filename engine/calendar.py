"""Working days and local times on England's calendar.

Statutory timescales in children's services count working days (weekends and England bank
holidays excluded), and deadlines are set in London local time, so every result here is
computed in Europe/London and handed back in UTC.
"""
from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@functools.lru_cache(maxsize=None)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(d: date) -> bool:
    return d in _bank_holidays(d.year)


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and not is_bank_holiday(d)


def add_working_days(start: date, n: int) -> date:
    """The date ``n`` working days after ``start`` (``start`` itself never counts).

    ``n == 0`` gives ``start`` when it is a working day, else the next working day.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    d = start
    if n == 0:
        while not is_working_day(d):
            d += timedelta(days=1)
        return d
    while n:
        d += timedelta(days=1)
        if is_working_day(d):
            n -= 1
    return d


def working_days_between(a: date, b: date) -> int:
    """Working days in ``(a, b]``, negative when ``b`` is before ``a``.

    So ``working_days_between(a, add_working_days(a, n)) == n`` for n >= 1.
    """
    if b < a:
        return -working_days_between(b, a)
    count = 0
    d = a + timedelta(days=1)
    while d <= b:
        if is_working_day(d):
            count += 1
        d += timedelta(days=1)
    return count


def parse_hh_mm(hh_mm: str) -> time:
    try:
        hours, minutes = hh_mm.strip().split(":")
        return time(int(hours), int(minutes))
    except (AttributeError, ValueError) as error:
        raise ValueError(f"expected a time as 'HH:MM', got {hh_mm!r}") from error


def parse_weekday(weekday: str) -> int:
    name = str(weekday).strip().lower()
    for index, full in enumerate(WEEKDAYS):
        if name == full or (len(name) >= 3 and full.startswith(name)):
            return index
    raise ValueError(f"expected a weekday such as 'tuesday', got {weekday!r}")


def local_at(d: date, hh_mm: str) -> datetime:
    """``hh_mm`` London time on ``d``, in UTC."""
    return datetime.combine(d, parse_hh_mm(hh_mm), LONDON).astimezone(timezone.utc)


def deadline_at(d: date, hh_mm: str = "17:00") -> datetime:
    return local_at(d, hh_mm)


def _aware(at: datetime) -> datetime:
    # A naive time from a caller means London local time, as a person would read it.
    return at.replace(tzinfo=LONDON) if at.tzinfo is None else at


def next_weekday_at(weekday: str, hh_mm: str, after: datetime) -> datetime:
    """The first ``weekday`` at ``hh_mm`` London time strictly after ``after``, in UTC."""
    target = parse_weekday(weekday)
    after = _aware(after)
    start = after.astimezone(LONDON).date()
    for offset in range(8):
        d = start + timedelta(days=offset)
        if d.weekday() == target:
            candidate = local_at(d, hh_mm)
            if candidate > after:
                return candidate
    raise AssertionError("unreachable: a weekday recurs within 8 days")


def previous_weekday_at(weekday: str, hh_mm: str, before: datetime) -> datetime:
    """The last ``weekday`` at ``hh_mm`` London time strictly before ``before``, in UTC."""
    target = parse_weekday(weekday)
    before = _aware(before)
    start = before.astimezone(LONDON).date()
    for offset in range(8):
        d = start - timedelta(days=offset)
        if d.weekday() == target:
            candidate = local_at(d, hh_mm)
            if candidate < before:
                return candidate
    raise AssertionError("unreachable: a weekday recurs within 8 days")
