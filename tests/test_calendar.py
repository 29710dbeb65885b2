from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from engine import calendar

UTC = timezone.utc

ENGLAND_BANK_HOLIDAYS = [
    date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25),
    date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28),
    date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 3), date(2027, 5, 31),
    date(2027, 8, 30), date(2027, 12, 27), date(2027, 12, 28),
]


@pytest.mark.parametrize("day", ENGLAND_BANK_HOLIDAYS, ids=str)
def test_england_bank_holidays_are_not_working_days(day):
    assert day.weekday() < 5
    assert not calendar.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 2),    # Scotland only
        date(2026, 3, 17),   # St Patrick's Day, Northern Ireland only
        date(2026, 7, 13),   # Battle of the Boyne (substitute), Northern Ireland only
        date(2026, 11, 30),  # St Andrew's Day, Scotland only
        date(2026, 12, 29),
        date(2027, 12, 29),
    ],
    ids=str,
)
def test_other_nations_holidays_are_working_days_in_england(day):
    assert calendar.is_working_day(day)


def test_weekends_are_not_working_days():
    assert not calendar.is_working_day(date(2026, 6, 6))  # Saturday
    assert not calendar.is_working_day(date(2026, 6, 7))  # Sunday
    assert calendar.is_working_day(date(2026, 6, 8))


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (date(2026, 1, 9), 1, date(2026, 1, 12)),     # Friday -> Monday
        (date(2026, 1, 10), 1, date(2026, 1, 12)),    # Saturday -> Monday
        (date(2026, 1, 5), 5, date(2026, 1, 12)),     # a week of working days
        (date(2026, 4, 2), 1, date(2026, 4, 7)),      # over Good Friday and Easter Monday
        (date(2026, 12, 23), 2, date(2026, 12, 29)),  # Christmas Day, weekend, substitute Boxing Day
        (date(2026, 12, 31), 1, date(2027, 1, 4)),    # New Year's Day 2027 is a Friday
        (date(2027, 12, 24), 1, date(2027, 12, 29)),  # both Christmas substitutes in 2027
        (date(2026, 1, 1), 15, date(2026, 1, 22)),    # a statutory 15 working days
    ],
)
def test_add_working_days(start, n, expected):
    assert calendar.add_working_days(start, n) == expected


def test_add_zero_working_days():
    assert calendar.add_working_days(date(2026, 6, 8), 0) == date(2026, 6, 8)  # Monday
    assert calendar.add_working_days(date(2026, 6, 6), 0) == date(2026, 6, 8)  # Saturday
    assert calendar.add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 29)


def test_negative_working_days_are_refused():
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 6, 8), -1)


def test_working_days_between():
    assert calendar.working_days_between(date(2026, 12, 21), date(2027, 1, 4)) == 7
    assert calendar.working_days_between(date(2027, 1, 4), date(2026, 12, 21)) == -7
    assert calendar.working_days_between(date(2026, 6, 8), date(2026, 6, 8)) == 0
    assert calendar.working_days_between(date(2026, 6, 5), date(2026, 6, 8)) == 1  # Fri -> Mon


@given(
    start=st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 12, 31)),
    n=st.integers(min_value=1, max_value=60),
)
def test_working_days_between_inverts_add_working_days(start, n):
    end = calendar.add_working_days(start, n)
    assert calendar.is_working_day(end)
    assert calendar.working_days_between(start, end) == n
    assert calendar.working_days_between(end, start) == -n


def test_deadline_at_is_london_time_in_utc():
    winter = calendar.deadline_at(date(2026, 12, 29))
    assert winter == datetime(2026, 12, 29, 17, 0, tzinfo=UTC)
    assert winter.utcoffset() == timedelta(0)
    assert calendar.deadline_at(date(2026, 7, 1)) == datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    assert calendar.deadline_at(date(2026, 7, 1), "09:30") == datetime(2026, 7, 1, 8, 30, tzinfo=UTC)


def test_next_weekday_at_across_start_of_summer_time():
    # Clocks go forward on Sunday 29 March 2026.
    after = datetime(2026, 3, 26, 12, 0, tzinfo=UTC)  # Thursday, GMT
    assert calendar.next_weekday_at("tuesday", "16:00", after) == datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
    assert calendar.next_weekday_at("sunday", "12:00", after) == datetime(2026, 3, 29, 11, 0, tzinfo=UTC)
    assert calendar.next_weekday_at("saturday", "12:00", after) == datetime(2026, 3, 28, 12, 0, tzinfo=UTC)


def test_next_weekday_at_across_end_of_summer_time():
    # Clocks go back on Sunday 25 October 2026.
    after = datetime(2026, 10, 22, 12, 0, tzinfo=UTC)  # Thursday, BST
    assert calendar.next_weekday_at("tuesday", "16:00", after) == datetime(2026, 10, 27, 16, 0, tzinfo=UTC)
    assert calendar.next_weekday_at("friday", "16:00", after) == datetime(2026, 10, 23, 15, 0, tzinfo=UTC)


def test_next_weekday_at_is_strictly_after():
    meeting = datetime(2026, 12, 22, 16, 0, tzinfo=UTC)  # Tuesday 16:00 GMT
    assert calendar.next_weekday_at("tuesday", "16:00", meeting - timedelta(minutes=1)) == meeting
    assert calendar.next_weekday_at("tuesday", "16:00", meeting) == meeting + timedelta(days=7)


def test_next_weekday_at_across_midnight_in_london():
    # 23:30 UTC on Monday 29 June is already Tuesday 00:30 in London.
    after = datetime(2026, 6, 29, 23, 30, tzinfo=UTC)
    assert calendar.next_weekday_at("tuesday", "16:00", after) == datetime(2026, 6, 30, 15, 0, tzinfo=UTC)


def test_previous_thursday_before_a_tuesday_meeting():
    meeting = calendar.next_weekday_at("tuesday", "16:00", datetime(2026, 4, 1, tzinfo=UTC))
    assert meeting == datetime(2026, 4, 7, 15, 0, tzinfo=UTC)  # BST
    assert calendar.previous_weekday_at("thursday", "16:00", meeting) == datetime(2026, 4, 2, 15, 0, tzinfo=UTC)


def test_previous_weekday_at_across_start_of_summer_time():
    meeting = datetime(2026, 3, 31, 15, 0, tzinfo=UTC)  # Tuesday 16:00 BST
    # The Thursday before is still GMT.
    assert calendar.previous_weekday_at("thursday", "16:00", meeting) == datetime(2026, 3, 26, 16, 0, tzinfo=UTC)


def test_previous_weekday_at_is_strictly_before():
    deadline = datetime(2026, 12, 17, 16, 0, tzinfo=UTC)  # Thursday 16:00 GMT
    assert calendar.previous_weekday_at("thursday", "16:00", deadline + timedelta(minutes=1)) == deadline
    assert calendar.previous_weekday_at("thursday", "16:00", deadline) == deadline - timedelta(days=7)


def test_naive_times_are_london_local():
    after = datetime(2026, 7, 7, 15, 30)  # Tuesday 15:30 in London, 14:30 UTC
    assert calendar.next_weekday_at("tuesday", "16:00", after) == datetime(2026, 7, 7, 15, 0, tzinfo=UTC)


def test_results_are_utc():
    result = calendar.next_weekday_at("Tue", "16:00", datetime(2026, 7, 1, tzinfo=UTC))
    assert result.tzinfo == UTC


@pytest.mark.parametrize("weekday, hh_mm", [("funday", "16:00"), ("tu", "16:00"), ("tuesday", "25:00"), ("tuesday", "4pm")])
def test_bad_weekday_or_time(weekday, hh_mm):
    with pytest.raises(ValueError):
        calendar.next_weekday_at(weekday, hh_mm, datetime(2026, 7, 1, tzinfo=UTC))
