"""The reports: each a function (db, filters, config) -> Report, reading tables only.

See the package docstring (engine/reports/__init__.py) for how each measure is recognised.
For speed over large histories the SQL reads covering indexes (migrations 0004 and 0011), keeps a
council or team filter as a semi-join on the allowed cases (no per-row join of the case), and
counts in SQL, per dialect where the planners differ (SQLite: per-instance index seeks, materialised
once; PostgreSQL: hash joins); process keys are resolved from the small process_definition table
in Python, and the few per-row rules (direction, outcome) are applied to grouped rows.
"""
from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import and_, case, func, literal, or_, select, type_coerce, union_all

from engine import clock
from engine.store import models
from engine.store.db import Database

from . import sqltime
from .config import DEFAULT, ReportConfig
from .period import Filters, add_months, utc_day

_PI = models.ProcessInstance.__table__
_PD = models.ProcessDefinition.__table__
_CASE = models.Case.__table__
_HT = models.HumanTask.__table__
_FACT = models.ReportFact.__table__
_INC = models.Incident.__table__
_UTC = models.UTCDateTime()


@dataclass
class Report:
    name: str
    title: str
    columns: list[str]
    rows: list[tuple]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


# -- shared pieces --------------------------------------------------------------------------------

def direction_of(key: str, config: ReportConfig = DEFAULT) -> str:
    if config.step_up_marker in key:
        return "step_up"
    if config.step_down_marker in key:
        return "step_down"
    return "other"


def _definitions(session, config: ReportConfig) -> dict[str, str]:
    """Definition id -> process key, for step-up and step-down processes."""
    return {i: k for i, k in session.execute(select(_PD.c.id, _PD.c.key)) if direction_of(k, config) != "other"}


def _cases(filters: Filters):
    """The ids of the cases the council / team filters allow (a select)."""
    query = select(_CASE.c.id)
    if filters.council is not None:
        query = query.where(_CASE.c.council == filters.council)
    if filters.team is not None:
        query = query.where(_CASE.c.locality == filters.team)
    return query


def _with_case(query, instance_case_id, filters: Filters):
    """Keep the rows of the cases the filters allow, when a council or team filter asks.

    A semi-join (`case_id IN (the cases' ids)`), not a join: the database builds the small set of
    allowed cases once and either probes it per row or reads the rows of those cases only."""
    if filters.council is None and filters.team is None:
        return query
    return query.where(instance_case_id.in_(_cases(filters)))


def _with_instance_case(query, instance_id, filters: Filters):
    """As `_with_case` for rows keyed by instance (tasks, facts): `instance_id IN (the allowed
    cases' instances)`, so no per-row look-up of the instance."""
    if filters.council is None and filters.team is None:
        return query
    return query.where(instance_id.in_(select(_PI.c.id).where(_PI.c.case_id.in_(_cases(filters)))))


def _in_period(column, filters: Filters) -> list:
    return [column >= filters.lower, column < filters.upper]


def _outcome(state: str, outcome: str | None) -> str:
    if state == "completed":
        return outcome or "completed"
    return "open" if state == "running" else state


def _days(later: datetime, earlier: datetime) -> int:
    return (utc_day(later) - utc_day(earlier)).days


def _sorted(rows: list[tuple], width: int) -> list[tuple]:
    """Rows in the order of their first `width` (text) columns, the same on every backend
    (PostgreSQL's collation and SQLite's byte order differ on `_`)."""
    return sorted(rows, key=lambda row: tuple("" if v is None else str(v) for v in row[:width]))


def _aware(value) -> datetime:
    return _UTC.process_result_value(value, None)


# -- 1. step-ups and step-downs per month by route and outcome --------------------------------------

def _fact_of(instance_id, name: str):
    """The latest fact `name` of the instance: a correlated look-up on ix_report_fact_instance."""
    return (select(_FACT.c.value).where(_FACT.c.instance_id == instance_id, _FACT.c.name == name)
            .order_by(_FACT.c.id.desc()).limit(1).scalar_subquery())


def _started(db: Database, definitions: dict[str, str], filters: Filters):
    """(month, definition, route, state, outcome, count) of the instances started in the period.

    Per dialect, as each planner is best at it: SQLite (nested loops only) looks the latest route
    and the outcome up per instance (an index seek each), materialised first so that the grouping
    does not repeat the look-ups; PostgreSQL joins the facts (hash joins over the whole period)."""
    where = [*_in_period(_PI.c.started_at, filters), _PI.c.definition_id.in_(sorted(definitions))]
    month = sqltime.month(_PI.c.started_at, db.dialect).label("month")
    if db.is_sqlite:
        started = _with_case(
            select(month, _PI.c.definition_id, _PI.c.state,
                   _fact_of(_PI.c.id, "route").label("route"), _fact_of(_PI.c.id, "outcome").label("outcome"))
            .where(*where), _PI.c.case_id, filters).cte("started").prefix_with("MATERIALIZED")
        columns = (started.c.month, started.c.definition_id, started.c.route, started.c.state, started.c.outcome)
        return select(*columns, func.count()).group_by(*columns)
    latest_route = (select(_FACT.c.instance_id, func.max(_FACT.c.id).label("id"))
                    .where(_FACT.c.name == "route").group_by(_FACT.c.instance_id).subquery())
    route = _FACT.alias("route")
    outcome = _FACT.alias("outcome")
    query = (
        select(month, _PI.c.definition_id, route.c.value, _PI.c.state, outcome.c.value, func.count())
        .select_from(_PI)
        .outerjoin(latest_route, latest_route.c.instance_id == _PI.c.id)
        .outerjoin(route, route.c.id == latest_route.c.id)
        .outerjoin(outcome, and_(outcome.c.instance_id == _PI.c.id, outcome.c.name == "outcome"))
        .where(*where)
        .group_by(month, _PI.c.definition_id, route.c.value, _PI.c.state, outcome.c.value)
    )
    return _with_case(query, _PI.c.case_id, filters)


def steps(db: Database, filters: Filters, config: ReportConfig = DEFAULT) -> Report:
    with db.reader() as session:
        definitions = _definitions(session, config)
        grouped = list(session.execute(_started(db, definitions, filters)))
    counts: dict[tuple, int] = defaultdict(int)
    for month_value, definition_id, route_value, state, outcome_value, n in grouped:
        key = definitions[definition_id]
        counts[(month_value, direction_of(key, config), route_value or key, _outcome(state, outcome_value))] += n
    return Report("steps", "Step-ups and step-downs per month by route and outcome",
                  ["month", "direction", "route", "outcome", "count"],
                  _sorted([(*group, n) for group, n in counts.items()], 4))


# -- 2. re-referrals within 6 and 12 months of a step-down or closure -----------------------------

@dataclass(frozen=True)
class IndexEvent:
    business_key: str
    case_id: int
    instance_id: str
    process_key: str
    outcome: str | None
    ended_at: datetime
    re_referred_at: datetime | None
    re_referral: str | None  # what the re-referral was: a step-up's process key or "front_door"

    @property
    def within_6(self) -> bool:
        return self._within(6)

    @property
    def within_12(self) -> bool:
        return self._within(12)

    def _within(self, months: int) -> bool:
        return self.re_referred_at is not None and utc_day(self.re_referred_at) <= add_months(utc_day(self.ended_at), months)


def _ids(definitions: dict[str, str], direction: str, config: ReportConfig) -> list[str]:
    return sorted(i for i, k in definitions.items() if direction_of(k, config) == direction)


def _closures(definitions: dict[str, str], filters: Filters, config: ReportConfig):
    """Step-downs and closures ending in the period: a select over `_PI` (with its outcome fact
    as `outcome`), the case filters applied."""
    outcome = _FACT.alias("outcome")
    stays = sorted(config.stays_with_social_care)
    query = (
        select(_PI.c.case_id, _PI.c.id, _PI.c.definition_id, outcome.c.value.label("outcome"), _PI.c.ended_at)
        .select_from(_PI)
        .outerjoin(outcome, and_(outcome.c.instance_id == _PI.c.id, outcome.c.name == "outcome"))
        .where(*_in_period(_PI.c.ended_at, filters), _PI.c.state == "completed",
               _PI.c.definition_id.in_(_ids(definitions, "step_down", config)),
               or_(outcome.c.value.is_(None), outcome.c.value.not_in(stays)) if stays else literal(True))
    )
    return _with_case(query, _PI.c.case_id, filters)


def _business_keys(session, case_ids) -> dict[int, str]:
    wanted = set(case_ids)
    if len(wanted) > 1000:  # cheaper to read them all than to send a long IN list
        rows = session.execute(select(_CASE.c.id, _CASE.c.business_key))
        return {i: k for i, k in rows if i in wanted}
    found: dict[int, str] = {}
    ids = sorted(wanted)
    for start in range(0, len(ids), 500):
        found.update(tuple(r) for r in session.execute(
            select(_CASE.c.id, _CASE.c.business_key).where(_CASE.c.id.in_(ids[start:start + 500]))))
    return found


def index_events(db: Database, filters: Filters, config: ReportConfig = DEFAULT) -> list[IndexEvent]:
    """Step-downs and closures ending in the period (in order), each with the first referral after it."""
    outcome = _FACT.alias("outcome")
    with db.reader() as session:
        definitions = _definitions(session, config)
        step_downs = sorted(i for i, k in definitions.items() if direction_of(k, config) == "step_down")
        query = (
            select(_PI.c.case_id, _PI.c.id, _PI.c.definition_id, outcome.c.value, _PI.c.ended_at)
            .select_from(_PI)
            .outerjoin(outcome, and_(outcome.c.instance_id == _PI.c.id, outcome.c.name == "outcome"))
            .where(*_in_period(_PI.c.ended_at, filters), _PI.c.state == "completed", _PI.c.definition_id.in_(step_downs))
        )
        stays = config.stays_with_social_care
        found = sorted((row for row in session.execute(_with_case(query, _PI.c.case_id, filters)) if row[3] not in stays),
                       key=lambda row: (row[4], row[1]))
        cases = {row[0] for row in found}
        referrals = _referrals(session, definitions, cases, filters, config)
        keys = _business_keys(session, cases)
    events = []
    for case_id, instance_id, definition_id, value, ended_at in found:
        moments, whats = referrals.get(case_id, ((), ()))
        position = bisect.bisect_right(moments, ended_at)
        first = (moments[position], whats[position]) if position < len(moments) else (None, None)
        events.append(IndexEvent(keys[case_id], case_id, instance_id, definitions[definition_id], value, ended_at, *first))
    return events


def _referrals(session, definitions: dict[str, str], cases: set[int], filters: Filters, config: ReportConfig,
               *, until=None) -> dict[int, tuple[list, list]]:
    """Per case in `cases`: (sorted moments, what) of its referrals from the period's start (to `until`)."""
    step_ups = sorted(i for i, k in definitions.items() if direction_of(k, config) == "step_up")
    found: list[tuple[int, datetime, str]] = []
    if not cases:
        return {}
    up = select(_PI.c.case_id, _PI.c.started_at, _PI.c.definition_id).where(
        _PI.c.started_at >= filters.lower, _PI.c.definition_id.in_(step_ups))
    door = (select(_PI.c.case_id, _HT.c.created_at).join(_PI, _PI.c.id == _HT.c.instance_id)
            .where(_HT.c.element_id.in_(config.referral_elements), _HT.c.created_at >= filters.lower))
    if until is not None:
        up = up.where(_PI.c.started_at < until)
        door = door.where(_HT.c.created_at < until)
    found += [(c, at, definitions[d]) for c, at, d in session.execute(up) if c in cases]
    found += [(c, at, "front_door") for c, at in session.execute(door) if c in cases]
    found.sort(key=lambda item: (item[0], item[1]))
    out: dict[int, tuple[list, list]] = {}
    for case_id, at, what in found:
        moments, whats = out.setdefault(case_id, ([], []))
        moments.append(at)
        whats.append(what)
    return out


def _referral_moments(definitions: dict[str, str], filters: Filters, config: ReportConfig) -> list:
    """(case_id, at) selects of the referrals from the period's start: step-ups started and
    front-door referrals raised, the case filters applied."""
    holder = _PI.alias("holder")
    ups = select(_PI.c.case_id, _PI.c.started_at.label("at")).where(
        _PI.c.started_at >= filters.lower, _PI.c.definition_id.in_(_ids(definitions, "step_up", config)))
    doors = (select(holder.c.case_id, _HT.c.created_at.label("at")).select_from(_HT)
             .join(holder, holder.c.id == _HT.c.instance_id)
             .where(_HT.c.element_id.in_(config.referral_elements), _HT.c.created_at >= filters.lower))
    return [_with_case(ups, _PI.c.case_id, filters), _with_case(doors, holder.c.case_id, filters)]


def re_referrals(db: Database, filters: Filters, config: ReportConfig = DEFAULT) -> Report:
    """One statement. The step-downs and closures (kind 1) and the referrals (kind 0) of each case
    are stacked and read latest first: the running minimum of the referral moments so far is, at
    each closure, its first referral strictly after it (a referral at the very moment of the
    closure sorts after it in this order, so it is not counted). The 6 and 12 month windows are
    `sqltime.within_months` (the same clamped calendar months as `add_months`)."""
    dialect = db.dialect
    with db.reader() as session:
        definitions = _definitions(session, config)
        closures = _closures(definitions, filters, config).subquery("closures")
        events = union_all(
            select(closures.c.case_id, closures.c.ended_at.label("at"), literal(1).label("kind")),
            *[select(r.c.case_id, r.c.at, literal(0)) for r in (q.subquery() for q in _referral_moments(definitions, filters, config))],
        ).subquery("events")
        first_after = func.min(case((events.c.kind == 0, events.c.at))).over(
            partition_by=events.c.case_id, order_by=(events.c.at.desc(), events.c.kind.desc()), rows=(None, 0))
        ranked = select(events.c.at, events.c.kind, first_after.label("referred_at")).subquery("ranked")
        month = sqltime.month(ranked.c.at, dialect).label("month")

        def within(months: int):
            return func.sum(case((sqltime.within_months(ranked.c.referred_at, ranked.c.at, months, dialect), 1), else_=0))

        query = (select(month, func.count(), within(6), within(12)).where(ranked.c.kind == 1)
                 .group_by(month).order_by(month))
        rows = [(m, n, int(six), int(twelve)) for m, n, six, twelve in session.execute(query)]
    return Report("re_referrals", "Re-referrals within 6 and 12 months of a step-down or closure",
                  ["month", "stepped_down_or_closed", "re_referred_within_6_months", "re_referred_within_12_months"], rows)


# -- 3. days in the step-down tray ---------------------------------------------------------------

@dataclass(frozen=True)
class TrayStay:
    business_key: str
    case_id: int
    process_key: str
    decided_at: datetime
    allocated_at: datetime | None
    state: str  # the instance's state now: a stay with no allocation is waiting only while it runs

    @property
    def waiting(self) -> bool:
        return self.allocated_at is None and self.state in ("running", "incident")


def _tray_elements(table, config: ReportConfig, which: int):
    """The (process, element) pairs of the tray's decisions (which=0) or allocations (1), on `table`."""
    elements = sorted({e for spec in config.tray.values() for e in spec[which]})
    pairs = [and_(table.c.process_key == key, table.c.element_id.in_(spec[which]))
             for key, spec in sorted(config.tray.items()) if spec[which]]
    return and_(table.c.element_id.in_(elements), or_(*pairs)) if pairs else literal(False)


def _decisions(filters: Filters, config: ReportConfig):
    """Per instance (and process): the first completion of a step-down decision element in the period."""
    query = (select(_HT.c.instance_id, _HT.c.process_key, func.min(_HT.c.completed_at).label("decided_at"))
             .where(_tray_elements(_HT, config, 0), *_in_period(_HT.c.completed_at, filters))
             .group_by(_HT.c.instance_id, _HT.c.process_key))
    query = _with_instance_case(query, _HT.c.instance_id, filters)
    return query.subquery("decided")


def _stays(filters: Filters, config: ReportConfig, dialect: str = "sqlite"):
    """Per instance with a step-down decision in the period: process, case, state, decided_at and
    allocated_at (the first allocation completed at or after the decision).

    Per dialect: SQLite looks the allocation up per instance (a seek on the covering index of
    migration 0011); PostgreSQL joins the allocations and takes the earliest (a hash join)."""
    decided = _decisions(filters, config)
    alloc = _HT.alias("alloc")
    if dialect != "sqlite":
        allocations = (select(alloc.c.instance_id, alloc.c.completed_at)
                       .where(_tray_elements(alloc, config, 1), alloc.c.completed_at.is_not(None)).subquery("allocations"))
        return (select(decided.c.instance_id, decided.c.process_key, decided.c.decided_at,
                       func.min(allocations.c.completed_at).label("allocated_at"), _PI.c.state, _PI.c.case_id)
                .select_from(decided).join(_PI, _PI.c.id == decided.c.instance_id)
                .outerjoin(allocations, and_(allocations.c.instance_id == decided.c.instance_id,
                                             allocations.c.completed_at >= decided.c.decided_at))
                .group_by(decided.c.instance_id, decided.c.process_key, decided.c.decided_at, _PI.c.state, _PI.c.case_id))
    allocated_at = type_coerce(
        select(func.min(alloc.c.completed_at))
        .where(alloc.c.instance_id == decided.c.instance_id, _tray_elements(alloc, config, 1),
               alloc.c.completed_at >= decided.c.decided_at)
        .scalar_subquery(), _UTC)
    return (select(decided.c.instance_id, decided.c.process_key, decided.c.decided_at,
                   allocated_at.label("allocated_at"), _PI.c.state, _PI.c.case_id)
            .select_from(decided).join(_PI, _PI.c.id == decided.c.instance_id))


def tray_stays(db: Database, filters: Filters, config: ReportConfig = DEFAULT) -> list[TrayStay]:
    """Per instance whose first step-down decision in the period falls in it, ordered by decision.

    Completions are read from the task table (`human_task.completed_at` of each element; the
    same moments as the `task.completed` audit rows, with the element as an indexed column)."""
    if not config.tray:
        return []
    stays = _stays(filters, config, db.dialect).subquery()
    query = (select(_CASE.c.business_key, stays.c.case_id, stays.c.process_key, stays.c.decided_at,
                    stays.c.allocated_at, stays.c.state)
             .join(_CASE, _CASE.c.id == stays.c.case_id))
    with db.reader() as session:
        found = [TrayStay(*row) for row in session.execute(query)]
    found.sort(key=lambda s: (s.decided_at, s.business_key))
    return found


def tray(db: Database, filters: Filters, config: ReportConfig = DEFAULT) -> Report:
    """Days are counted in SQL and grouped (process, month, days): a few thousand rows at most,
    from which the mean, median and maximum are worked out exactly."""
    now = clock.now()
    dialect = db.dialect
    groups: dict[tuple[str, str], tuple[list[int], list[int], list[int]]] = {}
    if config.tray:
        # Materialised: the allocation look-up is read by two expressions and the grouping.
        stays = _stays(filters, config, db.dialect).cte("stays").prefix_with("MATERIALIZED")
        month = sqltime.month(stays.c.decided_at, dialect).label("month")
        done = sqltime.days_between(stays.c.allocated_at, stays.c.decided_at, dialect).label("done")
        waiting = case((and_(stays.c.allocated_at.is_(None), stays.c.state.in_(("running", "incident"))),
                        sqltime.days_between(literal(now, _UTC), stays.c.decided_at, dialect))).label("waiting")
        query = select(stays.c.process_key, month, done, waiting, func.count()).group_by(
            stays.c.process_key, month, done, waiting)
        with db.reader() as session:
            for key, month_value, done_days, waiting_days, n in session.execute(query):
                total, allocated, waits = groups.setdefault((key, month_value), ([0], [], []))
                total[0] += n
                if done_days is not None:
                    allocated.extend([int(done_days)] * n)
                if waiting_days is not None:
                    waits.extend([int(waiting_days)] * n)
    rows = []
    for (key, month_value), ([total], done, waiting) in sorted(groups.items()):
        done.sort()
        rows.append((key, month_value, total, len(done), round(statistics.fmean(done), 1) if done else None,
                     statistics.median(done) if done else None, max(done) if done else None,
                     len(waiting), max(waiting) if waiting else None))
    return Report("tray", "Days in the step-down tray (step-down decision to early help allocation)",
                  ["process", "month", "decisions", "allocated", "mean_days", "median_days", "max_days",
                   "still_waiting", "longest_waiting_days"], rows)


# -- 4. tasks overdue by team and role; 5. manager sign-offs pending -----------------------------

def overdue(db: Database, filters: Filters, config: ReportConfig = DEFAULT) -> Report:
    now = clock.now()
    team = func.coalesce(_CASE.c.locality, literal("(none)")).label("team")
    role = func.coalesce(_HT.c.lane, literal("(none)")).label("role")
    query = (
        select(team, role, func.count().label("overdue"), func.min(_HT.c.due_at).label("oldest_due"))
        .select_from(_HT)
        .join(_PI, _PI.c.id == _HT.c.instance_id)
        .join(_CASE, _CASE.c.id == _PI.c.case_id)
        .where(_HT.c.state == "open", _HT.c.due_at >= filters.lower, _HT.c.due_at < min(filters.upper, now))
        .group_by(team, role)
    )
    if filters.council is not None:
        query = query.where(_CASE.c.council == filters.council)
    if filters.team is not None:
        query = query.where(_CASE.c.locality == filters.team)
    with db.reader() as session:
        rows = _sorted([(t, r, n, _aware(oldest).isoformat(), _days(now, _aware(oldest)))
                        for t, r, n, oldest in session.execute(query)], 2)
    return Report("overdue", "Open tasks past their due date, by team and role",
                  ["team", "role", "overdue", "oldest_due", "most_days_overdue"], rows)


def signoffs(db: Database, filters: Filters, config: ReportConfig = DEFAULT) -> Report:
    now = clock.now()
    manager = or_(_HT.c.lane.endswith("_manager", autoescape=True),
                  _HT.c.lane.in_(sorted(config.manager_roles)) if config.manager_roles else literal(False))
    query = (
        select(_HT.c.lane, _HT.c.process_key, _HT.c.element_id, func.min(_HT.c.name), func.count(),
               func.min(_HT.c.created_at))
        .where(_HT.c.state == "open", manager, *_in_period(_HT.c.created_at, filters))
        .group_by(_HT.c.lane, _HT.c.process_key, _HT.c.element_id)
    )
    query = _with_instance_case(query, _HT.c.instance_id, filters)
    with db.reader() as session:
        rows = _sorted([(lane, key, element, name, n, _aware(oldest).isoformat(), _days(now, _aware(oldest)))
                        for lane, key, element, name, n, oldest in session.execute(query)], 3)
    return Report("signoffs", "Manager sign-offs pending",
                  ["role", "process", "element", "task", "pending", "oldest_waiting_since", "longest_waiting_days"], rows)


# -- 6. consent outcomes; 7. incidents open -------------------------------------------------------

CONSENT_LABELS = {"given": "given", "refused": "refused", "not_sought_risk": "not sought (risk)"}


def consent(db: Database, filters: Filters, config: ReportConfig = DEFAULT) -> Report:
    query = (select(_FACT.c.process_key, _FACT.c.value, func.count())
             .where(_FACT.c.name == "consent", *_in_period(_FACT.c.at, filters))
             .group_by(_FACT.c.process_key, _FACT.c.value))
    query = _with_instance_case(query, _FACT.c.instance_id, filters)
    with db.reader() as session:
        grouped = [(direction_of(key, config), key, value, n) for key, value, n in session.execute(query)]
    return Report("consent", "Consent outcomes", ["direction", "process", "consent", "count"],
                  [(d, key, CONSENT_LABELS.get(value, value), n) for d, key, value, n in _sorted(grouped, 3)])


def incidents(db: Database, filters: Filters, config: ReportConfig = DEFAULT) -> Report:
    now = clock.now()
    query = (
        select(_PD.c.key, _INC.c.element_id, func.count(), func.min(_INC.c.created_at), func.sum(_INC.c.attempts))
        .join(_PI, _PI.c.id == _INC.c.instance_id)
        .join(_PD, _PD.c.id == _PI.c.definition_id)
        .where(_INC.c.resolved_at.is_(None), *_in_period(_INC.c.created_at, filters))
        .group_by(_PD.c.key, _INC.c.element_id)
    )
    with db.reader() as session:
        rows = _sorted([(key, element, n, _aware(oldest).isoformat(), _days(now, _aware(oldest)), int(attempts))
                        for key, element, n, oldest, attempts in session.execute(_with_case(query, _PI.c.case_id, filters))], 2)
    return Report("incidents", "Incidents open", ["process", "element", "open", "oldest_raised", "longest_open_days",
                                                  "attempts"], rows)


REPORTS: dict[str, Callable[..., Report]] = {
    "steps": steps, "re_referrals": re_referrals, "tray": tray, "overdue": overdue,
    "signoffs": signoffs, "consent": consent, "incidents": incidents,
}
