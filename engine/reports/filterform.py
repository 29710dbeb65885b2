"""The reports page's filter form (a GET form): a period as two GOV.UK date inputs, a council and
a team chosen from those the cases hold. Parsing never raises: it returns the filters, or the
errors to show (field id -> message, in the page's order) and no filters."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

from .period import Filters, add_months

PARTS = ("day", "month", "year")
LABELS = {"from": "From date", "to": "To date"}
MAX_YEARS = 10


@dataclass
class FilterForm:
    values: dict[str, str]  # as typed, to show again
    errors: dict[str, str] = field(default_factory=dict)  # the field's id -> message
    filters: Filters | None = None

    def query(self) -> dict[str, str]:
        """The query string of these filters (for links and downloads), empty values left out."""
        return {k: v for k, v in self.values.items() if v}


def default_period(today: date) -> tuple[date, date]:
    """The 12 calendar months to today: the first day of the month 11 months ago, to today."""
    return add_months(today.replace(day=1), -11), today


def _date(args: Mapping[str, str], name: str, fallback: date, errors: dict[str, str]) -> date | None:
    parts = {p: (args.get(f"{name}-{p}") or "").strip() for p in PARTS}
    label = LABELS[name]
    if not any(parts.values()):
        return fallback
    missing = [p for p in PARTS if not parts[p]]
    if missing:
        errors[f"{name}-{missing[0]}"] = f"{label} must include a {' and '.join(missing)}"
        return None
    if not all(v.isdigit() for v in parts.values()) or len(parts["year"]) != 4:
        errors[f"{name}-day"] = f"{label} must be a real date, like 31 3 2027"
        return None
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        errors[f"{name}-day"] = f"{label} must be a real date, like 31 3 2027"
        return None


def parse(args: Mapping[str, str], councils: list[str], teams: list[str], today: date) -> FilterForm:
    names = [f"{n}-{p}" for n in ("from", "to") for p in PARTS] + ["council", "team"]
    form = FilterForm({n: (args.get(n) or "").strip() for n in names})
    first, last = default_period(today)
    errors: dict[str, str] = {}
    start = _date(args, "from", first, errors)
    end = _date(args, "to", last, errors)
    council = form.values["council"] or None
    team = form.values["team"] or None
    if council is not None and council not in councils:
        errors["council"] = "Choose a council from the list"
    if team is not None and team not in teams:
        errors["team"] = "Choose a team from the list"
    if start and end and end < start:
        errors["to-day"] = "To date must be the same as or after the from date"
    elif start and end and end > add_months(start, 12 * MAX_YEARS):
        # A chart bar per month: a period of centuries would be a page nobody can read.
        errors["to-day"] = f"The period can be at most {MAX_YEARS} years"
    form.errors = errors
    if not errors:
        form.filters = Filters(start, end, council=council, team=team)
        # Show the period the reports cover, defaults included.
        for name, day in (("from", start), ("to", end)):
            form.values.update({f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)})
    return form
