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

from sqlalchemy import and_, select

from engine.store.db import Database

from .config import DEFAULT, ReportConfig
from .period import Filters
from .queries import _CASE, _FACT, _PI, Report, _definitions, _in_period, _referrals, direction_of, index_events, tray_stays

COLUMNS = ["case_reference", "council", "locality", "referral_date", "referral_source", "assessment_start_date",
           "cin_plan_end_date", "closure_date", "reason_for_closure", "stepped_down_to_early_help"]


def census(db: Database, filters: Filters, config: ReportConfig = DEFAULT) -> Report:
    rows: dict[int, dict] = {}  # by case id

    def row(case_id: int) -> dict:
        return rows.setdefault(case_id, dict.fromkeys(COLUMNS))

    outcome = _FACT.alias("outcome")
    with db.reader() as session:
        definitions = _definitions(session, config)
        # The cases the filters allow (all of them without a filter): council and team columns too.
        query = select(_CASE.c.id, _CASE.c.business_key, _CASE.c.council, _CASE.c.locality)
        if filters.council is not None:
            query = query.where(_CASE.c.council == filters.council)
        if filters.team is not None:
            query = query.where(_CASE.c.locality == filters.team)
        cases = {i: (key, council, locality) for i, key, council, locality in session.execute(query)}
        # Referrals in the period.
        for case_id, (moments, whats) in _referrals(session, definitions, set(cases), filters, config,
                                                     until=filters.upper).items():
            target = row(case_id)
            target["referral_date"], target["referral_source"] = moments[0].date().isoformat(), whats[0]
        # Assessments started: step-ups ending in the period at an assessment end.
        step_ups = sorted(i for i, k in definitions.items() if direction_of(k, config) == "step_up")
        query = (select(_PI.c.case_id, _PI.c.ended_at, outcome.c.value).select_from(_PI)
                 .join(outcome, and_(outcome.c.instance_id == _PI.c.id, outcome.c.name == "outcome"))
                 .where(*_in_period(_PI.c.ended_at, filters), _PI.c.state == "completed", _PI.c.definition_id.in_(step_ups)))
        for case_id, ended_at, value in sorted(session.execute(query), key=lambda r: r[1]):
            if case_id in cases and value in config.assessment_ends:
                target = row(case_id)
                if target["assessment_start_date"] is None:
                    target["assessment_start_date"] = ended_at.date().isoformat()
    for stay in tray_stays(db, filters, config):
        target = row(stay.case_id)
        if target["cin_plan_end_date"] is None:
            target["cin_plan_end_date"] = stay.decided_at.date().isoformat()
    for event in index_events(db, filters, config):  # ordered by end: the last one wins
        target = row(event.case_id)
        target["closure_date"] = event.ended_at.date().isoformat()
        target["reason_for_closure"] = event.outcome or "completed"
        target["stepped_down_to_early_help"] = "Y" if event.outcome in config.early_help_ends else "N"
    out = []
    for case_id, values in rows.items():
        values["case_reference"], values["council"], values["locality"] = cases[case_id]
        out.append(tuple(values[c] for c in COLUMNS))
    out.sort(key=lambda r: r[0])
    return Report("census", "Case-level extract (Children in Need census items)", COLUMNS, out)
