"""Reports: the step-up / step-down measures the councils monitor (issue 8).

Reports read tables only (process_instance, process_definition, case_record, human_task,
audit_event, incident and this package's report_fact), never workflow state. Every report takes
`Filters`: a period of whole UTC days (`start`..`end`, inclusive), and optionally a council
(`case_record.council`) and a team (the case's locality team, `case_record.locality`).
Months are UTC calendar months ('YYYY-MM'). "Now" is `engine.clock.now()`.

How each thing is recognised (the ids live in `config.ReportConfig`; pass another to change them):

- **Step-up / step-down**: a process instance whose process key contains `_step_up` / `_step_down`
  (`halton_planned_step_up`, `north_somerset_step_down`...). Counted in the month it started.
- **Route**: the last `route` / `proposed_route` value submitted in the instance (a fact, below);
  without one, the process key (Halton's planned and unplanned step-ups are two processes).
- **Outcome**: the end event the instance reached (fact `outcome`: `end_stepped_down`,
  `end_consent_refused`...); `open` while running, `cancelled`, `incident`; `completed` when an
  instance ended before facts were recorded.
- **Step-down or closure**: a step-down instance that completed at an end other than one where
  the case stays with social care (`stays_with_social_care`: not agreed, consent refused,
  remains at level 3...); the moment is `process_instance.ended_at`.
- **Referral**: a step-up instance started, or a front-door referral raised (a user task whose
  element is in `referral_elements`, i.e. the common safeguarding referral's `urgent_referral`,
  at `human_task.created_at`).
- **Re-referral within 6 / 12 months**: the case's first referral strictly after the step-down or
  closure, on a day no later than the same day 6 / 12 calendar months on (31 August + 6 months
  = the last day of February). A re-referral within 6 months also counts within 12. Counted in
  the month of the step-down or closure; each step-down or closure once.
- **Days in the step-down tray**: per process (`tray`): from the first `task.completed` audit row
  of a decision element in the period (e.g. `tm_agree_step_down`) to the first completion of an
  allocation element at or after it (e.g. `record_meeting`, North Somerset's meeting with the
  allocated family support worker), in whole UTC days; still waiting: days until now.
- **Overdue tasks**: open human tasks due in the period and before now, by the case's team and
  the task's lane (the role that does it; cover roles in candidate groups are not counted again).
- **Manager sign-offs pending**: open human tasks, created in the period, whose lane ends with
  `_manager` (team, service, duty, iCART, locality team... managers) or is in `manager_roles`.
- **Consent outcomes**: fact `consent` (given / refused / not_sought_risk) of each task
  completion in the period that submitted a `consent` field.
- **Incidents open**: unresolved incidents raised in the period, by process and element.

Facts: audit rows keep only the names of submitted fields, so `facts.record`, a runtime listener
(`engine.runtime.subscribe`), copies the few values the reports need into `report_fact` inside the
transaction of each change. Importing this package installs it.
"""
from . import facts
from .census import census
from .config import DEFAULT, ReportConfig
from .export import export_csv, write_csv
from .period import Filters, add_months
from .queries import REPORTS as _QUERIES, Report, consent, incidents, index_events, overdue, re_referrals, signoffs, steps, tray, tray_stays

REPORTS = {**_QUERIES, "census": census}

facts.install()

__all__ = ["DEFAULT", "Filters", "REPORTS", "Report", "ReportConfig", "add_months", "census", "consent", "export_csv",
           "incidents", "index_events", "overdue", "re_referrals", "signoffs", "steps", "tray", "tray_stays", "write_csv"]
