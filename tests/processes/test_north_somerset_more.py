"""North Somerset step-up (FWB intensive family support -> Front Door) and step-down to
universal services (Family Hub / Children's Centre), driven path by path through the runtime,
with the clock moved by hand. The step-down to FWB is in test_north_somerset.py, whose small
helpers (finding and completing tasks, firing timers, completing referrals) are reused here."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engine import runtime
from engine.catalog import collect, deploy

from .coverage import flow_coverage
from .test_north_somerset import (
    COMMON_FILE, PROCESSES, REFERRAL_KEY, REFERRAL_TASK, do, fire_at, instance_state, next_timer, open_tasks,
    process_folders, refer, referrals, the_task,
)

STEP_UP_FILE = PROCESSES / "north_somerset" / "step_up_to_front_door.bpmn"
STEP_UP = "north_somerset_step_up"
UNIVERSAL_FILE = PROCESSES / "north_somerset" / "step_down_to_universal.bpmn"
UNIVERSAL = "north_somerset_step_down_universal"


@pytest.fixture
def deployed(db, clock):
    deploy(db, collect(process_folders()), name="north_somerset", actor="process.owner")
    return db


def start(db, process, key, actor):
    outcome = runtime.start(
        db, process, key, {"referral_source": "family_wellbeing_service"}, actor,
        case={"council": "north_somerset", "children": [{"name": "Alex Sample", "date_of_birth": "2018-07-02"}]},
    )
    assert outcome.state == "running"
    return outcome


def done(outcome, db, key):
    assert outcome.state == "completed" and open_tasks(db, key) == []
    assert instance_state(db, key) == "completed"


# ================================================================== step-up to the Front Door

def step_up_request(db, key, last_sw_end=None):
    start(db, STEP_UP, key, "fsw.kit")
    task = the_task(db, key, "complete_step_up_request")
    assert task.lane == "family_support_worker" and task.form_ref == "ns_step_up_request"
    assert task.properties == {"document": "ns_step_up_request", "integration": "ehm.step_up_request"}
    data = {"request_completed_on": "2026-11-23",
            "new_concerns": "Mother's new partner has moved in; Alex has unexplained absences and seemed frightened at home.",
            "work_done_so_far": "Twelve weeks of routines work; engagement dropped since October.",
            "children_views": "Alex says home is 'shouty' at night.",
            "previous_sw": "yes" if last_sw_end else "no"}
    if last_sw_end:
        data.update(last_sw_involvement_end=last_sw_end, previous_sw_name="SW Amira Example")
    return do(db, key, "complete_step_up_request", data, "fsw.kit")


def managers(db, key, decision="needed"):
    task = the_task(db, key, "discuss_with_managers")
    assert task.lane == "support_leader" and task.candidate_groups == ["support_leader", "locality_team_manager"]
    return do(db, key, "discuss_with_managers", {
        "discussed_with": ["support_leader", "team_manager"], "step_up_discussion": decision,
        "manager_rationale": "Concerns now suggest possible harm from the new partner." if decision == "needed"
        else "Concerns are manageable within the current family plan.",
        "manager_guidance": "Keep the family informed; speak to the Front Door today." if decision == "needed"
        else "Add a safety plan to the family plan and review in two weeks.",
    }, "sl.north")


def consult_sw(db, key, prevented):
    task = the_task(db, key, "consult_previous_sw")
    assert task.lane == "family_support_worker"
    return do(db, key, "consult_previous_sw", {
        "sw_consulted_on": "2026-11-24", "sw_advice": "Knows the family; partner previously known to police.",
        "sw_offer": "joint_visit" if prevented else "advice_only", "step_up_prevented": "yes" if prevented else "no",
    }, "fsw.kit")


def inform_family(db, key, consent, significant_harm="no"):
    task = the_task(db, key, "inform_family")
    assert task.properties == {"integration": "ehm.case_note"}
    data = {"family_informed_on": "2026-11-24", "family_response": "Mother upset but understands why.",
            "significant_harm_possible": significant_harm, "consent": consent,
            "consent_decided_by": "Mother (Jo Sample)" if consent != "not_sought_risk" else "FSW with the support leader",
            "consent_date": "2026-11-24"}
    if consent == "refused":
        data["consent_notes"] = "Mother does not want social care involved again."
    return do(db, key, "inform_family", data, "fsw.kit")


def front_door(db, key, decision):
    task = the_task(db, key, "front_door_decision")
    assert task.lane == "front_door" and task.candidate_groups == ["front_door", "duty_manager"]
    data = {"conversation_held_on": "2026-11-24", "front_door_manager": "Front Door manager (duty)",
            "front_door_decision": decision,
            "front_door_rationale": "Possible significant harm; assessment of need required." if decision == "step_up_agreed"
            else "Concerns are at early help level; no evidence of significant harm."}
    if decision == "threshold_not_met":
        data["guidance_to_referrer"] = "Continue intensive support; add a safety plan and contact us if the partner returns."
    return do(db, key, "front_door_decision", data, "fd.manager")


RECORD = {"conversation_recorded_on": "2026-11-24",
          "conversation_record": "Discussed the new concerns with the Front Door manager; decision and reasons noted.",
          "actions": [{"action": "Tell the family the outcome", "owner": "FSW", "due": "2026-11-25"}]}


def scenario_step_up_not_needed(db, clock, key="NSU-NOT-NEEDED"):
    step_up_request(db, key)
    done(managers(db, key, "not_needed"), db, key)


def scenario_step_up_prevented(db, clock, key="NSU-PREVENTED"):
    step_up_request(db, key, last_sw_end="2026-10-01")  # 53 days ago: under 3 months
    managers(db, key)
    done(consult_sw(db, key, prevented=True), db, key)


def scenario_step_up_consent_refused(db, clock, key="NSU-REFUSED"):
    step_up_request(db, key)
    managers(db, key)
    the_task(db, key, "inform_family")  # no social worker before: no consultation
    done(inform_family(db, key, "refused"), db, key)


def scenario_step_up_threshold_not_met(db, clock, key="NSU-NOT-MET"):
    step_up_request(db, key, last_sw_end="2026-05-01")  # over 3 months ago: no consultation
    managers(db, key)
    the_task(db, key, "inform_family")
    inform_family(db, key, "given")
    front_door(db, key, "threshold_not_met")
    record = the_task(db, key, "record_conversation")
    assert record.properties == {"integration": "ehm.case_note"}
    done(do(db, key, "record_conversation", RECORD, "fsw.kit"), db, key)


def scenario_step_up_agreed_record_overdue(db, clock, key="NSU-STEPPED-UP"):
    step_up_request(db, key, last_sw_end="2026-09-15")
    managers(db, key)
    consult_sw(db, key, prevented=False)
    inform_family(db, key, "refused", significant_harm="yes")  # consent not required
    front_door(db, key, "step_up_agreed")
    the_task(db, key, "record_conversation")
    assert next_timer(db, key) == datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)  # 24 hours
    assert fire_at(db, clock, "2026-11-24T09:00:00+00:00").fired == 0
    run = fire_at(db, clock, "2026-11-24T09:00:01+00:00")
    assert run.fired == 1 and run.incidents == 0
    overdue = the_task(db, key, "record_overdue")
    assert overdue.lane == "support_leader" and overdue.properties == {"integration": "ehm.case_note"}
    assert [t.element_id for t in runtime.tasks(db, business_key=key, state="cancelled")] == ["record_conversation"]
    do(db, key, "record_overdue", {"overdue_reason": "FSW off sick.", **RECORD}, "sl.north")
    close = the_task(db, key, "close_ehm_episode")
    assert close.properties == {"integration": "ehm.episode_closed"}
    with pytest.raises(runtime.InvalidSubmission):
        runtime.complete(db, close.id, {"ehm_closing_note": "x", "ehm_episode_closed_on": "2026-11-25",
                                        "ehm_episode_closed": False}, "fsw.kit")
    do(db, key, "close_ehm_episode", {"ehm_closing_note": "Stepped up to FS&S; all recording now on LCS.",
                                      "ehm_episode_closed_on": "2026-11-25", "ehm_episode_closed": True}, "fsw.kit")
    assessment = the_task(db, key, "assessment_of_need")
    assert assessment.lane == "social_worker" and assessment.properties == {"integration": "lcs.assessment_of_need"}
    done(do(db, key, "assessment_of_need", {"allocated_social_worker": "SW Amira Example",
                                            "assessment_started_on": "2026-11-26"}, "sw.amira"), db, key)


def scenario_step_up_safeguarding(db, clock, key="NSU-SAFEGUARDING"):
    step_up_request(db, key)
    outcome = runtime.correlate(db, "safeguarding_concern", business_key=key, actor="fsw.kit", payload={
        "concern": "Alex disclosed being hit by the new partner.", "raised_by": "fsw.kit"})
    assert outcome.state == "running"
    [referral] = referrals(db, key)
    assert referral.lane == "front_door" and referral.process_key == STEP_UP
    assert {t.element_id for t in open_tasks(db, key)} == {REFERRAL_TASK, "discuss_with_managers"}
    refer(db, referral, "Alex disclosed being hit by the new partner.")
    assert {t.element_id for t in open_tasks(db, key)} == {"discuss_with_managers"}
    done(managers(db, key, "not_needed"), db, key)


STEP_UP_SCENARIOS = [scenario_step_up_not_needed, scenario_step_up_prevented, scenario_step_up_consent_refused,
                     scenario_step_up_threshold_not_met, scenario_step_up_agreed_record_overdue,
                     scenario_step_up_safeguarding]


# ================================================================== step-down to universal services

def closing_plan(db, key, engage):
    start(db, UNIVERSAL, key, "sw.amira")
    task = the_task(db, key, "closing_plan")
    assert task.lane == "social_worker" and task.candidate_groups == ["social_worker", "family_support_worker"]
    assert task.properties == {"document": "ns_closing_plan"}
    return do(db, key, "closing_plan", {
        "stepping_down_from": "cin", "closing_plan_discussed_on": "2026-11-23",
        "closing_plan": "CIN plan ends at the review on 1 December; family to use stay and play and the parenting group.",
        "universal_services_highlighted": "Stay and play; parenting group; holiday activities.",
        "family_hub": "Weston Family Hub", "family_wish_to_engage": engage,
    }, "sw.amira")


def signposting(db, key, support):
    return do(db, key, "signposting", {"signposted_on": "2026-11-24",
                                       "services_signposted": "Stay and play (Tuesdays); parenting group (Thursdays).",
                                       "low_level_support_needed": support}, "sw.amira")


def fwil(db, key, decision):
    do(db, key, "contact_fwil", {"area": "north", "fwil_contacted_on": "2026-11-24",
                                 "unmet_needs": "Mother anxious about groups; no transport."}, "fsw.kit")
    task = the_task(db, key, "fwil_unmet_needs")
    assert task.lane == "intervention_leader" and task.candidate_groups == ["intervention_leader"]
    data = {"fwil_decision": decision, "fwil_rationale": "Mother needs a familiar face to start attending."}
    if decision == "introduction_meeting":
        data.update(named_worker_role="childrens_centre_worker", named_worker_name="Children's Centre worker Pat Example")
    return do(db, key, "fwil_unmet_needs", data, "fwil.north")


def scenario_universal_no_engagement(db, clock, key="NSD-U-NO"):
    done(closing_plan(db, key, "no"), db, key)


def scenario_universal_signposted(db, clock, key="NSD-U-SIGNPOST"):
    closing_plan(db, key, "yes")
    done(signposting(db, key, "no"), db, key)


def scenario_universal_fwil_signposting(db, clock, key="NSD-U-FWIL"):
    closing_plan(db, key, "yes")
    signposting(db, key, "yes")
    done(fwil(db, key, "signposting_enough"), db, key)


def scenario_universal_introduction(db, clock, key="NSD-U-INTRO"):
    closing_plan(db, key, "yes")
    signposting(db, key, "yes")
    fwil(db, key, "introduction_meeting")
    do(db, key, "arrange_introduction", {"introduction_meeting_date": "2026-12-02", "introduction_venue": "family_hub",
                                         "introduction_venue_name": "Weston Family Hub",
                                         "introduction_invites_sent": True}, "sw.amira")
    assert next_timer(db, key) == datetime(2026, 12, 2, 17, 0, tzinfo=timezone.utc)  # 5pm on the meeting day
    assert open_tasks(db, key) == []
    assert fire_at(db, clock, "2026-12-02T17:00:00+00:00").fired == 0
    assert fire_at(db, clock, "2026-12-02T17:00:01+00:00").fired == 1
    the_task(db, key, "introduction_meeting")
    done(do(db, key, "introduction_meeting", {
        "introduction_held_on": "2026-12-02", "introduction_attendees": ["lead_worker", "named_worker", "parent_carer"],
        "introduction_notes": "Shown the hub, the stay and play room and met the staff team.", "involvement_ended": True,
    }, "sw.amira"), db, key)


def scenario_universal_safeguarding(db, clock, key="NSD-U-SAFEGUARDING"):
    closing_plan(db, key, "yes")
    runtime.correlate(db, "safeguarding_concern", business_key=key, actor="sw.amira",
                      payload={"concern": "Neighbour reports children left alone overnight.", "raised_by": "sw.amira"})
    [referral] = referrals(db, key)
    assert referral.process_key == UNIVERSAL
    assert {t.element_id for t in open_tasks(db, key)} == {REFERRAL_TASK, "signposting"}
    signposting(db, key, "no")  # the procedure ends; the referral stays open
    [referral] = referrals(db, key)
    refer(db, referral, "Neighbour reports children left alone overnight.")
    assert open_tasks(db, key) == [] and instance_state(db, key) == "completed"


UNIVERSAL_SCENARIOS = [scenario_universal_no_engagement, scenario_universal_signposted, scenario_universal_fwil_signposting,
                       scenario_universal_introduction, scenario_universal_safeguarding]

SCENARIOS = STEP_UP_SCENARIOS + UNIVERSAL_SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_scenario(deployed, clock, scenario):
    scenario(deployed, clock)


def test_every_sequence_flow_is_taken_by_the_scenarios(deployed, clock):
    start_moment = clock.now()
    for scenario in SCENARIOS:
        clock.set(start_moment)
        scenario(deployed, clock)
    for key, bpmn_file in ((STEP_UP, STEP_UP_FILE), (UNIVERSAL, UNIVERSAL_FILE), (REFERRAL_KEY, COMMON_FILE)):
        coverage = flow_coverage(deployed, key, bpmn_file)
        missing = [f"{f.id} ({f.source} -> {f.target})" for f in coverage.missing]
        assert not missing, f"{key}: {len(missing)} of {len(coverage.flows)} flows not taken: {missing}"
        assert coverage.ratio == 1.0
        assert {"flow_sg_to_referral", "flow_sg_end"} <= coverage.taken or key == REFERRAL_KEY
