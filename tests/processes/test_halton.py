"""Halton step-up / step-down protocol (Halton Safeguarding Children Board), driven path by path
through the runtime with the clock moved by hand: step-down from CSC to CAF / universal services,
planned step-up from CAF to CSC through iCART, and unplanned step-up (a referral for a child with
an open CAF)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from engine import runtime
from engine.catalog import collect, deploy

from .coverage import flow_coverage
from .scenario import do, fire_at, instance_state, next_timer, open_tasks, the_task

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
HALTON = PROCESSES / "halton"
STEP_DOWN, PLANNED, UNPLANNED = "halton_step_down", "halton_planned_step_up", "halton_unplanned_step_up"
FILES = {STEP_DOWN: HALTON / "step_down.bpmn", PLANNED: HALTON / "planned_step_up.bpmn",
         UNPLANNED: HALTON / "unplanned_step_up.bpmn"}
CASE = {"council": "halton", "children": [{"name": "Riley Example", "date_of_birth": "2015-06-02"}],
        "locality": "widnes", "address": "1 Example Street, Widnes"}


@pytest.fixture
def deployed(db, clock):
    deploy(db, collect([HALTON, PROCESSES / "common"]), name="halton", actor="process.owner")
    return db


# -- helpers ------------------------------------------------------------------------------------

def open_ids(db, key) -> set[str]:
    return {t.element_id for t in open_tasks(db, key)}


def finished(db, key):
    assert open_tasks(db, key) == []
    assert instance_state(db, key) == "completed"


def start(db, process, key, data, actor):
    outcome = runtime.start(db, process, key, data, actor, case=CASE)
    assert outcome.state == "running"
    return outcome


def raise_concern(db, clock, key, waiting_element):
    """A safeguarding concern raised mid-procedure: an urgent front-door referral opens beside it."""
    outcome = runtime.correlate(db, "safeguarding_concern", business_key=key, actor="teacher.dsl", payload={
        "concern": "Riley arrived at school with bruising to the arm and said not to tell anyone.",
        "raised_by": "Designated safeguarding lead, Example Primary"})
    assert outcome.state == "running"
    referral = the_task(db, key, "urgent_referral")
    assert referral.lane == "front_door" and referral.candidate_groups == ["front_door"]
    assert waiting_element in open_ids(db, key)  # the procedure carries on beside the referral
    do(db, key, "urgent_referral", {
        "concern": "Bruising to the arm disclosed at school.", "immediate_action": "Child kept safe at school; MASH called.",
        "child_seen": "yes", "referred_to": "mash", "referred_at": clock.now().date().isoformat()}, "fd.duty")
    assert "urgent_referral" not in open_ids(db, key)


# == step-down ======================================================================================

def sd_start(db, clock, key):
    start(db, STEP_DOWN, key, {"cin_plan_reviewed": True}, "sw.priya")
    invite = the_task(db, key, "invite_ei_team")
    assert invite.lane == "social_worker" and invite.form_ref == "halton_invite_ei_team"
    assert invite.properties == {"notification": "email.locality_ei_team_inbox"}
    do(db, key, "invite_ei_team", {
        "locality": "widnes", "meeting_date": "2026-12-01", "meeting_time": "10:00", "venue": "Widnes children's centre",
        "synopsis_of_work": "12 weeks of CIN work on routines and school attendance; attendance now 94%.",
        "outstanding_actions": [{"action": "Referral to the parenting course", "owner": "Social worker", "due": "2026-12-05"}],
        "suggested_lead_professional": "Example Primary learning mentor", "invite_sent_on": "2026-11-23",
    }, "sw.priya")
    # The meeting is a calendar event: 10:00 London on Tuesday 1 December (GMT).
    assert next_timer(db, key) == datetime.fromisoformat("2026-12-01T10:00:00+00:00")
    assert fire_at(db, clock, "2026-12-01T09:59:00+00:00").fired == 0
    assert open_tasks(db, key) == []
    assert fire_at(db, clock, "2026-12-01T10:00:01+00:00").fired == 1


def sd_meeting(db, key, outcome, **extra):
    data = {"meeting_held_on": "2026-12-01", "attendees": ["social_worker", "ei_representative", "parent_carer", "school"],
            "outstanding_needs": "Support with morning routines; a parenting course.",
            "family_views": "Mum wants help to keep things going; Riley likes the learning mentor.",
            "cin_outcome": outcome, "outcome_rationale": "Agreed with the family and partners at the meeting.", **extra}
    do(db, key, "final_cin_meeting", data, "sw.priya")
    assert open_ids(db, key) >= {"ei_step_down_form"}
    form = the_task(db, key, "ei_step_down_form")
    assert form.lane == "early_help_worker" and form.properties == {"document": "halton_ei_step_down_form"}
    assert form.candidate_groups == ["early_help_worker", "early_help_manager"]
    return do(db, key, "ei_step_down_form", {
        "outcome_confirmed": True, "ei_overview": "Final CIN meeting held; plan agreed with the family.",
        "actions_agreed": [{"action": "Book the parenting course", "owner": "EI worker", "due": "2026-12-10"}],
        "ei_form_completed_on": "2026-12-01"}, "ei.jordan")


def sd_caf_minutes(db, key):
    minutes = the_task(db, key, "sw_cin_minutes_caf")
    assert minutes.properties == {"document": "halton_cin_minutes_caf"}
    do(db, key, "sw_cin_minutes_caf", {
        "cin_minutes": "Outstanding needs shared; step-down to CAF agreed; learning mentor to be lead professional.",
        "cin_plan": "Parenting course; morning routine chart; school attendance reviewed fortnightly.",
        "step_up_indicators": "Attendance below 85%, any new domestic abuse incident, or Mum not engaging for 4 weeks.",
        "forwarded_to_ei_on": "2026-12-03"}, "sw.priya")
    upload = the_task(db, key, "ei_upload_ecaf")
    assert upload.properties == {"integration": "ecaf.step_down"}
    return do(db, key, "ei_upload_ecaf", {"ecaf_uploaded_on": "2026-12-04", "shared_with_lead_professional": True,
                                          "shared_on": "2026-12-04"}, "ei.jordan")


def scenario_sd_remains_level3(db, clock, key="HAL-SD-L3"):
    sd_start(db, clock, key)
    sd_meeting(db, key, "remain_level3")
    finished(db, key)


def scenario_sd_step_down_caf(db, clock, key="HAL-SD-CAF"):
    sd_start(db, clock, key)
    sd_meeting(db, key, "step_down_caf", first_caf_review_date="2027-01-12", lead_professional="Learning mentor, Example Primary")
    # The CIN documents must reach the EI team 2 weeks before the first CAF review (Tue 12 January).
    assert next_timer(db, key) == datetime.fromisoformat("2026-12-29T17:00:00+00:00")
    sd_caf_minutes(db, key)
    finished(db, key)


def scenario_sd_caf_documents_late(db, clock, key="HAL-SD-LATE"):
    sd_start(db, clock, key)
    sd_meeting(db, key, "step_down_caf", first_caf_review_date="2027-01-12", lead_professional="School nurse")
    assert fire_at(db, clock, "2026-12-29T17:00:00+00:00").fired == 0
    assert fire_at(db, clock, "2026-12-29T17:00:01+00:00").fired == 1
    overdue = the_task(db, key, "tm_cin_docs_overdue")
    assert overdue.lane == "team_manager"
    assert open_ids(db, key) == {"tm_cin_docs_overdue", "sw_cin_minutes_caf"}  # escalated, not cancelled
    do(db, key, "tm_cin_docs_overdue", {"overdue_reason": "Social worker on leave over Christmas.",
                                        "tm_action": "Duty SW to finish the minutes tomorrow.", "tm_decision": "reallocate",
                                        "tm_rationale": "The EI team needs the minutes before the review."}, "tm.okafor")
    sd_caf_minutes(db, key)
    finished(db, key)


def scenario_sd_universal_plus(db, clock, key="HAL-SD-UPLUS"):
    sd_start(db, clock, key)
    sd_meeting(db, key, "universal_plus",
               step_up_indicators="A new police notification or school exclusion would mean stepping back up.")
    advise = the_task(db, key, "ei_advise_universal_plus")
    assert advise.lane == "early_help_worker"
    do(db, key, "ei_advise_universal_plus", {"services_advised": "Stay and play; holiday activities with an engagement officer.",
                                             "engagement_officer_involved": True, "advised_on": "2026-12-02"}, "ei.jordan")
    finished(db, key)


def scenario_sd_universal(db, clock, key="HAL-SD-UNIV"):
    sd_start(db, clock, key)
    sd_meeting(db, key, "universal_entitlement")
    do(db, key, "sw_advise_universal", {"universal_services_advised": "GP, school nurse drop-in, library activities.",
                                        "ei_team_advice_sought": True, "advised_on": "2026-12-01"}, "sw.priya")
    finished(db, key)


def scenario_sd_safeguarding(db, clock, key="HAL-SD-SG"):
    sd_start(db, clock, key)
    raise_concern(db, clock, key, "final_cin_meeting")
    sd_meeting(db, key, "remain_level3")
    finished(db, key)


# == planned step-up ================================================================================

def pl_start(db, key, meeting_date="2026-12-09", consent="given"):
    start(db, PLANNED, key, {"caf_open": True}, "lp.morgan")
    referral = the_task(db, key, "lp_icart_referral")
    assert referral.lane == "lead_professional" and referral.properties == {"document": "halton_icart_referral"}
    do(db, key, "lp_icart_referral", {
        "concerns": "School attendance has fallen to 70% and Mum has disclosed low mood; CAF actions not progressing.",
        "step_up_requested": True, "step_up_meeting_date": meeting_date,
        "step_up_meeting_venue": "Example Primary, 13:30", "consent": consent,
        "consent_decided_by": "Mother (Sam Example)", "referral_sent_on": "2026-11-23"}, "lp.morgan")


def pl_screen(db, key, outcome, manager="authorised"):
    screening = the_task(db, key, "icart_screening")
    assert screening.lane == "icart" and screening.properties == {"integration": "csc.icart_contact_recorded"}
    do(db, key, "icart_screening", {"screening_summary": "CAF history and school information reviewed.",
                                    "screening_outcome": outcome, "screening_rationale": "Per the Halton levels of need."}, "icart.lee")
    assert the_task(db, key, "icart_manager_authorise").lane == "icart_manager"
    return do(db, key, "icart_manager_authorise", {"manager_decision": manager,
                                                   "manager_rationale": "Screening agreed." if manager == "authorised"
                                                   else "The LP and iCART disagree on the level of need."}, "icart.mgr")


def pl_transfer(db, key):
    task = the_task(db, key, "load_r_and_i")
    assert task.properties == {"integration": "csc.r_and_i_loaded"}
    do(db, key, "load_r_and_i", {"r_and_i_loaded_on": "2026-12-09", "area_team": "widnes", "transferred_on": "2026-12-09"}, "icart.lee")
    close = the_task(db, key, "lp_close_caf")
    assert close.lane == "lead_professional" and close.properties == {"integration": "ecaf.caf_closed"}
    return do(db, key, "lp_close_caf", {"caf_closed_on": "2026-12-10", "caf_group_informed": True,
                                        "caf_closure_summary": "Case transferred to the Widnes area team for a SAP."}, "lp.morgan")


def pl_meeting(db, clock, key, due: str, recommendation):
    assert next_timer(db, key) == datetime.fromisoformat(due)
    assert fire_at(db, clock, due.replace(":00+00:00", ":01+00:00")).fired == 1
    meeting = the_task(db, key, "step_up_meeting")
    assert meeting.lane == "icart_manager" and meeting.candidate_groups == ["icart_manager", "icart"]
    return do(db, key, "step_up_meeting", {
        "step_up_meeting_held_on": due[:10], "icart_attendee_role": "icart_manager",
        "attendees": ["lead_professional", "parent_carer", "school"],
        "information_gathered": "Mum's GP is supporting her; school attendance plan in place.",
        "recommendation": recommendation, "recommendations": "See actions.",
        "actions": [{"action": "Attendance meeting", "owner": "School", "due": "2026-12-18"}]}, "icart.mgr")


def scenario_pl_early_intervention(db, clock, key="HAL-PL-EI"):
    pl_start(db, key)
    pl_screen(db, key, "early_intervention")
    do(db, key, "icart_advice", {"advice_given": "Add a family support worker to the CAF; review in 6 weeks.",
                                 "advice_given_on": "2026-11-24"}, "icart.lee")
    finished(db, key)


def scenario_pl_s47(db, clock, key="HAL-PL-S47"):
    pl_start(db, key, consent="not_sought_risk")
    pl_screen(db, key, "s47_immediate_risk")
    assert open_ids(db, key) == {"urgent_referral"}
    do(db, key, "urgent_referral", {"concern": "Possible s47: disclosure of physical harm.", "immediate_action": "Strategy discussion requested.",
                                    "child_seen": "no", "referred_to": "mash", "referred_at": "2026-11-23"}, "fd.duty")
    finished(db, key)


def scenario_pl_challenge_to_assessment(db, clock, key="HAL-PL-CHALLENGE"):
    pl_start(db, key)
    pl_screen(db, key, "early_intervention", manager="contact_challenge")
    challenge = the_task(db, key, "contact_challenge_meeting")
    assert challenge.lane == "service_manager"
    do(db, key, "contact_challenge_meeting", {
        "challenge_held_on": "2026-11-26", "challenge_attendees": ["divisional_manager_cin", "divisional_manager_ei", "icart"],
        "screening_outcome": "social_work_assessment", "challenge_rationale": "Needs are at level 3; a SAP is needed."}, "dm.cin")
    pl_transfer(db, key)
    finished(db, key)


def scenario_pl_meeting_continue_caf(db, clock, key="HAL-PL-MEETING"):
    pl_start(db, key, meeting_date="2026-12-09")  # 16 days' notice
    pl_screen(db, key, "step_up_meeting")
    pl_meeting(db, clock, key, "2026-12-09T17:00:00+00:00", "continue_caf")
    finished(db, key)


def scenario_pl_short_notice_step_up(db, clock, key="HAL-PL-SHORT"):
    pl_start(db, key, meeting_date="2026-11-30")  # one week's notice only
    pl_screen(db, key, "step_up_meeting")
    for rebooked_on, meeting_date in (("2026-11-24", "2026-12-02"), ("2026-11-25", "2026-12-10")):
        task = the_task(db, key, "lp_rebook_meeting")
        assert task.lane == "lead_professional"
        do(db, key, "lp_rebook_meeting", {"step_up_meeting_date": meeting_date, "step_up_meeting_venue": "Example Primary, 13:30",
                                          "rebooked_on": rebooked_on}, "lp.morgan")
    pl_meeting(db, clock, key, "2026-12-10T17:00:00+00:00", "step_up")
    pl_transfer(db, key)
    finished(db, key)


def scenario_pl_safeguarding(db, clock, key="HAL-PL-SG"):
    pl_start(db, key)
    raise_concern(db, clock, key, "icart_screening")
    pl_screen(db, key, "early_intervention")
    do(db, key, "icart_advice", {"advice_given": "Continue the CAF.", "advice_given_on": "2026-11-24"}, "icart.lee")
    finished(db, key)


# == unplanned step-up ==============================================================================

def un_start(db, key, recommendation, manager="authorised"):
    start(db, UNPLANNED, key, {"open_caf": True}, "edt.night")
    contact = the_task(db, key, "record_contact")
    assert contact.lane == "icart" and contact.candidate_groups == ["icart", "edt"]
    assert contact.properties == {"integration": "csc.contact_recorded"}
    do(db, key, "record_contact", {
        "received_by": "edt", "contact_received_on": "2026-11-23", "incident": "Police called to a neighbour dispute at the home.",
        "caf_lead_professional": "Learning mentor, Example Primary", "contact_decision": recommendation,
        "contact_rationale": "Children not present; no injuries."}, "edt.night")
    return do(db, key, "authorise_contact_decision", {"manager_decision": manager, "manager_rationale": "Agreed."}, "icart.mgr")


def un_to_lp(db, key, review):
    task = the_task(db, key, "send_contact_to_lp")
    assert task.properties == {"notification": "email.lead_professional"}
    do(db, key, "send_contact_to_lp", {"sent_to_lp_on": "2026-11-24"}, "icart.lee")
    data = {"review_needed": review, "review_rationale": "Incident suggests stress at home." if review == "yes" else "One-off incident."}
    if review == "yes":
        data["review_date"] = "2026-12-03"
    return do(db, key, "lp_consider_review", data, "lp.morgan")


def scenario_un_review_called(db, clock, key="HAL-UN-REVIEW"):
    un_start(db, key, "no_csc_involvement")
    un_to_lp(db, key, "yes")
    finished(db, key)


def scenario_un_challenge_lp_informed(db, clock, key="HAL-UN-INFORMED"):
    un_start(db, key, "csc_involvement", manager="contact_challenge")
    do(db, key, "contact_challenge_meeting", {
        "challenge_held_on": "2026-11-24", "challenge_attendees": ["divisional_manager_cin", "divisional_manager_ei"],
        "contact_decision": "no_csc_involvement", "challenge_rationale": "The CAF can meet these needs."}, "dm.ei")
    un_to_lp(db, key, "no")
    finished(db, key)


def scenario_un_assessment(db, clock, key="HAL-UN-SAP"):
    un_start(db, key, "csc_involvement")
    sap = the_task(db, key, "start_sap")
    assert sap.properties == {"integration": "csc.sap_started"}
    do(db, key, "start_sap", {"sap_started_on": "2026-11-23", "area_team": "runcorn", "allocated_social_worker": "SW Alex Example"}, "icart.lee")
    assert the_task(db, key, "sw_contact_lp").lane == "social_worker"
    do(db, key, "sw_contact_lp", {"lp_contacted_on": "2026-11-24", "caf_group_contacted": True,
                                  "contact_notes": "LP and school nurse told; CAF to close."}, "sw.alex")
    close = the_task(db, key, "lp_close_caf")
    assert close.properties == {"integration": "ecaf.caf_closed"}
    do(db, key, "lp_close_caf", {"caf_closed_on": "2026-11-25", "caf_group_informed": True,
                                 "caf_closure_summary": "Closed: SAP under way in the Runcorn area team."}, "lp.morgan")
    finished(db, key)


def scenario_un_safeguarding(db, clock, key="HAL-UN-SG"):
    start(db, UNPLANNED, key, {"open_caf": True}, "icart.lee")
    raise_concern(db, clock, key, "record_contact")
    raise_concern(db, clock, key, "record_contact")  # again: each concern is its own referral
    do(db, key, "record_contact", {
        "received_by": "icart", "contact_received_on": "2026-11-23", "incident": "School report of bruising.",
        "caf_lead_professional": "Learning mentor", "contact_decision": "no_csc_involvement",
        "contact_rationale": "Handled under safeguarding procedures."}, "icart.lee")
    do(db, key, "authorise_contact_decision", {"manager_decision": "authorised", "manager_rationale": "Agreed."}, "icart.mgr")
    un_to_lp(db, key, "no")
    finished(db, key)


SCENARIOS = {
    STEP_DOWN: [scenario_sd_remains_level3, scenario_sd_step_down_caf, scenario_sd_caf_documents_late,
                scenario_sd_universal_plus, scenario_sd_universal, scenario_sd_safeguarding],
    PLANNED: [scenario_pl_early_intervention, scenario_pl_s47, scenario_pl_challenge_to_assessment,
              scenario_pl_meeting_continue_caf, scenario_pl_short_notice_step_up, scenario_pl_safeguarding],
    UNPLANNED: [scenario_un_review_called, scenario_un_challenge_lp_informed, scenario_un_assessment, scenario_un_safeguarding],
}
ALL = [s for group in SCENARIOS.values() for s in group]


@pytest.mark.parametrize("scenario", ALL, ids=[s.__name__ for s in ALL])
def test_scenario(deployed, clock, scenario):
    scenario(deployed, clock)


def test_a_form_refuses_a_missing_decision(deployed, clock):
    db, key = deployed, "HAL-SD-FORM"
    sd_start(db, clock, key)
    task = the_task(db, key, "final_cin_meeting")
    with pytest.raises(runtime.InvalidSubmission) as refused:
        runtime.complete(db, task.id, {"meeting_held_on": "2026-12-01", "attendees": ["social_worker"],
                                       "outstanding_needs": "x", "family_views": "y", "outcome_rationale": "z",
                                       "cin_outcome": "step_down_caf"}, "sw.priya")
    assert "first_caf_review_date" in refused.value.errors and "lead_professional" in refused.value.errors


@pytest.mark.parametrize("process", list(SCENARIOS))
def test_every_sequence_flow_is_taken_by_the_scenarios(deployed, clock, process):
    start_moment = clock.now()
    for scenario in SCENARIOS[process]:
        clock.set(start_moment)
        scenario(deployed, clock)
    coverage = flow_coverage(deployed, process, FILES[process])
    missing = [f"{f.id} ({f.source} -> {f.target})" for f in coverage.missing]
    assert not missing, f"{len(missing)} of {len(coverage.flows)} flows not taken: {missing}"
    assert coverage.ratio == 1.0
