"""A case-level extract shaped like the Children in Need census items Stepwise can answer.

One row per case with something to report in the period (a referral, an assessment start, a
step-down decision or a closure), columns named after the census items:

| column | from |
|---|---|
| `referral_date`, `referral_source` | the case's first referral in the period: a step-up instance started (source: its process key) or a front-door referral task raised (`front_door`) |
| `assessment_start_date` | the first step-up in the period that ended at an assessment end (config `assessment_ends`: social work assessment, S17, S47, children's team) |
| `cin_plan_end_date` | the first step-down decision in the period (the tray's decision element, e.g. the team manager agreeing the step-down) |
| `closure_date`, `reason_for_closure` | the last step-down or closure in the period (a step-down instance completed at an end other than "stays with social care") and that end event's id |
| `stepped_down_to_early_help` | `Y` when that closure's end is an early help end (config `early_help_ends`), else `N` |

Stepwise holds no plan start (the plan is written in the case system), so that census item is not
in the extract. Dates are UTC days.
"""
from __future__ import annotations

from sqlalchemy import String, and_, cast, func, literal, null, select, union_all

from engine.store.db import Database

from . import sqltime
from .config import DEFAULT, ReportConfig
from .period import Filters
from .queries import (_CASE, _FACT, _HT, _PD, _PI, Report, _closures, _definitions, _ids, _in_period, _tray_elements,
                      _with_case)

COLUMNS = ["case_reference", "council", "locality", "referral_date", "referral_source", "assessment_start_date",
           "cin_plan_end_date", "closure_date", "reason_for_closure", "stepped_down_to_early_help"]


def census(db: Database, filters: Filters, config: ReportConfig = DEFAULT) -> Report:
    """One SQL statement: each item per case as a grouped (or ranked) subquery, left-joined to the
    cases the filters allow; only cases with at least one item come back."""
    dialect = db.dialect
    with db.reader() as session:
        definitions = _definitions(session, config)
        step_ups = _ids(definitions, "step_up", config)

        # Referrals in the period, the first per case (a step-up before a front-door referral at
        # the same moment).
        holder = _PI.alias("holder")
        ups = (select(_PI.c.case_id, _PI.c.started_at.label("at"), literal(0).label("kind"), _PD.c.key.label("source"))
               .join(_PD, _PD.c.id == _PI.c.definition_id)
               .where(*_in_period(_PI.c.started_at, filters), _PI.c.definition_id.in_(step_ups)))
        doors = (select(holder.c.case_id, _HT.c.created_at, literal(1), literal("front_door"))
                 .select_from(_HT).join(holder, holder.c.id == _HT.c.instance_id)
                 .where(_HT.c.element_id.in_(config.referral_elements), *_in_period(_HT.c.created_at, filters)))
        # Each item reads the allowed cases' rows only (the filters also hold on the final join).
        referral = union_all(_with_case(ups, _PI.c.case_id, filters),
                             _with_case(doors, holder.c.case_id, filters)).subquery("referral")
        ranked = select(referral.c.case_id, referral.c.at, referral.c.source, func.row_number().over(
            partition_by=referral.c.case_id, order_by=(referral.c.at, referral.c.kind, referral.c.source)).label("n")
        ).subquery("ranked")
        first_referral = select(ranked.c.case_id, ranked.c.at, ranked.c.source).where(ranked.c.n == 1).subquery("r")

        # Assessments started: the first step-up ending in the period at an assessment end.
        outcome = _FACT.alias("outcome")
        assessment = _with_case(
            select(_PI.c.case_id, func.min(_PI.c.ended_at).label("at")).select_from(_PI)
            .join(outcome, and_(outcome.c.instance_id == _PI.c.id, outcome.c.name == "outcome"))
            .where(*_in_period(_PI.c.ended_at, filters), _PI.c.state == "completed",
                   _PI.c.definition_id.in_(step_ups), outcome.c.value.in_(sorted(config.assessment_ends)))
            .group_by(_PI.c.case_id), _PI.c.case_id, filters).subquery("a")

        # CIN plan end: the first step-down decision in the period (the tray's decision elements).
        plan_end = _with_case(
            select(_PI.c.case_id, func.min(_HT.c.completed_at).label("at")).select_from(_HT)
            .join(_PI, _PI.c.id == _HT.c.instance_id)
            .where(_tray_elements(_HT, config, 0), *_in_period(_HT.c.completed_at, filters))
            .group_by(_PI.c.case_id), _PI.c.case_id, filters).subquery("p")

        # Closure: the last step-down or closure in the period.
        closures = _closures(definitions, filters, config).subquery("closures")
        last = select(closures.c.case_id, closures.c.ended_at, closures.c.outcome, func.row_number().over(
            partition_by=closures.c.case_id, order_by=(closures.c.ended_at.desc(), closures.c.id.desc())).label("n")
        ).subquery("last")
        closure = select(last.c.case_id, last.c.ended_at, last.c.outcome).where(last.c.n == 1).subquery("c")

        # One row per case: the items stacked (NULL where another item's), then grouped by case
        # and joined to the case by its key (no join of the item tables to one another).
        blank = cast(null(), String)  # typed, so PostgreSQL can unify the branches
        items = union_all(
            select(first_referral.c.case_id, sqltime.day(first_referral.c.at, dialect).label("referred"),
                   first_referral.c.source.label("source"), blank.label("assessed"), blank.label("plan_ended"),
                   blank.label("closed"), blank.label("reason"), literal(0).label("has_closure")),
            select(assessment.c.case_id, blank, blank, sqltime.day(assessment.c.at, dialect), blank, blank, blank,
                   literal(0)),
            select(plan_end.c.case_id, blank, blank, blank, sqltime.day(plan_end.c.at, dialect), blank, blank, literal(0)),
            select(closure.c.case_id, blank, blank, blank, blank, sqltime.day(closure.c.ended_at, dialect),
                   closure.c.outcome, literal(1)),
        ).subquery("items")
        per_case = select(items.c.case_id, func.max(items.c.referred).label("referred"),
                          func.max(items.c.source).label("source"), func.max(items.c.assessed).label("assessed"),
                          func.max(items.c.plan_ended).label("plan_ended"), func.max(items.c.closed).label("closed"),
                          func.max(items.c.reason).label("reason"), func.max(items.c.has_closure).label("has_closure"),
                          ).group_by(items.c.case_id).subquery("per_case")
        query = (
            select(_CASE.c.business_key, _CASE.c.council, _CASE.c.locality, per_case.c.referred, per_case.c.source,
                   per_case.c.assessed, per_case.c.plan_ended, per_case.c.closed, per_case.c.reason,
                   per_case.c.has_closure)
            .select_from(per_case).join(_CASE, _CASE.c.id == per_case.c.case_id)
        )
        if filters.council is not None:
            query = query.where(_CASE.c.council == filters.council)
        if filters.team is not None:
            query = query.where(_CASE.c.locality == filters.team)
        found = session.execute(query).all()
    early_help = config.early_help_ends
    out = []
    for key, council, locality, referred, source, assessed, plan_ended, closed, reason, closure_case in found:
        if not closure_case:
            reason = flag = None
        else:
            reason, flag = reason or "completed", "Y" if reason in early_help else "N"
        out.append((key, council, locality, referred, source, assessed, plan_ended, closed, reason, flag))
    out.sort(key=lambda r: r[0])
    return Report("census", "Case-level extract (Children in Need census items)", COLUMNS, out)
