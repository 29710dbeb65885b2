"""Swindon step-up (early intervention -> Contact Swindon) and step-down (social care -> early
intervention), driven path by path through the runtime, with the clock moved by hand.

The clock fixture starts on Monday 2026-11-23 09:00 UTC (GMT, so London time is the same)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from engine import runtime
from engine.catalog import collect, deploy
from engine.runtime import repository

from .coverage import flow_coverage
from .scenario import fire_at, next_timer, open_tasks, the_task

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
STEP_UP_FILE = PROCESSES / "swindon" / "step_up.bpmn"
STEP_DOWN_FILE = PROCESSES / "swindon" / "step_down.bpmn"
STEP_UP = "swindon_step_up"
STEP_DOWN = "swindon_step_down"


@pytest.fixture
def deployed(db, clock):
    deploy(db, collect([PROCESSES / "swindon", PROCESSES / "common"]), name="swindon", actor="process.owner")
    return db


# -- helpers ------------------------------------------------------------------------------------

def open_ids(db, key) -> set[str]:
    return {t.element_id for t in open_tasks(db, key)}


def do(db, key, element_id, data, actor):
    repository.cache.clear()  # every step as a fresh server process would see it
    outcome = runtime.complete(db, the_task(db, key, element_id).id, data, actor)
    assert outcome.incident_id is None
    return outcome


def finished(outcome, db, key):
    assert outcome.state == "completed", outcome
    assert open_tasks(db, key) == []


def raise_safeguarding_concern(db, key):
    outcome = runtime.correlate(db, "safeguarding_concern", business_key=key, actor="worker.ash", payload={
        "concern": "Child arrived at school with a bruise to the face and said they are scared to go home.",
        "raised_by": "worker.ash"})
    assert outcome.state == "running"
    referral = the_task(db, key, "urgent_referral")
    assert referral.lane == "front_door" and referral.candidate_groups == ["front_door"]
    assert referral.form_ref == "common_urgent_referral"
    return referral


def complete_urgent_referral(db, key):
    referral = next(t for t in open_tasks(db, key) if t.element_id == "urgent_referral")
    repository.cache.clear()
    runtime.complete(db, referral.id, {
        "concern": "Bruise to the face; child scared to go home.",
        "immediate_action": "Child kept safe at school; Contact Swindon duty manager and police informed.",
        "child_seen": "yes", "referred_to": "mash", "referred_at": "2026-11-23"}, "fd.duty")
    assert referral.properties.get("integration") == "front_door.urgent_referral"


# == step-up ===========================================================================================

def up_start(db, key):
    outcome = runtime.start(
        db, STEP_UP, key, {"referral_route": "early_intervention"}, "worker.ash",
        case={"council": "swindon", "children": [{"name": "Jamie Example", "date_of_birth": "2014-06-02"}]},
    )
    assert outcome.state == "running"
    task = the_task(db, key, "consider_request")
    assert task.lane == "referring_professional" and task.form_ref == "swindon_consider_request"
    return outcome


def up_consider(db, key, advice_call):
    return do(db, key, "consider_request", {
        "concern_summary": "Neglect concerns rising: three missed health appointments and poor school attendance.",
        "current_ei_service": "Family Service (South locality)", "advice_call_wanted": advice_call}, "worker.ash")


def up_advice_call(db, key, outcome):
    task = the_task(db, key, "advice_call")
    assert task.lane == "front_door"
    return do(db, key, "advice_call", {
        "advice_call_on": "2026-11-23", "advice_given": "Discussed the RHRT threshold; suggested updating the TAF plan first.",
        "advice_outcome": outcome}, "cs.practitioner")


def up_consent(db, key, consent):
    data = {"consent": consent, "consent_decided_by": "Mother (Alex Example)" if consent != "not_sought_risk" else "worker.ash",
            "consent_date": "2026-11-24"}
    if consent == "given":
        data["information_sharing_agreed"] = "School, GP and health visitor may be contacted; EHA and TAF plan may be shared."
    else:
        data["consent_notes"] = ("Mother refused any contact with social care." if consent == "refused"
                                 else "Asking would alert the father, who is the alleged risk.")
    return do(db, key, "seek_consent", data, "worker.ash")


def up_duty_manager(db, key, decision):
    task = the_task(db, key, "dm_consent_decision")
    assert task.lane == "duty_manager"
    return do(db, key, "dm_consent_decision", {
        "without_consent_decision": decision,
        "dm_rationale": ("Risk of harm outweighs the lack of consent." if decision == "proceed_without_consent"
                         else "Needs can be met by early intervention; no grounds to override the refusal."),
        "discussed_with_referrer": True, "dm_decided_on": "2026-11-24"}, "cs.duty_manager")


def up_request_and_contact(db, key, outcome, **extra):
    request = the_task(db, key, "request_for_help")
    assert request.properties == {"document": "swindon_request_for_help"}
    with pytest.raises(runtime.InvalidSubmission) as refused:  # the EHA and TAF plan go with the request
        runtime.complete(db, request.id, {
            "rhrt_level": "level_4", "needs_and_risks": "Neglect.", "work_done_so_far": "TAF since May.",
            "eha_completed": "yes", "eha_and_taf_attached": False, "request_sent_on": "2026-11-24"}, "worker.ash")
    assert "eha_and_taf_attached" in refused.value.errors
    do(db, key, "request_for_help", {
        "rhrt_level": "level_4", "needs_and_risks": "Home conditions deteriorating; child often hungry at school.",
        "work_done_so_far": "TAF since May; family worker visits weekly; little change.",
        "child_views": "Jamie says there is often no food at home.",
        "eha_completed": "yes", "eha_and_taf_attached": True, "request_sent_on": "2026-11-24"}, "worker.ash")
    contact = the_task(db, key, "open_contact")
    assert contact.lane == "front_door" and contact.properties == {"integration": "care_director.contact_opened"}
    do(db, key, "open_contact", {"care_director_contact_id": "CD-2026-10417", "contact_received_on": "2026-11-24",
                                 "eha_received": True}, "cs.practitioner")
    decision = the_task(db, key, "contact_decision")
    assert decision.properties == {"integration": "care_director.contact_outcome"}
    data = {"rhrt_level_assessed": "level_4" if outcome in ("mash", "statutory_assessment") else "level_3",
            "contact_outcome": outcome, "contact_rationale": f"Outcome {outcome} in line with the RHRT guidance.", **extra}
    return do(db, key, "contact_decision", data, "cs.practitioner")


def up_to_request(db, key, consent="given"):
    up_start(db, key)
    up_consider(db, key, "no")
    up_consent(db, key, consent)


def scenario_up_advice_only(db, clock, key="SW-UP-ADVICE-ONLY"):
    up_start(db, key)
    up_consider(db, key, "yes")
    finished(up_advice_call(db, key, "no_request_needed"), db, key)


def scenario_up_nfa_without_consent(db, clock, key="SW-UP-NFA"):
    up_to_request(db, key, "refused")
    finished(up_duty_manager(db, key, "no_further_action"), db, key)


def scenario_up_advice(db, clock, key="SW-UP-ADVICE"):
    up_start(db, key)
    up_consider(db, key, "yes")
    up_advice_call(db, key, "make_request")
    up_consent(db, key, "given")
    finished(up_request_and_contact(db, key, "advice"), db, key)


def scenario_up_single_agency(db, clock, key="SW-UP-SINGLE"):
    up_to_request(db, key, "not_sought_risk")
    up_duty_manager(db, key, "proceed_without_consent")
    finished(up_request_and_contact(db, key, "single_agency"), db, key)


def scenario_up_early_intervention(db, clock, key="SW-UP-EI"):
    up_to_request(db, key)
    finished(up_request_and_contact(db, key, "early_intervention", ei_service="youth_engagement"), db, key)


def scenario_up_mash(db, clock, key="SW-UP-MASH"):
    up_to_request(db, key)
    finished(up_request_and_contact(db, key, "mash"), db, key)


def scenario_up_locality_panel(db, clock, key="SW-UP-PANEL"):
    up_to_request(db, key)
    finished(up_request_and_contact(db, key, "locality_panel"), db, key)


def up_statutory(db, clock, key, assessment_type):
    up_to_request(db, key)
    up_request_and_contact(db, key, "statutory_assessment")
    # early intervention carries on beside the assessment
    assert open_ids(db, key) == {"progress_to_referral", "ei_continues"}
    assert the_task(db, key, "ei_continues").lane == "referring_professional"
    referral = the_task(db, key, "progress_to_referral")
    assert referral.properties == {"integration": "care_director.referral_opened"}
    do(db, key, "progress_to_referral", {"assessment_type": assessment_type, "allocated_team": "Assessment Team 2",
                                         "referral_opened_on": "2026-11-25"}, "cs.practitioner")
    assert open_ids(db, key) == {"ei_continues"}
    outcome = do(db, key, "ei_continues", {"services_continuing": "Family worker weekly visits; parenting group.",
                                           "social_worker_contacted": True, "ei_next_review_on": "2026-12-15"}, "worker.ash")
    finished(outcome, db, key)


def scenario_up_s17(db, clock, key="SW-UP-S17"):
    up_statutory(db, clock, key, "s17_cin")


def scenario_up_s47(db, clock, key="SW-UP-S47"):
    up_statutory(db, clock, key, "s47_cp")


def scenario_up_safeguarding(db, clock, key="SW-UP-SAFEGUARDING"):
    up_start(db, key)
    up_consider(db, key, "no")
    raise_safeguarding_concern(db, key)
    again = runtime.correlate(db, "safeguarding_concern", business_key=key, payload={"concern": "Second disclosure the same day."})
    assert again.state == "running"  # raised again: a second urgent referral
    assert [t.element_id for t in open_tasks(db, key)].count("urgent_referral") == 2
    assert "seek_consent" in open_ids(db, key)  # the procedure carries on beside the referrals
    complete_urgent_referral(db, key)
    complete_urgent_referral(db, key)
    up_consent(db, key, "refused")
    finished(up_duty_manager(db, key, "no_further_action"), db, key)


UP_SCENARIOS = [scenario_up_advice_only, scenario_up_nfa_without_consent, scenario_up_advice, scenario_up_single_agency,
                scenario_up_early_intervention, scenario_up_mash, scenario_up_locality_panel, scenario_up_s17,
                scenario_up_s47, scenario_up_safeguarding]


# == step-down =========================================================================================

SPREADSHEET_DUE = "2026-11-26T16:00:00+00:00"  # Thursday 4pm before ...
MEETING = "2026-12-01T16:00:00+00:00"  # ... the Tuesday 4pm transfer meeting


def down_start(db, key, trigger="cin_review"):
    outcome = runtime.start(
        db, STEP_DOWN, key, {"referral_source": "cin_team"}, "sw.priya",
        case={"council": "swindon", "children": [{"name": "Sam Example", "date_of_birth": "2017-01-20"}]},
    )
    assert outcome.state == "running"
    data = {"trigger": trigger, "sw_team": "assessment" if trigger == "statutory_assessment" else "cp_family_safeguarding",
            "needs_identified": "Support with routines and school attendance; parents engaging."}
    if trigger == "cin_review":
        data["cin_review_chaired_by_line_manager"] = True
    else:
        data.update(practitioner_recommended_decision="stepped_down_sbc_early_help", recommended_sbc_service="family_service")
    do(db, key, "identify_need", data, "sw.priya")


def down_tm(db, key, decision="agree"):
    task = the_task(db, key, "tm_agree")
    assert task.lane == "team_manager"
    return do(db, key, "tm_agree", {"tm_decision": decision, "tm_rationale": (
        "CIN plan outcomes achieved; early intervention can meet the remaining needs." if decision == "agree"
        else "Domestic abuse risk not yet reduced.")}, "tm.okafor")


def spreadsheet_data(plan="family_worker"):
    return {"child_locality": "west", "school_or_setting": "Westlea Primary School",
            "reason_for_step_down": "CIN plan achieved; needs now at early intervention level.",
            "agencies_involved": "School, school nurse.", "proposed_plan": plan,
            "risks_and_contingency": "Any new domestic abuse incident: step back up via Contact Swindon.",
            "spreadsheet_updated_on": "2026-11-25"}


def down_spreadsheet(db, key, plan="family_worker"):
    task = the_task(db, key, "complete_spreadsheet")
    assert task.properties == {"document": "swindon_transfer_spreadsheet"}
    assert next_timer(db, key) == datetime.fromisoformat(SPREADSHEET_DUE)


def down_to_meeting(db, clock, key, plan="family_worker"):
    """On time: the spreadsheet is done on Wednesday, the family goes to the Tuesday meeting."""
    down_spreadsheet(db, key, plan)
    clock.set("2026-11-25T11:00:00+00:00")
    do(db, key, "complete_spreadsheet", spreadsheet_data(plan), "sw.priya")
    assert open_tasks(db, key) == []
    assert next_timer(db, key) == datetime.fromisoformat(MEETING)
    assert fire_at(db, clock, SPREADSHEET_DUE.replace("16:00:00", "16:00:05")).fired == 0  # no escalation
    assert fire_at(db, clock, MEETING).fired == 0  # not at 4pm exactly
    run = fire_at(db, clock, MEETING.replace(":00+00:00", ":01+00:00"))
    assert run.fired == 1 and run.incidents == 0


def down_meeting(db, key, decision="step_down", panel="no", service="family_worker"):
    task = the_task(db, key, "transfer_meeting")
    assert task.lane == "team_manager" and task.candidate_groups == ["team_manager", "early_help_manager"]
    data = {"meeting_held_on": "2026-12-01", "managers_attending": ["team_manager", "early_help_manager", "family_coordinator"],
            "transfer_decision": decision, "transfer_rationale": "Discussed at the Tuesday transfer meeting."}
    if decision == "step_down":
        data.update(ei_service=service, locality_panel_needed=panel)
    return do(db, key, "transfer_meeting", data, "ehm.nolan")


def down_consent(db, key, consent="given", panel_consent=None):
    data = {"consent": consent, "consent_decided_by": "Father (Chris Example)", "consent_date": "2026-12-02"}
    if consent != "given":
        data["consent_notes"] = "Family do not want further involvement from services."
    if panel_consent:
        data["panel_consent"] = panel_consent
    return do(db, key, "seek_consent", data, "sw.priya")


def down_handover(db, key, handover_to="family_worker"):
    do(db, key, "handover", {"handover_to": handover_to, "handover_on": "2026-12-08", "joint_visit": "yes",
                             "handover_summary": "Plan, chronology and school contacts shared at a joint home visit."}, "sw.priya")
    accept = the_task(db, key, "accept_handover")
    assert accept.lane == "early_help_worker"
    do(db, key, "accept_handover", {"first_visit_on": "2026-12-08", "ei_plan": "Weekly visits on routines; school liaison.",
                                    "ei_review_on": "2027-01-12"}, "fw.dana")


def down_closure(db, key, reason, decision="signed_off"):
    record = the_task(db, key, "closure_record")
    assert record.properties == {"document": "swindon_closure_record", "integration": "care_director.closure_record"}
    data = {"reason_for_closure": reason, "closure_summary": "Stepped down after the transfer meeting.", "closed_on": "2026-12-09"}
    if reason == "stepped_down_universal":
        data.update(school_type="primary_school", school_name="Westlea Primary School")
    else:
        data["sbc_service"] = "family_service"
    do(db, key, "closure_record", data, "sw.priya")
    sign_off = the_task(db, key, "closure_sign_off")
    assert sign_off.lane == "team_manager"
    return do(db, key, "closure_sign_off", {"closure_decision": decision, "closure_sign_off_rationale": (
        "Reason and lead service are right." if decision == "signed_off" else "Lead service not yet confirmed by the school.")},
        "tm.okafor")


def scenario_down_not_agreed(db, clock, key="SW-DOWN-NOT-AGREED"):
    down_start(db, key)
    finished(down_tm(db, key, "not_agree"), db, key)


def scenario_down_stays_open(db, clock, key="SW-DOWN-STAYS"):
    down_start(db, key, "statutory_assessment")
    down_tm(db, key)
    down_to_meeting(db, clock, key)
    finished(down_meeting(db, key, "stay_with_social_care"), db, key)


def scenario_down_no_consent_stays_open(db, clock, key="SW-DOWN-NO-CONSENT"):
    down_start(db, key)
    down_tm(db, key)
    down_to_meeting(db, clock, key)
    down_meeting(db, key)
    down_consent(db, key, "refused")
    review = the_task(db, key, "consent_not_given")
    assert review.lane == "team_manager"
    finished(do(db, key, "consent_not_given", {"consent_review_decision": "stay_with_social_care",
                                               "consent_review_rationale": "Needs remain; continue the CIN plan."}, "tm.okafor"), db, key)


def scenario_down_no_consent_universal(db, clock, key="SW-DOWN-UNIVERSAL"):
    down_start(db, key)
    down_tm(db, key)
    down_to_meeting(db, clock, key)
    down_meeting(db, key)
    down_consent(db, key, "refused")
    do(db, key, "consent_not_given", {"consent_review_decision": "close_to_universal",
                                      "consent_review_rationale": "Needs can be met by the school; family decline early help."}, "tm.okafor")
    finished(down_closure(db, key, "stepped_down_universal"), db, key)


def scenario_down_handover_early_help(db, clock, key="SW-DOWN-HANDOVER"):
    down_start(db, key, "statutory_assessment")
    down_tm(db, key)
    down_to_meeting(db, clock, key)
    down_meeting(db, key, panel="yes", service="youth_engagement_worker")
    down_consent(db, key, "given", panel_consent="refused")  # no panel without the parents' consent
    assert open_ids(db, key) == {"handover"}
    down_handover(db, key, "youth_engagement_worker")
    finished(down_closure(db, key, "stepped_down_sbc_early_help"), db, key)


def scenario_down_late_spreadsheet_panel(db, clock, key="SW-DOWN-PANEL"):
    down_start(db, key)
    down_tm(db, key)
    down_spreadsheet(db, key, "locality_panel")
    assert fire_at(db, clock, SPREADSHEET_DUE).fired == 0
    run = fire_at(db, clock, SPREADSHEET_DUE.replace(":00+00:00", ":01+00:00"))  # Thursday 4pm passed
    assert run.fired == 1
    overdue = the_task(db, key, "spreadsheet_overdue")
    assert overdue.lane == "team_manager"
    assert open_ids(db, key) == {"spreadsheet_overdue", "complete_spreadsheet"}  # the SW still has to do it
    do(db, key, "spreadsheet_overdue", {"overdue_reason": "Social worker in court all week.",
                                        "tm_action": "Protected time on Friday to complete it."}, "tm.okafor")
    clock.set("2026-11-27T10:00:00+00:00")  # Friday: too late for Tuesday 1 December
    do(db, key, "complete_spreadsheet", spreadsheet_data("locality_panel"), "sw.priya")
    assert next_timer(db, key) == datetime.fromisoformat("2026-12-08T16:00:00+00:00")
    assert fire_at(db, clock, "2026-12-01T16:00:01+00:00").fired == 0
    assert fire_at(db, clock, "2026-12-08T16:00:01+00:00").fired == 1
    down_meeting(db, key, panel="yes")
    down_consent(db, key, "given", panel_consent="given")
    agenda = the_task(db, key, "add_to_panel_agenda")
    assert agenda.lane == "family_coordinator" and agenda.properties == {"document": "swindon_locality_panel_agenda"}
    do(db, key, "add_to_panel_agenda", {"panel_locality": "west", "next_panel_on": "2026-12-16",
                                        "agenda_summary": "Step-down from CIN; needs around routines and school."}, "fc.morgan")
    assert open_tasks(db, key) == []
    runtime.correlate(db, "locality_panel_meeting", business_key=key, payload={"panel": "west", "held_on": "2026-12-16"})
    panel = the_task(db, key, "panel_decision")
    assert panel.lane == "locality_panel"
    do(db, key, "panel_decision", {
        "panel_held_on": "2026-12-16", "social_worker_attended": True,
        "services_decided": ["family_service", "school", "health"], "panel_plan": "Family Service leads; school nurse reviews health.",
        "panel_actions": [{"action": "Allocate a family worker", "owner": "Family Service", "due": "2026-12-18"},
                          {"action": "Health review", "owner": "School nurse", "due": "2027-01-08"}],
    }, "panel.chair")
    down_handover(db, key)
    finished(down_closure(db, key, "stepped_down_sbc_early_help", "not_signed_off"), db, key)


def scenario_down_safeguarding(db, clock, key="SW-DOWN-SAFEGUARDING"):
    down_start(db, key)
    down_tm(db, key)
    raise_safeguarding_concern(db, key)
    assert open_ids(db, key) == {"urgent_referral", "complete_spreadsheet"}
    complete_urgent_referral(db, key)
    down_to_meeting(db, clock, key)
    finished(down_meeting(db, key, "stay_with_social_care"), db, key)


DOWN_SCENARIOS = [scenario_down_not_agreed, scenario_down_stays_open, scenario_down_no_consent_stays_open,
                  scenario_down_no_consent_universal, scenario_down_handover_early_help,
                  scenario_down_late_spreadsheet_panel, scenario_down_safeguarding]

SCENARIOS = UP_SCENARIOS + DOWN_SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_scenario(deployed, clock, scenario):
    scenario(deployed, clock)


def test_the_safeguarding_message_reaches_a_case_waiting_for_the_transfer_meeting(deployed, clock):
    db, key = deployed, "SW-DOWN-SG-WAIT"
    down_start(db, key)
    down_tm(db, key)
    down_spreadsheet(db, key)
    clock.set("2026-11-25T11:00:00+00:00")
    do(db, key, "complete_spreadsheet", spreadsheet_data(), "sw.priya")
    raise_safeguarding_concern(db, key)
    assert fire_at(db, clock, "2026-12-01T16:00:01+00:00").fired == 1
    assert open_ids(db, key) == {"urgent_referral", "transfer_meeting"}


@pytest.mark.parametrize("process_key, bpmn_file, scenarios", [
    (STEP_UP, STEP_UP_FILE, UP_SCENARIOS), (STEP_DOWN, STEP_DOWN_FILE, DOWN_SCENARIOS)], ids=[STEP_UP, STEP_DOWN])
def test_every_sequence_flow_is_taken_by_the_scenarios(deployed, clock, process_key, bpmn_file, scenarios):
    start_moment = clock.now()
    for scenario in scenarios:
        clock.set(start_moment)
        scenario(deployed, clock)
    coverage = flow_coverage(deployed, process_key, bpmn_file)
    missing = [f"{f.id} ({f.source} -> {f.target})" for f in coverage.missing]
    assert not missing, f"{len(missing)} of {len(coverage.flows)} flows not taken: {missing}"
    assert coverage.ratio == 1.0
