"""Shropshire step-down from children's social work to Targeted Early Help / Early Help (guidance
routes 3a, 3b, 4a and 4b), driven path by path through the runtime with the clock moved by hand."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import runtime
from engine.catalog import collect, deploy
from engine.runtime import repository
from engine.store import models
from SpiffWorkflow.util.task import TaskState

from .coverage import flow_coverage
from .scenario import fire_at, instance_state, next_timer, open_tasks, the_task

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
BPMN_FILE = PROCESSES / "shropshire" / "step_down.bpmn"
KEY = "shropshire_step_down"

ASSESS_T, ASSESS_EH = "assessment_to_targeted_eh", "assessment_to_eh_services"
CM_T, CM_EH = "case_management_to_targeted_eh", "case_management_to_eh_services"
WEEKLY_MEETING = "2026-11-25T10:00:00+00:00"  # the Wednesday after Monday 23 November 2026
MONTHLY_MEETING = "2026-12-03T10:00:00+00:00"  # the first Thursday of December 2026


@pytest.fixture
def deployed(db, clock):
    deploy(db, collect([PROCESSES / "shropshire", PROCESSES / "common"]), name="shropshire", actor="process.owner")
    return db


# -- helpers ------------------------------------------------------------------------------------

def open_ids(db, key):
    return {t.element_id for t in open_tasks(db, key)}


def do(db, key, element_id, data, actor, lane=None):
    repository.cache.clear()  # every step as a fresh server process would see it
    task = the_task(db, key, element_id)
    if lane is not None:
        assert task.lane == lane, f"{element_id} is in lane {task.lane}, expected {lane}"
    assert task.form_ref, f"{element_id} has no form"
    return runtime.complete(db, task.id, data, actor)


def just_after(moment: str) -> str:
    return moment.replace(":00+00:00", ":01+00:00")


def assert_completed(db, key, outcome):
    assert outcome.state == "completed", outcome
    assert open_tasks(db, key) == []
    assert instance_state(db, key) == "completed"


APPENDIX_A = {
    "appx_consent_and_engagement": True,
    "appx_risks_and_needs": "Neglect of home conditions and missed health appointments after the father left.",
    "appx_work_done": "Parenting support, home conditions plan, GP and dental registration completed.",
    "appx_protective_factors": "Mother engages well; maternal grandmother visits daily; good school attendance.",
    "appx_why_now": "Home conditions have been good for 4 months and every CIN plan action is achieved.",
    "appx_outcomes_remaining": "Routines at bedtime; mother's confidence managing the children's behaviour.",
    "appx_sf_criteria": "Children who need help; families affected by parenting issues.",
    "appx_early_warning_signs": "Missed appointments, school reporting the children arriving hungry or late.",
    "appx_actions_if_risk_increases": "LP calls an early EHPM and consults an Early Help Social Worker via COMPASS; MARF if needed.",
    "appx_information_provided": "yes",
    "appx_closure_summary_completed": "yes",
}
ACTIONS = [
    {"action": "Bedtime routine chart with the family", "owner": "Lead professional", "due": "2026-12-18"},
    {"action": "Confirm dental appointment for both children", "owner": "Mother", "due": "2027-01-08"},
]


# -- the shared first part -------------------------------------------------------------------------

def start(db, key, stepping_down_from="assessment_team", receiving_service="targeted_early_help", current_plan="assessment"):
    outcome = runtime.start(
        db, KEY, key, {}, "sw.priya",
        case={"council": "shropshire", "locality": "south", "children": [
            {"name": "Alex Example", "date_of_birth": "2015-06-02", "case_system_number": "CF-" + key},
            {"name": "Jo Example", "date_of_birth": "2018-01-20"}]},
    )
    assert outcome.state == "running"
    do(db, key, "sw_propose_step_down", {
        "carefirst_number": "CF-" + key, "stepping_down_from": stepping_down_from,
        "receiving_service": receiving_service, "current_plan": current_plan,
        "step_down_reason": "Home conditions and health needs have improved and stayed improved.",
        "outstanding_needs": "Bedtime routines and mother's confidence with behaviour.",
    }, "sw.priya", lane="social_worker")


def tm_agree(db, key, decision="agree"):
    task = the_task(db, key, "tm_agree_step_down")
    assert task.properties == {"integration": "carefirst.management_oversight"}
    return do(db, key, "tm_agree_step_down", {
        "tm_decision": decision, "tm_basis": "swa_recommendations",
        "outstanding_support_needs": "Routines and behaviour support.",
        "tm_rationale": "SWA recommends Targeted Early Help; risks reduced." if decision == "agree"
        else "New partner in the household not yet assessed.",
    }, "tm.hughes", lane="team_manager")


def share_intention(db, key):
    do(db, key, "sw_share_intention", {
        "intention_shared_on": "2026-11-23", "intention_shared_with": ["child", "parent_carer", "multi_agency_partners"],
        "child_views": "Alex is happy to keep seeing a worker and wants help with bedtimes.",
        "family_views": "Mother agrees and would like help at home after school.",
        "contingency_plan": "If the family disengages the LP calls an early EHPM; if risk is not managed, consult via COMPASS.",
    }, "sw.priya", lane="social_worker")


def sf_consent(db, key, consent="given", case_management=False):
    task = the_task(db, key, "sw_sf_consent")
    assert task.properties == {"document": "shropshire_sf_consent", "integration": "carefirst.carestore_consent"}
    data = {"consent": consent, "consent_decided_by": "Mother (Sam Example)", "consent_date": "2026-11-23"}
    if consent == "given":
        data.update(signed_by_parent_in_household=True, carestore_location="carestore/CF-123/SF consent 2026-11-23")
        if case_management:
            with pytest.raises(runtime.InvalidSubmission) as refused:  # 4a/4b: both sides signed, boxes ticked
                runtime.complete(db, task.id, data, "sw.priya")
            assert "signed_both_sides_boxes_ticked" in refused.value.errors
            data["signed_both_sides_boxes_ticked"] = True
    elif consent == "refused":
        data["consent_notes"] = "Mother does not want information shared with other agencies."
    else:
        data["consent_notes"] = "Seeking consent now would alert the father, who is subject to a police investigation."
    return do(db, key, "sw_sf_consent", data, "sw.priya", lane="social_worker")


def closure_summary(db, key):
    assert the_task(db, key, "sw_closure_summary").properties == {
        "document": "shropshire_closure_summary", "integration": "carefirst.closure_summary"}
    do(db, key, "sw_closure_summary", {
        "professionals_involved": [
            {"name": "Priya Example", "role": "Social worker", "agency": "Shropshire Council"},
            {"name": "Dr Example", "role": "GP", "agency": "Example Surgery"},
            {"name": "Ms Example", "role": "Designated safeguarding lead", "agency": "Example Primary School"},
        ],
        "step_up_contingency": "Step up if home conditions deteriorate again or the children miss health appointments.",
        "closure_summary": "CIN plan completed; needs now met at Early Help level.",
        "closure_summary_on": "2026-11-23",
    }, "sw.priya", lane="social_worker")


def common_part(db, key, consent="given", case_management=False):
    tm_agree(db, key)
    share_intention(db, key)
    sf_consent(db, key, consent, case_management)
    if consent == "given":
        closure_summary(db, key)


def cp_guard(db, key, decision):
    task = the_task(db, key, "sm_approve_cp_step_down")
    assert task.lane == "service_manager"
    do(db, key, "sm_approve_cp_step_down", {
        "sm_decision": decision,
        "sm_rationale": "Risk well reduced; a CIN period would add nothing." if decision == "approve"
        else "Needs a period of CIN planning first to test the changes.",
    }, "sm.evans")
    if decision == "refuse":
        assert open_ids(db, key) == {"cin_home_visit"}
        with pytest.raises(runtime.InvalidSubmission) as refused:
            runtime.complete(db, the_task(db, key, "cin_home_visit").id, {"home_visit_on": "2026-11-24", "child_seen_alone": False,
                                                                         "child_views_alone": "-"}, "sw.priya")
        assert "child_seen_alone" in refused.value.errors
        do(db, key, "cin_home_visit", {"home_visit_on": "2026-11-24", "child_seen_alone": True,
                                        "child_views_alone": "Alex said things are calmer at home."}, "sw.priya", lane="social_worker")
        do(db, key, "cin_planning_meeting", {
            "cin_meeting_on": "2026-11-25", "cin_meeting_attendees": ["social_worker", "parent_carer", "multi_agency_partners"],
            "step_down_arrangements": "Step down to Early Help after the monthly step-down meeting.", "actions": ACTIONS,
        }, "sw.priya", lane="social_worker")


# -- route pieces --------------------------------------------------------------------------------------

def find_worker_and_meet(db, clock, key, weekly: bool):
    do(db, key, "ehm_find_worker", {"ops_managers_emailed_on": "2026-11-23", "targeted_service": "Targeted Youth Support",
                                    "worker_identified": "Family worker (South)"}, "ehm.khan", lane="early_help_manager")
    slot = WEEKLY_MEETING if weekly else MONTHLY_MEETING
    assert next_timer(db, key) == datetime.fromisoformat(slot)
    assert fire_at(db, clock, slot).fired == 0  # fires once the time has passed
    assert open_tasks(db, key) == []
    assert fire_at(db, clock, just_after(slot)).fired == 1
    meeting = "weekly_step_down_meeting" if weekly else "monthly_step_down_meeting"
    task = the_task(db, key, meeting)
    assert task.properties == {"document": "shropshire_appendix_a"}
    assert task.candidate_groups == ["early_help_manager", "assessment_team_manager" if weekly else "case_management_manager"]
    data = {"meeting_held_on": slot[:10], "sf_consent_shared": True, "targeted_eh_role": "Whole family support on routines.",
            **APPENDIX_A}
    if weekly:
        data.update(meeting_attendees=["early_help_manager", "assessment_team_manager"], swa_shared=True)
    else:
        data.update(meeting_attendees=["early_help_manager", "case_management_manager"], cin_cp_plan_shared=True,
                    final_review_date="2026-12-15", final_review_time="14:00")
    incomplete = {k: v for k, v in data.items() if k != "appx_protective_factors"}
    with pytest.raises(runtime.InvalidSubmission) as refused:  # every Appendix A question is required
        runtime.complete(db, task.id, incomplete, "ehm.khan")
    assert "appx_protective_factors" in refused.value.errors
    do(db, key, meeting, data, "ehm.khan", lane="early_help_manager")
    do(db, key, "ops_allocate_lp", {"lp_name": "Casey Example", "lp_service": "Targeted Early Help (South)",
                                    "information_shared_with_lp": True, "lp_attends_final_review": not weekly},
       "ops.south", lane="targeted_eh_operational_manager")


def havenbrook_and_first_ehpm(db, key, havenbrook: bool):
    if havenbrook:
        do(db, key, "invite_havenbrook_manager", {"havenbrook_manager_invited": True, "short_breaks_review_date": "2027-03-01"},
           "lp.casey", lane="lead_professional")
    task = the_task(db, key, "first_ehpm")
    assert task.properties == {"document": "shropshire_whole_family_action_plan", "integration": "ecins.whole_family_action_plan"}
    attendees = ["lead_professional", "social_worker", "parent_carer", "agencies"] + (["havenbrook_manager"] if havenbrook else [])
    do(db, key, "first_ehpm", {
        "ehpm_held_on": "2026-12-10", "ehpm_attendees": attendees,
        "whole_family_action_plan": "Routines, behaviour support and health appointments, reviewed on ECINS.",
        "actions": ACTIONS, "ehpm_contingency_plan": "If the family disengages: home visit within a week, then COMPASS consultation.",
        "webstar_recorded": True, "next_ehpm_date": "2027-01-21",
    }, "lp.casey", lane="lead_professional")


def final_review(db, key):
    task = the_task(db, key, "final_cin_review")
    assert task.properties == {"integration": "carefirst.step_down"} and task.lane == "social_worker"
    do(db, key, "final_cin_review", {"review_held_on": "2026-12-15", "review_type": "final_cin_review",
                                     "review_attendees": ["social_worker", "lead_professional", "parent_carer"],
                                     "formally_stepped_down": True}, "sw.priya")
    do(db, key, "lp_action_plan_at_review", {
        "whole_family_assessment_in_place": True,
        "whole_family_action_plan": "Remaining CIN concerns: routines and school attendance.", "actions": ACTIONS,
        "ehpm_contingency_plan": "If the family disengages: LP visit, then COMPASS consultation.",
        "webstar_scores": "Routines 4/10, health 7/10.", "next_ehpm_date": "2027-01-26",
    }, "lp.casey", lane="lead_professional")


def partners(db, key, agree="yes", agency="universal"):
    data = {"partners_consulted_on": "2026-11-24", "partners_agree": agree}
    if agree == "yes":
        data.update(lp_name="Mx Example (school family support)", lp_setting="Example Primary School",
                    lp_agency_type=agency, step_down_timing="From the start of December",
                    contingency_discussed_with_lp=True)
    else:
        data["partners_notes"] = "School and health visitor think Targeted Early Help is needed."
    return do(db, key, "sw_agree_with_partners", data, "sw.priya", lane="social_worker")


def eh_services_meeting(db, clock, key, weekly: bool):
    slot = WEEKLY_MEETING if weekly else MONTHLY_MEETING
    assert next_timer(db, key) == datetime.fromisoformat(slot)
    assert fire_at(db, clock, just_after(slot)).fired == 1
    if weekly:
        task = the_task(db, key, "ehm_notified_weekly")
        assert task.candidate_groups == ["early_help_manager", "assessment_team_manager"]
        do(db, key, "ehm_notified_weekly", {"meeting_held_on": slot[:10], "first_ehpm_date": "2026-12-10",
                                            "sf_team_emailed_on": slot[:10]}, "ehm.khan", lane="early_help_manager")
    else:
        task = the_task(db, key, "ehm_notified_monthly")
        assert task.candidate_groups == ["early_help_manager", "case_management_manager"]
        do(db, key, "ehm_notified_monthly", {"meeting_held_on": slot[:10], "final_review_date": "2026-12-15",
                                             "sf_team_emailed_on": slot[:10]}, "ehm.khan", lane="early_help_manager")
    assert the_task(db, key, "sf_add_to_ecins").properties == {"integration": "ecins.add_family"}


def sf_ecins_on_time(db, key):
    do(db, key, "sf_add_to_ecins", {"ecins_added_on": "2026-12-04", "ecins_reference": "ECINS-4471", "lp_notified": True},
       "sf.team", lane="strengthening_families_team")


def allocate_ldo(db, key):
    do(db, key, "sf_allocate_ldo", {"ldo_name": "LDO (Central)", "ldo_allocated_on": "2026-12-04"},
       "sf.team", lane="strengthening_families_team")


def monitor_and_close(db, key, ldo=False, universal=False, reviews=2, ldo_last=False):
    if ldo_last:  # the line manager's reviews end before the LDO's oversight does
        lm_reviews(db, key, reviews)
    if universal:
        do(db, key, "sf_claim_monitoring", {"activity_checked_on": "2027-01-10", "activity_seen": True, "claim_eligible": "not_yet"},
           "sf.team", lane="strengthening_families_team")
    if ldo:
        for done in (False, True):
            do(db, key, "ldo_oversight", {"ldo_reviewed_on": "2027-02-01", "ldo_progress": "Plan on track.",
                                          "outcomes_achieved": done}, "ldo.central", lane="locality_development_officer")
    else:
        assert "ldo_oversight" not in open_ids(db, key)
    if not ldo_last:
        lm_reviews(db, key, reviews)
    task = the_task(db, key, "lm_close_episode")
    assert task.properties == {"integration": "ecins.close_episode"}
    return do(db, key, "lm_close_episode", {"eh_closed_on": "2027-03-31",
                                            "outcomes_summary": "All Whole Family Action Plan outcomes achieved."}, "lm.morgan")


def lm_reviews(db, key, reviews):
    for review in range(reviews):
        last = review == reviews - 1
        do(db, key, "lm_monitoring", {"lm_reviewed_on": f"2027-0{review + 1}-15", "lm_plan_progress": "Actions being completed.",
                                      "support_package_coordinated": True, "ready_to_close": last},
           "lm.morgan", lane="lead_professional_line_manager")
    assert "lm_monitoring" not in open_ids(db, key)


def new_concerns(db, key, outcome):
    runtime.correlate(db, "new_concerns", business_key=key, actor="lp.casey",
                      payload={"concern": "Family cancelled two visits in a row."})
    task = the_task(db, key, "compass_consultation")
    assert task.lane == "early_help_social_worker"
    assert "lm_monitoring" in open_ids(db, key)  # monitoring carries on
    do(db, key, "compass_consultation", {
        "consultation_on": "2027-01-20", "concern_summary": "Family disengaging; Jo missed school twice.",
        "consultation_advice": "LP to visit jointly with the school; review at the next EHPM." if outcome == "continue_early_help"
        else "Bruising reported by school: MARF today.",
        "consultation_outcome": outcome,
    }, "ehsw.lee")
    if outcome == "marf":
        referral = the_task(db, key, "urgent_referral")
        assert referral.lane == "front_door"
        do(db, key, "urgent_referral", {"concern": "Bruising reported by school.", "immediate_action": "Strategy discussion requested.",
                                        "child_seen": "yes", "referred_to": "mash", "referred_at": "2027-01-20"}, "fd.duty")
    assert "compass_consultation" not in open_ids(db, key)


# -- scenarios (each drives one path to its end) ------------------------------------------------------

def scenario_not_agreed(db, clock, key="SH-NOT-AGREED"):
    start(db, key)
    outcome = tm_agree(db, key, "not_agree")
    assert_completed(db, key, outcome)


def scenario_consent_refused(db, clock, key="SH-REFUSED"):
    start(db, key)
    tm_agree(db, key)
    share_intention(db, key)
    assert_completed(db, key, sf_consent(db, key, "refused"))


def scenario_consent_not_sought(db, clock, key="SH-NOT-SOUGHT"):
    start(db, key)
    tm_agree(db, key)
    share_intention(db, key)
    assert_completed(db, key, sf_consent(db, key, "not_sought_risk"))


def scenario_3a_targeted_from_assessment(db, clock, key="SH-3A"):
    start(db, key)
    common_part(db, key)
    find_worker_and_meet(db, clock, key, weekly=True)
    do(db, key, "ops_add_to_ecins_3a", {"ecins_added_on": "2026-11-26", "ecins_reference": "ECINS-4470"},
       "ops.south", lane="targeted_eh_operational_manager")
    do(db, key, "lp_first_visit", {"swa_read": True, "first_visit_on": "2026-11-30", "first_visit_notes": "Met Alex, Jo and mother."},
       "lp.casey", lane="lead_professional")
    do(db, key, "lp_arrange_ehpm", {"second_visit_on": "2026-12-03", "first_ehpm_date": "2026-12-10",
                                    "agencies_invited": "School, health visitor, Havenbrook.", "family_informed": True,
                                    "havenbrook_short_breaks": True}, "lp.casey")
    assert the_task(db, key, "lp_webstar").properties == {"integration": "ecins.whole_family_webstar"}
    do(db, key, "lp_webstar", {"third_visit_on": "2026-12-07", "webstar_summary": "Routines 3/10; health 6/10."}, "lp.casey")
    havenbrook_and_first_ehpm(db, key, havenbrook=True)
    new_concerns(db, key, "continue_early_help")
    assert_completed(db, key, monitor_and_close(db, key))


def scenario_3b_eh_services_from_assessment(db, clock, key="SH-3B"):
    start(db, key, receiving_service="early_help_services")
    common_part(db, key)
    partners(db, key, agency="universal")
    do(db, key, "sw_appendix_a_with_lp", {"discussed_with_lp_on": "2026-11-24", **APPENDIX_A}, "sw.priya", lane="social_worker")
    eh_services_meeting(db, clock, key, weekly=True)
    # not on ECINS by the first EHPM (10 December): escalates to the EH manager
    assert next_timer(db, key) == datetime.fromisoformat("2026-12-10T09:00:00+00:00")
    assert fire_at(db, clock, "2026-12-10T09:00:01+00:00").fired == 1
    assert [t.element_id for t in runtime.tasks(db, business_key=key, state="cancelled")] == ["sf_add_to_ecins"]
    do(db, key, "ehm_ecins_overdue_sf", {"overdue_reason": "SF team email went to the wrong inbox.", "ehm_action": "Phoned SF team lead.",
                                         "ecins_added_on": "2026-12-10", "ecins_reference": "ECINS-4472"},
       "ehm.khan", lane="early_help_manager")
    allocate_ldo(db, key)
    do(db, key, "sw_arrange_first_ehpm", {"first_ehpm_date": "2026-12-10", "agencies_invited": "School, school nurse.",
                                          "family_informed": True, "havenbrook_short_breaks": False}, "sw.priya", lane="social_worker")
    havenbrook_and_first_ehpm(db, key, havenbrook=False)
    new_concerns(db, key, "marf")
    assert_completed(db, key, monitor_and_close(db, key, ldo=True, universal=True))


def scenario_3b_partners_not_agreed(db, clock, key="SH-3B-NO"):
    start(db, key, receiving_service="early_help_services")
    common_part(db, key)
    assert_completed(db, key, partners(db, key, agree="no"))


def scenario_4a_from_cp_plan_after_cin_period(db, clock, key="SH-4A-CIN"):
    start(db, key, stepping_down_from="case_management_team", current_plan="cp_plan")
    tm_agree(db, key)
    cp_guard(db, key, "refuse")
    share_intention(db, key)
    sf_consent(db, key, "given", case_management=True)
    closure_summary(db, key)
    clock.set("2026-11-26T09:00:00+00:00")  # after the CIN period
    find_worker_and_meet(db, clock, key, weekly=False)
    do(db, key, "ops_add_to_ecins_4a", {"ecins_added_on": "2026-12-08", "ecins_reference": "ECINS-4473"},
       "ops.south", lane="targeted_eh_operational_manager")
    final_review(db, key)
    assert_completed(db, key, monitor_and_close(db, key, reviews=1))


def scenario_4a_ecins_late(db, clock, key="SH-4A-LATE"):
    start(db, key, stepping_down_from="disabled_childrens_team", current_plan="cin_plan")
    common_part(db, key, case_management=True)
    find_worker_and_meet(db, clock, key, weekly=False)
    assert next_timer(db, key) == datetime.fromisoformat("2026-12-15T09:00:00+00:00")  # before the Final CIN review
    assert fire_at(db, clock, "2026-12-15T09:00:01+00:00").fired == 1
    do(db, key, "ehm_ecins_overdue_ops", {"overdue_reason": "Operational manager on leave.", "ehm_action": "Covering manager added the family.",
                                          "ecins_added_on": "2026-12-15", "ecins_reference": "ECINS-4474"}, "ehm.khan",
       lane="early_help_manager")
    final_review(db, key)
    assert_completed(db, key, monitor_and_close(db, key))


def scenario_4b_eh_services_from_cp_plan(db, clock, key="SH-4B"):
    start(db, key, stepping_down_from="case_management_team", receiving_service="early_help_services", current_plan="cp_plan")
    tm_agree(db, key)
    cp_guard(db, key, "approve")
    share_intention(db, key)
    sf_consent(db, key, "given", case_management=True)
    closure_summary(db, key)
    partners(db, key, agency="early_help_service")
    eh_services_meeting(db, clock, key, weekly=False)
    sf_ecins_on_time(db, key)
    allocate_ldo(db, key)
    final_review(db, key)
    assert_completed(db, key, monitor_and_close(db, key, ldo=True, ldo_last=True))


def scenario_safeguarding(db, clock, key="SH-SAFEGUARDING"):
    start(db, key)
    tm_agree(db, key)
    for concern in ("Alex disclosed being hit at home.", "Police notification overnight."):  # repeatedly, at any time
        outcome = runtime.correlate(db, "safeguarding_concern", business_key=key, actor="sw.priya",
                                    payload={"concern": concern, "raised_by": "sw.priya"})
        assert outcome.state == "running"
    referrals = [t for t in open_tasks(db, key) if t.element_id == "urgent_referral"]
    assert len(referrals) == 2 and all(t.lane == "front_door" for t in referrals)
    assert "sw_share_intention" in open_ids(db, key)  # the procedure carries on beside the referrals
    for referral in referrals:
        runtime.complete(db, referral.id, {"concern": "Disclosure of physical harm.", "immediate_action": "MASH strategy discussion.",
                                           "child_seen": "yes", "referred_to": "mash", "referred_at": "2026-11-23"}, "fd.duty")
    share_intention(db, key)
    assert_completed(db, key, sf_consent(db, key, "refused"))


SCENARIOS = [scenario_not_agreed, scenario_consent_refused, scenario_consent_not_sought,
             scenario_3a_targeted_from_assessment, scenario_3b_eh_services_from_assessment, scenario_3b_partners_not_agreed,
             scenario_4a_from_cp_plan_after_cin_period, scenario_4a_ecins_late, scenario_4b_eh_services_from_cp_plan,
             scenario_safeguarding]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_scenario(deployed, clock, scenario):
    scenario(deployed, clock)


def test_the_safeguarding_message_reaches_a_case_waiting_for_the_monthly_meeting(deployed, clock):
    db, key = deployed, "SH-SG-WAIT"
    start(db, key, stepping_down_from="case_management_team")
    common_part(db, key, case_management=True)
    do(db, key, "ehm_find_worker", {"ops_managers_emailed_on": "2026-11-23", "targeted_service": "Targeted Youth Support",
                                    "worker_identified": "Family worker (North)"}, "ehm.khan")
    runtime.correlate(db, "safeguarding_concern", business_key=key, payload={"concern": "Police notification overnight."})
    assert open_ids(db, key) == {"urgent_referral"}
    assert fire_at(db, clock, just_after(MONTHLY_MEETING)).fired == 1
    assert open_ids(db, key) == {"urgent_referral", "monthly_step_down_meeting"}


def test_the_route_table(deployed, clock):
    for n, (frm, to, route) in enumerate([("assessment_team", "targeted_early_help", ASSESS_T),
                                          ("assessment_team", "early_help_services", ASSESS_EH),
                                          ("case_management_team", "targeted_early_help", CM_T),
                                          ("disabled_childrens_team", "early_help_services", CM_EH)]):
        key = f"SH-ROUTE-{n}"
        start(deployed, key, stepping_down_from=frm, receiving_service=to)
        repository.cache.clear()
        with deployed.reader() as session:
            instance = session.scalar(select(models.ProcessInstance).where(models.ProcessInstance.business_key == key))
            workflow = repository.load(session.connection(), deployed.url, instance, use_cache=False).workflow
        [tm] = [t for t in workflow.get_tasks() if t.task_spec.bpmn_id == "tm_agree_step_down" and t.has_state(TaskState.READY)]
        assert tm.data["route"] == route


def test_every_sequence_flow_is_taken_by_the_scenarios(deployed, clock):
    start_moment = clock.now()
    for scenario in SCENARIOS:
        clock.set(start_moment)
        scenario(deployed, clock)
    coverage = flow_coverage(deployed, KEY, BPMN_FILE)
    missing = [f"{f.id} ({f.source} -> {f.target})" for f in coverage.missing]
    print("flows not taken:", missing)
    assert not missing, f"{len(missing)} of {len(coverage.flows)} flows not taken: {missing}"
    assert coverage.ratio == 1.0
