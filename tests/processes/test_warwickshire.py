"""Warwickshire step-up (MARF to the MASH) and step-down (four routes), driven path by path through
the runtime, with the clock moved by hand. Seed: Step Up/Step Down Procedure v3.0 (March 2017)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine import runtime
from engine.catalog import collect, deploy
from engine.runtime import repository
from engine.store import models

from .coverage import flow_coverage
from .scenario import do, fire_at, open_tasks, the_task

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
STEP_UP_FILE = PROCESSES / "warwickshire" / "step_up.bpmn"
STEP_DOWN_FILE = PROCESSES / "warwickshire" / "step_down.bpmn"
STEP_UP = "warwickshire_step_up"
STEP_DOWN = "warwickshire_step_down"


@pytest.fixture
def deployed(db, clock):
    deploy(db, collect([PROCESSES / "warwickshire", PROCESSES / "common"]), name="warwickshire", actor="process.owner")
    return db


# -- helpers ------------------------------------------------------------------------------------

def instance(db, key) -> models.ProcessInstance:
    with db.reader() as session:
        row = session.scalar(select(models.ProcessInstance).where(models.ProcessInstance.business_key == key))
        session.expunge(row)
        return row


def variables(db, key) -> dict:
    with db.reader() as session:
        row = session.scalar(select(models.ProcessInstance).where(models.ProcessInstance.business_key == key))
        workflow = repository.load(session.connection(), db.url, row, use_cache=False).workflow
        waiting = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
        return dict(waiting[0].data) if waiting else dict(workflow.data)  # the case's data as it stands


def assert_finished(db, key, outcome):
    assert outcome.state == "completed", outcome
    assert open_tasks(db, key) == []
    assert instance(db, key).state == "completed"


CASE = {"council": "warwickshire", "children": [{"name": "Jamie Example", "date_of_birth": "2015-06-02"}]}


# == step-up ======================================================================================

def start_up(db, key):
    outcome = runtime.start(db, STEP_UP, key, {"referral_channel": "marf"}, "ref.teacher", case=CASE)
    assert outcome.state == "running"
    return outcome


def submit_marf(db, key, consent="given"):
    task = the_task(db, key, "submit_marf")
    assert task.lane == "referring_professional" and task.form_ref == "ww_submit_marf"
    assert task.properties == {"document": "warwickshire_marf"}
    data = {
        "referrer_name": "Alex Teacher", "referrer_agency": "Example Primary School", "referrer_contact": "01926 000000",
        "child_name": "Jamie Example", "child_date_of_birth": "2015-06-02", "child_address": "1 Example Road, Nuneaton",
        "concern_type": "ongoing_care_neglect",
        "concern_details": "Jamie often arrives hungry and in the same clothes; two missed medical appointments.",
        "child_views": "Jamie said there is sometimes no food at home.",
        "referral_consent": consent, "referral_consent_decided_by": "Mother (Casey Example)",
        "referral_consent_date": "2026-11-23",
    }
    if consent != "given":
        data["referral_consent_notes"] = "Asking the mother first could place Jamie at risk; agreed with the DSL."
    return do(db, key, "submit_marf", data, "ref.teacher")


def mash_decides(db, key, outcome):
    task = the_task(db, key, "mash_consider_referral")
    assert task.lane == "mash"
    return do(db, key, "mash_consider_referral", {
        "mash_outcome": outcome, "mash_rationale": "Considered against the Warwickshire thresholds for intervention.",
        "mash_decided_by": "MASH manager (duty)"}, "mash.officer")


def triage(db, key, decision):
    do(db, key, "mash_partnership_triage", {
        "partners_consulted": ["police", "health", "education"],
        "triage_information": "No police callouts; health visitor notes weight below the 9th centile.",
        "triage_completed_on": "2026-11-24"}, "mash.officer")
    return do(db, key, "mash_threshold_decision", {
        "threshold_decision": decision, "threshold_rationale": "Partnership information weighed.",
        "threshold_decided_by": "MASH manager (duty)"}, "mash.manager")


def not_met_response(db, key, need_type="information_advice_guidance", complex_="no", can_start="yes",
                     disputed="no", re_referral="no"):
    return do(db, key, "assess_not_met_response", {
        "need_type": need_type, "complex_multi_agency": complex_, "referrer_can_start_ehsa": can_start,
        "threshold_disputed": disputed, "re_referral_likely_6_months": re_referral,
        "not_met_rationale": "Needs are below the threshold for children's social care."}, "mash.officer")


def refer_to_team(db, key):
    task = the_task(db, key, "refer_to_childrens_team")
    assert task.lane == "mash"
    return do(db, key, "refer_to_childrens_team", {
        "childrens_team": "assessment", "team_referral_sent_on": "2026-11-24",
        "team_referral_summary": "Neglect concerns; single assessment needed.", "referrer_informed": True}, "mash.officer")


def su_threshold_met(db, clock, key="WW-UP-MET"):
    start_up(db, key)
    submit_marf(db, key)
    mash_decides(db, key, "threshold_met")
    assert_finished(db, key, refer_to_team(db, key))


def su_triage_then_met(db, clock, key="WW-UP-TRIAGE-MET"):
    start_up(db, key)
    submit_marf(db, key, consent="not_sought_risk")
    mash_decides(db, key, "more_information")
    triage(db, key, "threshold_met")
    assert_finished(db, key, refer_to_team(db, key))


def su_triage_then_signposted(db, clock, key="WW-UP-IAG"):
    start_up(db, key)
    submit_marf(db, key)
    mash_decides(db, key, "more_information")
    triage(db, key, "not_met")
    not_met_response(db, key)
    assert variables(db, key)["not_met_route"] == "information_advice_guidance"
    outcome = do(db, key, "signpost_via_fis", {
        "services_signposted": "Holiday activities and food programme; Family Information Service directory.",
        "signposted_on": "2026-11-25", "referrer_informed": True}, "mash.eh_officer")
    assert_finished(db, key, outcome)


def early_help_recommended(db, key):
    submit_marf(db, key)
    mash_decides(db, key, "not_met")
    not_met_response(db, key, need_type="early_help")
    assert variables(db, key)["not_met_route"] == "early_help"
    do(db, key, "recommend_ehsa", {
        "early_help_officer": "Early help officer (Nuneaton)", "ehsa_recommended_on": "2026-11-24",
        "ehsa_recommendation": "Start an EHSA with the family; call the early help officer for advice."}, "mash.officer")
    task = the_task(db, key, "referrer_ehsa_response")
    assert task.lane == "referring_professional"


def su_early_help_started(db, clock, key="WW-UP-EHSA"):
    start_up(db, key)
    early_help_recommended(db, key)
    outcome = do(db, key, "referrer_ehsa_response", {"ehsa_response": "started", "ehsa_started_on": "2026-11-30"},
                 "ref.teacher")
    assert_finished(db, key, outcome)


def su_early_help_not_started(db, clock, key="WW-UP-NO-EHSA"):
    start_up(db, key)
    early_help_recommended(db, key)
    with pytest.raises(runtime.InvalidSubmission) as refused:  # the referrer must give a rationale
        runtime.complete(db, the_task(db, key, "referrer_ehsa_response").id, {"ehsa_response": "not_started"}, "ref.teacher")
    assert "ehsa_not_started_rationale" in refused.value.errors
    outcome = do(db, key, "referrer_ehsa_response", {
        "ehsa_response": "not_started",
        "ehsa_not_started_rationale": "Family already supported by the school nurse's health plan."}, "ref.teacher")
    assert_finished(db, key, outcome)


def su_locality_panel(db, clock, key="WW-UP-PANEL"):
    start_up(db, key)
    submit_marf(db, key)
    mash_decides(db, key, "not_met")
    not_met_response(db, key, need_type="early_help", complex_="yes")
    task = the_task(db, key, "refer_to_locality_panel")
    assert task.properties == {"document": "warwickshire_locality_panel_referral"}
    do(db, key, "refer_to_locality_panel", {
        "locality": "nuneaton_bedworth", "panel_referral_reason": "Several agencies involved; complex needs.",
        "panel_referral_sent_on": "2026-11-24"}, "mash.officer")
    assert open_tasks(db, key) == []  # waiting for the panel to meet
    runtime.correlate(db, "locality_panel_meeting", business_key=key, payload={"panel_date": "2026-12-02"})
    task = the_task(db, key, "locality_panel_review")
    assert task.lane == "locality_panel"
    outcome = do(db, key, "locality_panel_review", {
        "panel_held_on": "2026-12-02", "panel_attendees": ["early_help", "education", "health"],
        "panel_decision": "Family support worker and school pastoral support.", "panel_rationale": "Multi-agency need.",
        "panel_lead_professional": "School pastoral lead",
        "actions": [{"action": "Start family support", "owner": "Family support worker", "due": "2026-12-09"}]},
        "panel.chair")
    assert_finished(db, key, outcome)


def su_safeguarding(db, clock, key="WW-UP-SAFEGUARDING"):
    start_up(db, key)
    submit_marf(db, key)
    for n in (1, 2):  # any time, repeatedly
        outcome = runtime.correlate(db, "safeguarding_concern", business_key=key, actor="mash.officer", payload={
            "concern": f"Concern {n}: Jamie disclosed being hit at home.", "raised_by": "mash.officer"})
        assert outcome.state == "running"
    referrals = [t for t in open_tasks(db, key) if t.element_id == "urgent_referral"]
    assert len(referrals) == 2 and all(t.lane == "front_door" for t in referrals)
    the_task(db, key, "mash_consider_referral")  # the procedure carries on beside the referral
    for task in referrals:
        runtime.complete(db, task.id, {"concern": "Jamie disclosed being hit at home.",
                                       "immediate_action": "Strategy discussion requested.", "child_seen": "yes",
                                       "referred_to": "mash", "referred_at": "2026-11-23"}, "fd.duty")
    mash_decides(db, key, "threshold_met")
    assert_finished(db, key, refer_to_team(db, key))


STEP_UP_SCENARIOS = [su_threshold_met, su_triage_then_met, su_triage_then_signposted, su_early_help_started,
                     su_early_help_not_started, su_locality_panel, su_safeguarding]


@pytest.mark.parametrize("scenario", STEP_UP_SCENARIOS, ids=[s.__name__ for s in STEP_UP_SCENARIOS])
def test_step_up(deployed, clock, scenario):
    scenario(deployed, clock)


@pytest.mark.parametrize("answers, route", [
    ({"need_type": "information_advice_guidance"}, "information_advice_guidance"),
    ({"need_type": "early_help"}, "early_help"),
    ({"need_type": "early_help", "can_start": "no"}, "locality_panel"),
    ({"need_type": "information_advice_guidance", "disputed": "yes"}, "locality_panel"),
    ({"need_type": "information_advice_guidance", "re_referral": "yes"}, "locality_panel"),
    ({"need_type": "early_help", "complex_": "yes"}, "locality_panel"),
])
def test_not_met_route_table(deployed, clock, answers, route):
    db, key = deployed, f"WW-UP-DMN-{route}-{len(answers)}-{sorted(answers.values())[-1]}"
    start_up(db, key)
    submit_marf(db, key)
    mash_decides(db, key, "not_met")
    not_met_response(db, key, **answers)
    assert variables(db, key)["not_met_route"] == route
    expected = {"information_advice_guidance": "signpost_via_fis", "early_help": "recommend_ehsa",
                "locality_panel": "refer_to_locality_panel"}[route]
    assert [t.element_id for t in open_tasks(db, key)] == [expected]


# == step-down ====================================================================================

def start_down(db, key):
    outcome = runtime.start(db, STEP_DOWN, key, {"team": "children_in_need"}, "sw.priya", case=CASE)
    assert outcome.state == "running"
    return outcome


def propose(db, key, trigger="cin_need_reduced", consent="given", route="universal"):
    task = the_task(db, key, "propose_step_down")
    assert task.lane == "social_worker"
    data = {
        "step_down_trigger": trigger, "thresholds_no_longer_met": "no" if trigger == "nfa_re_referral_likely" else "yes",
        "threshold_evidence": "CIN plan outcomes achieved: attendance 95%, health appointments kept for 3 months.",
        "direction_of_travel": "de_escalation", "re_referral_likely_6_months": "yes" if trigger == "nfa_re_referral_likely" else "no",
        "child_family_views": "Jamie is happier; mother wants some help to keep routines going.",
        "consent": consent, "consent_decided_by": "Mother (Casey Example)", "consent_date": "2026-11-23",
        "proposed_route": route,
    }
    if consent != "given":
        data["consent_notes"] = "Mother does not want any further involvement."
    return do(db, key, "propose_step_down", data, "sw.priya")


def tm_agrees(db, key, route, intensive_referral_route=None, decision="agree"):
    task = the_task(db, key, "tm_agree_step_down")
    assert task.lane == "team_manager" and task.form_ref == "ww_tm_agree_step_down"
    data = {"tm_decision": decision, "tm_rationale": "Evidence shows thresholds no longer met; family consent given."}
    if decision == "agree":
        data["route"] = route
    if intensive_referral_route:
        data["intensive_referral_route"] = intensive_referral_route
    return do(db, key, "tm_agree_step_down", data, "tm.okafor")


def agreed(db, key, route, intensive_referral_route=None, trigger="cin_need_reduced"):
    start_down(db, key)
    propose(db, key, trigger=trigger, route=route)
    tm_agrees(db, key, route, intensive_referral_route)
    data = variables(db, key)
    assert data["route"] == route and data["ehsa_stepped_down"] == (route == "early_help_brokerage")


def exit_plan(db, key):
    task = the_task(db, key, "develop_exit_plan")
    assert task.properties == {"document": "warwickshire_exit_plan"}
    do(db, key, "develop_exit_plan", {
        "exit_plan_developed_with": "family_information_service",
        "exit_plan": "Stay and play at the children's centre; after-school club; GP check in January.",
        "community_services": "Children's centre, after-school club", "exit_plan_shared_with_family_on": "2026-11-24",
        "exit_plan_shared_with_referrer": "yes"}, "sw.priya")
    task = the_task(db, key, "exit_support")
    assert task.candidate_groups == ["social_worker", "family_support_worker"]


def sd_criteria_not_met(db, clock, key="WW-DOWN-NO-CONSENT"):
    start_down(db, key)
    outcome = propose(db, key, consent="refused")
    assert variables(db, key)["criteria_met"] == "no"
    assert_finished(db, key, outcome)


def sd_not_agreed(db, clock, key="WW-DOWN-NOT-AGREED"):
    start_down(db, key)
    propose(db, key)
    assert_finished(db, key, tm_agrees(db, key, None, decision="not_agree"))


def sd_universal(db, clock, key="WW-DOWN-UNIVERSAL"):
    agreed(db, key, "universal")
    exit_plan(db, key)
    assert instance(db, key).next_timer_due == datetime.fromisoformat("2027-02-18T17:00:00+00:00")  # 60 working days
    outcome = do(db, key, "exit_support", {"exit_support_ended_on": "2027-01-29",
                                           "exit_support_summary": "Family using the children's centre weekly.",
                                           "case_closed": True}, "sw.priya")
    assert_finished(db, key, outcome)


def sd_universal_overdue(db, clock, key="WW-DOWN-OVERDUE"):
    agreed(db, key, "universal")
    exit_plan(db, key)
    assert fire_at(db, clock, "2027-02-18T17:00:00+00:00").fired == 0
    assert fire_at(db, clock, "2027-02-18T17:00:01+00:00").fired == 1
    task = the_task(db, key, "exit_support_overdue")
    assert task.lane == "team_manager"
    assert [t.element_id for t in runtime.tasks(db, business_key=key, state="cancelled")] == ["exit_support"]
    outcome = do(db, key, "exit_support_overdue", {"overdue_decision": "close",
                                                   "overdue_rationale": "Goals met; the family did not need more."},
                 "tm.okafor")
    assert_finished(db, key, outcome)


def brokerage(db, key, outcome_value, trigger):
    agreed(db, key, "early_help_brokerage", trigger=trigger)
    assert the_task(db, key, "assign_early_help_officer").lane == "early_help_manager"
    do(db, key, "assign_early_help_officer", {"early_help_officer": "Early help officer (Rugby)",
                                              "early_help_officer_assigned_on": "2026-11-24",
                                              "additional_needs": "Parenting routines; school attendance."}, "eh.manager")
    assert the_task(db, key, "single_assessment").lane == "early_help_worker"
    data = {"ehsa_completed_on": "2026-12-04", "assessment_outcome": outcome_value,
            "monitoring_arrangements": "Monthly review; escalate to the MASH if attendance falls under 90%.",
            "first_meeting_on": "2026-12-08"}
    if outcome_value == "support_plan":
        data |= {"lead_professional_name": "School family liaison worker", "lead_professional_agency": "Example Primary"}
    do(db, key, "single_assessment", data, "eh.officer")
    task = the_task(db, key, "first_meeting")
    assert task.lane == "lead_professional"
    meeting = {"first_meeting_held_on": "2026-12-08",
               "first_meeting_attendees": ["social_worker", "early_help_officer", "parent_carer"],
               "first_meeting_notes": "Plan explained to the family; the social worker handed over.",
               "actions": [{"action": "Review attendance", "owner": "Lead professional", "due": "2027-01-08"}]}
    with pytest.raises(runtime.InvalidSubmission) as refused:  # the social worker attends the first meeting
        runtime.complete(db, task.id, meeting, "lp.liaison")
    assert "social_worker_attended" in refused.value.errors
    return do(db, key, "first_meeting", meeting | {"social_worker_attended": True}, "lp.liaison")


def sd_brokerage_support(db, clock, key="WW-DOWN-BROKERAGE"):
    assert_finished(db, key, brokerage(db, key, "support_plan", "cp_plan_ended"))


def sd_brokerage_nfa(db, clock, key="WW-DOWN-BROKERAGE-NFA"):
    assert_finished(db, key, brokerage(db, key, "no_further_action", "nfa_re_referral_likely"))


def allocation_meeting(db, clock, key, decision):
    do(db, key, "consult_brokerage_team", {"brokerage_consulted_on": "2026-11-23", "brokerage_contact": "Early help officer (Warwick)",
                                           "intensive_need_summary": "Teenager at risk of exclusion; needs weekly work."}, "sw.priya")
    assert instance(db, key).next_timer_due == datetime.fromisoformat("2026-11-25T10:00:00+00:00")  # next Wednesday
    assert fire_at(db, clock, "2026-11-25T10:00:00+00:00").fired == 0
    assert fire_at(db, clock, "2026-11-25T10:00:01+00:00").fired == 1
    task = the_task(db, key, "weekly_allocation_meeting")
    assert task.lane == "early_help_manager" and "early_help_worker" in task.candidate_groups
    return do(db, key, "weekly_allocation_meeting", {
        "allocation_meeting_on": "2026-11-25",
        "guidance_considered": ["thresholds", "step_up_step_down", "stepped_approach", "priority_families"],
        "allocation_decision": decision, "allocated_worker": "TSYP worker (Warwick)",
        "allocation_rationale": "Proportionate to need."}, "eh.ops_manager")


def start_intensive(db, key, service):
    task = the_task(db, key, "start_intensive_support")
    assert task.lane == "family_support_worker"
    return do(db, key, "start_intensive_support", {
        "intensive_service": service, "intensive_worker": "Worker (Warwick)", "first_visit_on": "2026-12-01",
        "intensive_support_plan": "Weekly sessions for 12 weeks on school engagement."}, "fsw.lee")


def sd_intensive_brokerage(db, clock, key="WW-DOWN-INTENSIVE"):
    agreed(db, key, "intensive_support", "brokerage_consultation")
    allocation_meeting(db, clock, key, "targeted_support_young_people")
    assert_finished(db, key, start_intensive(db, key, "targeted_support_young_people"))


def sd_intensive_brokerage_package(db, clock, key="WW-DOWN-PACKAGE"):
    agreed(db, key, "intensive_support", "brokerage_consultation")
    assert_finished(db, key, allocation_meeting(db, clock, key, "early_help_package"))


def panel(db, key, outcome_value):
    task = the_task(db, key, "refer_to_locality_panel")
    assert task.properties == {"document": "warwickshire_locality_panel_referral"} and task.lane == "social_worker"
    do(db, key, "refer_to_locality_panel", {"locality": "stratford", "panel_referral_reason": "Complex; several agencies.",
                                            "panel_referral_sent_on": "2026-11-24"}, "sw.priya")
    assert open_tasks(db, key) == []
    runtime.correlate(db, "locality_panel_meeting", business_key=key, payload={"panel_date": "2026-12-03"})
    assert the_task(db, key, "locality_panel_decision").lane == "locality_panel"
    outcome = do(db, key, "locality_panel_decision", {
        "panel_held_on": "2026-12-03", "panel_attendees": ["early_help", "social_care", "education"],
        "panel_outcome": outcome_value, "panel_rationale": "Keeps the momentum of de-escalation.",
        "panel_lead_professional": "Early help officer (Stratford)",
        "actions": [{"action": "Invite the family to the first meeting", "owner": "Lead professional", "due": "2026-12-10"}]},
        "panel.chair")
    assert variables(db, key)["ehsa_stepped_down"] == (outcome_value == "early_help_assessment")
    return outcome


def sd_intensive_panel(db, clock, key="WW-DOWN-INTENSIVE-PANEL"):
    agreed(db, key, "intensive_support", "locality_panel")
    panel(db, key, "family_support_worker")
    assert_finished(db, key, start_intensive(db, key, "family_support_worker"))


def sd_panel_ehsa(db, clock, key="WW-DOWN-PANEL-EHSA"):
    agreed(db, key, "locality_panel")
    assert_finished(db, key, panel(db, key, "early_help_assessment"))


def sd_panel_multi_agency(db, clock, key="WW-DOWN-PANEL-PLAN"):
    agreed(db, key, "locality_panel")
    assert_finished(db, key, panel(db, key, "multi_agency_plan"))


def sd_safeguarding(db, clock, key="WW-DOWN-SAFEGUARDING"):
    agreed(db, key, "universal")
    exit_plan(db, key)
    for n in (1, 2):
        runtime.correlate(db, "safeguarding_concern", business_key=key, payload={"concern": f"Police notification {n}."})
    referrals = [t for t in open_tasks(db, key) if t.element_id == "urgent_referral"]
    assert len(referrals) == 2
    assert {t.element_id for t in open_tasks(db, key)} == {"urgent_referral", "exit_support"}
    for task in referrals:
        runtime.complete(db, task.id, {"concern": "Police attended a domestic incident.", "immediate_action": "MASH informed.",
                                       "child_seen": "no", "referred_to": "mash", "referred_at": "2026-11-24"}, "fd.duty")
    outcome = do(db, key, "exit_support", {"exit_support_ended_on": "2026-11-25", "case_closed": True,
                                           "exit_support_summary": "Closed: the case returned to the MASH."}, "sw.priya")
    assert_finished(db, key, outcome)


STEP_DOWN_SCENARIOS = [sd_criteria_not_met, sd_not_agreed, sd_universal, sd_universal_overdue, sd_brokerage_support,
                       sd_brokerage_nfa, sd_intensive_brokerage, sd_intensive_brokerage_package, sd_intensive_panel,
                       sd_panel_ehsa, sd_panel_multi_agency, sd_safeguarding]


@pytest.mark.parametrize("scenario", STEP_DOWN_SCENARIOS, ids=[s.__name__ for s in STEP_DOWN_SCENARIOS])
def test_step_down(deployed, clock, scenario):
    scenario(deployed, clock)


@pytest.mark.parametrize("key, bpmn_file, scenarios", [
    (STEP_UP, STEP_UP_FILE, STEP_UP_SCENARIOS), (STEP_DOWN, STEP_DOWN_FILE, STEP_DOWN_SCENARIOS)], ids=["step_up", "step_down"])
def test_every_sequence_flow_is_taken_by_the_scenarios(deployed, clock, key, bpmn_file, scenarios):
    start_moment = clock.now()
    for scenario in scenarios:
        clock.set(start_moment)
        scenario(deployed, clock)
    coverage = flow_coverage(deployed, key, bpmn_file)
    missing = [f"{f.id} ({f.source} -> {f.target})" for f in coverage.missing]
    assert not missing, f"{len(missing)} of {len(coverage.flows)} flows not taken: {missing}"
    assert coverage.ratio == 1.0
