"""The reports page (issue 8) for managers and admins: one report per tab, a GET filter form
(period, council, team), GOV.UK tables, SVG charts for the monthly trends with their tables as
the accessible alternative, and CSV downloads audited as the command line's exports are.

Only the roles in `ROLES` see it (and its link); anyone else gets a 404, as for any page outside
a person's roles. The census extract (every case) is a download only: it is not a table to read.
"""
from __future__ import annotations

from collections import defaultdict
from functools import wraps

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from engine import clock
from engine.store import models
from engine.tasklist.manager import MANAGER_ROLES

from . import REPORTS, filterform
from .chart import Series, bar_chart, months_between
from .export import download_csv
from .period import utc_day
from .queries import Report

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

ROLES = MANAGER_ROLES  # the same people as the managers' overdue page
# The tabs, in order (every report but the census extract).
PAGES = {"steps": "Step-ups and step-downs", "re_referrals": "Re-referrals", "tray": "Step-down tray",
         "overdue": "Overdue tasks", "signoffs": "Sign-offs pending", "consent": "Consent", "incidents": "Incidents"}
HEADINGS = {
    "month": "Month", "direction": "Direction", "route": "Route", "outcome": "Outcome", "count": "Count",
    "stepped_down_or_closed": "Stepped down or closed", "re_referred_within_6_months": "Re-referred within 6 months",
    "re_referred_within_12_months": "Re-referred within 12 months", "process": "Procedure", "decisions": "Decisions",
    "allocated": "Allocated", "mean_days": "Mean days", "median_days": "Median days", "max_days": "Most days",
    "still_waiting": "Still waiting", "team": "Team",
    "role": "Role", "overdue": "Overdue", "oldest_due": "Oldest due", "most_days_overdue": "Most days overdue",
    "element": "Element", "task": "Task", "pending": "Pending", "oldest_waiting_since": "Waiting since",
    "longest_waiting_days": "Longest wait (days)", "consent": "Consent", "open": "Open", "oldest_raised": "Oldest raised",
    "longest_open_days": "Longest open (days)", "attempts": "Attempts",
}
NONE = "–"  # an empty figure (no allocation yet, nobody waiting)


def _db():
    from engine.tasklist import database

    return database(current_app)


def _allowed() -> bool:
    return current_user.is_authenticated and bool(ROLES & set(current_user.roles))


def managers_only(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not _allowed():
            abort(404)
        return view(*args, **kwargs)
    return wrapper


@bp.app_context_processor
def navigation():
    return {"may_see_reports": _allowed()}


@bp.app_template_filter("figure")
def figure(value) -> str:
    return NONE if value is None else str(value)


def _choices(db) -> tuple[list[str], list[str]]:
    """The councils and teams the cases hold (the filter's lists)."""
    case = models.Case.__table__
    with db.reader() as session:
        councils = [c for c in session.scalars(select(case.c.council).distinct().where(case.c.council.is_not(None)))]
        teams = [t for t in session.scalars(select(case.c.locality).distinct().where(case.c.locality.is_not(None)))]
    return sorted(councils), sorted(teams)


def _form(db):
    councils, teams = _choices(db)
    return filterform.parse(request.args, councils, teams, utc_day(clock.now())), councils, teams


@bp.get("/")
@managers_only
def index():
    return redirect(url_for("reports.page", name="steps", **request.args))


@bp.get("/<name>")
@managers_only
def page(name: str):
    if name not in PAGES:
        abort(404)
    db = _db()
    form, councils, teams = _form(db)
    report = REPORTS[name](db, form.filters) if form.filters else None
    return _render(name, form, councils, teams, report), 200 if form.filters else 400


def _render(name, form, councils, teams, report: Report | None):
    charts = _charts(name, report, form.filters) if report is not None else []
    numeric = [bool(report.rows) and all(isinstance(r[i], (int, float)) or r[i] is None for r in report.rows)
               for i in range(len(report.columns))] if report else []
    return render_template("reports/page.html", name=name, pages=PAGES, form=form, councils=councils, teams=teams,
                           report=report, charts=charts, headings=HEADINGS, numeric=numeric,
                           error_summary=[{"text": m, "href": f"#{k}"} for k, m in form.errors.items()])


def _charts(name: str, report: Report, filters) -> list[dict]:
    """The trends: per month of the period, every month shown (zero when nothing happened)."""
    months = months_between(filters.start.strftime("%Y-%m"), filters.end.strftime("%Y-%m"))
    if name == "steps":
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for month, direction, _route, _outcome, n in report.rows:
            totals[month][direction] += n
        months = sorted(set(months) | set(totals))
        rows = [(m, totals[m]["step_up"], totals[m]["step_down"]) for m in months]
        return [{"id": "chart-steps", "table_id": "table-steps-by-month",
                 "title": "Step-ups and step-downs started per month",
                 "caption": "Step-ups and step-downs started per month (the table below gives the figures)",
                 "columns": ["Month", "Step-ups", "Step-downs"], "rows": rows,
                 "svg": bar_chart("chart-steps", "Step-ups and step-downs started per month", months,
                                  [Series("Step-ups", [r[1] for r in rows]), Series("Step-downs", [r[2] for r in rows])],
                                  "table-steps-by-month")}]
    if name == "re_referrals":
        found = {row[0]: row[1:] for row in report.rows}
        months = sorted(set(months) | set(found))
        values = [found.get(m, (0, 0, 0)) for m in months]
        return [{"id": "chart-re-referrals", "table_id": "table-re_referrals", "rows": None,
                 "title": "Step-downs or closures and re-referrals per month",
                 "caption": "Step-downs or closures per month, and how many were re-referred within 6 and 12 months "
                            "(the report's table below gives the figures; months with none are not listed)",
                 "svg": bar_chart("chart-re-referrals", "Step-downs or closures and re-referrals per month", months,
                                  [Series("Stepped down or closed", [v[0] for v in values]),
                                   Series("Within 6 months", [v[1] for v in values]),
                                   Series("Within 12 months", [v[2] for v in values])], "table-re_referrals")}]
    return []


def _filename(name: str, filters) -> str:
    parts = [name, filters.start.isoformat(), "to", filters.end.isoformat()]
    parts += [p for p in (filters.council, filters.team) if p]
    return "-".join(parts) + ".csv"


@bp.get("/download/<name>.csv")
@managers_only
def download(name: str):
    if name not in REPORTS:
        abort(404)
    db = _db()
    form, councils, teams = _form(db)
    if form.filters is None:  # nothing exported, nothing audited: show the errors on the page
        page_name = name if name in PAGES else "steps"
        return _render(page_name, form, councils, teams, None), 400
    report = REPORTS[name](db, form.filters)
    filename = _filename(name, form.filters)
    text = download_csv(db, report, filename, form.filters, current_user.username)
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
