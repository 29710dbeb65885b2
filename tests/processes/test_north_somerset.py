"""North Somerset step-down (Family Support and Safeguarding -> FWB intensive family support),
driven path by path through the runtime, with the clock moved by hand."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from engine import runtime
from engine.catalog import collect, deploy
from engine.runtime import repository

from .coverage import flow_coverage
from .scenario import do, fire_at, instance_state, next_timer, open_tasks, the_task

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
BPMN_FILE = PROCESSES / "north_somerset" / "step_down_to_fwb.bpmn"
KEY = "north_somerset_step_down"
COMMON_FILE = PROCESSES / "common" / "safeguarding_referral.bpmn"
REFERRAL_KEY = "common_safeguarding_referral"  # the call activity target every council's process uses
REFERRAL_TASK = "urgent_referral"


def process_folders() -> list[Path]:
    return [PROCESSES / "north_somerset", PROCESSES / "common"]


@pytest.fixture
def deployed(db, clock):
    deploy(db, collect(process_folders()), name="north_somerset", actor="process.owner")
    return db


# -- helpers ------------------------------------------------------------------------------------

def start(db, key):
    outcome = runtime.start(
        db, KEY, key, {"referral_source": "family_support_and_safeguarding"}, "sw.amira",
        case={"council": "north_somerset", "children": [{"name": "Robin Example", "date_of_birth": "2016-03-14"}]},
    )
    assert outcome.state == "running"
    return outcome


# -- the steps, with realistic data ----------------------------------------------------------------

def propose_and_agree(db, key, decision="agree"):
    task = the_task(db, key, "propose_step_down")
    assert task.lane == "social_worker" and task.form_ref == "ns_propose_step_down"
    do(db, key, "propose_step_down", {
        "level_of_need_summary": "CIN plan goals met; school attendance 96%; no new referrals in 4 months.",
        "step_down_reason": "Parents engaging well; remaining needs are parenting routines and school links.",
        "proposed_fsw_role": "Weekly home visits on routines and liaison with the school for 12 weeks.",
    }, "sw.amira")
    tm = the_task(db, key, "tm_agree_step_down")
    assert tm.lane == "team_manager" and tm.properties == {"integration": "lcs.management_oversight"}
    rationale = "Needs are now at level 3; CIN no longer needed." if decision == "agree" else "Risk from the new partner is not yet assessed."
    return do(db, key, "tm_agree_step_down", {"tm_decision": decision, "tm_rationale": rationale}, "tm.jones")


def consent(db, key, value="given"):
    data = {"family_discussed_on": "2026-11-23", "children_views": "Robin wants the worker to help with mornings.",
            "consent": value, "consent_decided_by": "Mother (Sam Example)", "consent_date": "2026-11-23"}
    if value == "refused":
        data["consent_notes"] = "Family feel they no longer need support and do not want a step-down discussion."
    return do(db, key, "seek_consent", data, "sw.amira")


def book_slot(db, key, locality):
    return do(db, key, "book_slot", {
        "locality": locality, "support_leader_contacted_on": "2026-11-23", "cover_contacted": False,
        "reasons_for_step_down": "CIN goals met; family want help with routines.",
    }, "sw.amira")


def conversation(db, clock, key, outcome, slot: str):
    assert next_timer(db, key) == datetime.fromisoformat(slot)
    assert fire_at(db, clock, "2026-11-24T09:00:00+00:00").fired == 0  # not before the slot
    assert [t.element_id for t in open_tasks(db, key)] == []
    # SpiffWorkflow fires a timer once the clock is strictly past its due time.
    run = fire_at(db, clock, slot.replace(":00+00:00", ":01+00:00"))
    assert run.fired == 1 and run.incidents == 0
    task = the_task(db, key, "conversation_outcome")
    assert task.lane == "support_leader" and task.candidate_groups == ["support_leader", "locality_team_manager"]
    data = {"conversation_held_on": slot[:10], "conversation_outcome": outcome,
            "conversation_notes": "Reasons for step-down discussed with the social worker."}
    if outcome == "signposting":
        data["services_signposted"] = "Young carers group; parenting course at the library."
    elif outcome == "universal_family_hub":
        data["family_hub"] = "Weston Family Hub"
    else:
        data["estimated_allocation"] = "About 3 weeks"
    return do(db, key, "conversation_outcome", data, "sl.north")


def arrange_meeting(db, key, fsw_available):
    return do(db, key, "arrange_meeting", {
        "meeting_date": "2026-12-03", "venue": "family_hub", "final_cin_meeting": True, "invites_sent": True,
        "fsw_available": fsw_available,
    }, "sw.amira")


def record_meeting_to_end(db, key, fsw_name="FSW Kit Example"):
    record = the_task(db, key, "record_meeting")
    assert record.properties == {"document": "ns_step_down_meeting_notes"}
    assert {t.element_id for t in open_tasks(db, key)} == {"record_meeting"}  # no closing before step-down
    do(db, key, "record_meeting", {
        "meeting_held_on": "2026-12-03",
        "attendees": ["social_worker", "support_leader", "fsw", "parent_carer"],
        "meeting_notes": "First half: step-down plan agreed. Second half: family plan written with the family.",
        "step_down_plan": "Step down to FWB intensive family support from 7 December.",
        "family_plan": "Morning routine chart; school drop-off plan; fortnightly review with the FSW.",
        "support_leader_name": "Support leader (North)", "fsw_name": fsw_name,
        "actions": [
            {"action": "Step the record down on LCS", "owner": "Social worker", "due": "2026-12-04"},
            {"action": "First home visit", "owner": "FSW", "due": "2026-12-10"},
        ],
    }, "sw.amira")
    step_down = the_task(db, key, "step_down_lcs_to_ehm")
    assert step_down.properties == {"integration": "lcs.step_down"}
    assert {t.element_id for t in open_tasks(db, key)} == {"step_down_lcs_to_ehm"}
    with pytest.raises(runtime.InvalidSubmission) as refused:  # cannot proceed without notes and plan
        runtime.complete(db, step_down.id, {"lcs_step_down_on": "2026-12-04", "notes_and_plan_attached": False}, "sw.amira")
    assert "notes_and_plan_attached" in refused.value.errors
    do(db, key, "step_down_lcs_to_ehm", {"lcs_step_down_on": "2026-12-04", "notes_and_plan_attached": True}, "sw.amira")
    do(db, key, "close_lcs_record", {"lcs_closed_on": "2026-12-04",
                                     "closure_summary": "Stepped down to FWB intensive family support."}, "sw.amira")
    fsw = the_task(db, key, "fsw_first_contact")
    assert fsw.lane == "family_support_worker"
    return do(db, key, "fsw_first_contact", {"first_contact_on": "2026-12-10", "ehm_episode_opened": True,
                                             "first_contact_notes": "Met the family at home; plan explained."}, "fsw.kit")


# -- scenarios (each drives one path to its end) ------------------------------------------------------

def scenario_not_agreed(db, clock, key="NS-NOT-AGREED"):
    start(db, key)
    outcome = propose_and_agree(db, key, "not_agree")
    assert outcome.state == "completed" and open_tasks(db, key) == []


def scenario_consent_refused(db, clock, key="NS-REFUSED"):
    start(db, key)
    propose_and_agree(db, key)
    outcome = consent(db, key, "refused")
    assert outcome.state == "completed" and open_tasks(db, key) == []


def scenario_signposting(db, clock, key="NS-SIGNPOST"):
    start(db, key)
    propose_and_agree(db, key)
    consent(db, key, "not_sought_risk")
    book_slot(db, key, "south")  # South: Thursday 2.30pm
    outcome = conversation(db, clock, key, "signposting", "2026-11-26T14:30:00+00:00")
    assert outcome.state == "completed" and open_tasks(db, key) == []


def scenario_universal(db, clock, key="NS-UNIVERSAL"):
    start(db, key)
    propose_and_agree(db, key)
    consent(db, key)
    book_slot(db, key, "north")  # North: Wednesday 4pm
    outcome = conversation(db, clock, key, "universal_family_hub", "2026-11-25T16:00:00+00:00")
    assert outcome.state == "completed" and open_tasks(db, key) == []


def scenario_fsw_available(db, clock, key="NS-FSW"):
    start(db, key)
    propose_and_agree(db, key)
    consent(db, key)
    book_slot(db, key, "east")  # East: Wednesday 4pm
    conversation(db, clock, key, "fsw_agreed", "2026-11-25T16:00:00+00:00")
    assert the_task(db, key, "arrange_meeting").lane == "social_worker"
    arrange_meeting(db, key, "yes")
    outcome = record_meeting_to_end(db, key)
    assert outcome.state == "completed" and open_tasks(db, key) == []
    assert instance_state(db, key) == "completed"


def scenario_overdue_and_tray(db, clock, key="NS-TRAY"):
    start(db, key)
    propose_and_agree(db, key)
    consent(db, key)
    book_slot(db, key, "north")
    conversation(db, clock, key, "fsw_agreed", "2026-11-25T16:00:00+00:00")
    the_task(db, key, "arrange_meeting")
    assert fire_at(db, clock, "2026-12-09T16:00:00+00:00").fired == 0
    run = fire_at(db, clock, "2026-12-09T16:00:02+00:00")  # 14 days after the meeting was asked for (16:00:01)
    assert run.fired == 1
    overdue = the_task(db, key, "meeting_overdue")
    assert overdue.lane == "team_manager" and overdue.name == "Meeting overdue"
    assert [t.element_id for t in runtime.tasks(db, business_key=key, state="cancelled")] == ["arrange_meeting"]
    do(db, key, "meeting_overdue", {"overdue_reason": "Social worker on sick leave.", "tm_action": "Reallocated to the duty SW.",
                                    "meeting_date": "2026-12-14", "fsw_available": "no"}, "tm.jones")
    for week, allocated in enumerate((False, False, True)):
        tray = the_task(db, key, "step_down_tray")
        assert tray.lane == "support_leader" and "locality_team_manager" in tray.candidate_groups
        data = {"interim_plan": "Stay and play at the Children's Centre; family has the support leader's number.",
                "tray_reviewed_on": f"2026-12-{14 + 7 * week:02d}", "allocation_estimate": "2 to 4 weeks",
                "fsw_allocated": allocated}
        if allocated:
            data["fsw_name"] = "FSW Jo Example"
        do(db, key, "step_down_tray", data, "tm.locality" if week == 1 else "sl.north")  # cover by the locality TM
    assert len(runtime.tasks(db, business_key=key, state="completed", limit=1000)) >= 3
    outcome = record_meeting_to_end(db, key, "FSW Jo Example")
    assert outcome.state == "completed"


def referrals(db, key):
    return [t for t in open_tasks(db, key) if t.element_id == REFERRAL_TASK]


def refer(db, task, concern, referred_to="mash"):
    repository.cache.clear()
    return runtime.complete(db, task.id, {
        "concern": concern, "immediate_action": "Child seen with a teacher; MASH called.", "child_seen": "yes",
        "referred_to": referred_to, "referred_at": "2026-11-23",
    }, "fd.duty")


def scenario_safeguarding(db, clock, key="NS-SAFEGUARDING"):
    start(db, key)
    propose_and_agree(db, key)
    outcome = runtime.correlate(db, "safeguarding_concern", business_key=key, actor="sw.amira", payload={
        "concern": "Child disclosed an injury at school today.", "raised_by": "sw.amira"})
    assert outcome.state == "running"
    [referral] = referrals(db, key)
    assert referral.candidate_groups == ["front_door"] and referral.lane == "front_door"
    assert referral.form_ref == "common_urgent_referral" and referral.process_key == KEY
    assert referral.properties == {"integration": "front_door.urgent_referral", "document": "marf"}
    assert referral.due_at == datetime(2026, 11, 24, 17, 0, tzinfo=timezone.utc)  # days_after(1): 5pm tomorrow
    the_task(db, key, "seek_consent")  # the procedure carries on beside the referral
    # A second concern on the same case is a second referral, not lost behind the first.
    runtime.correlate(db, "safeguarding_concern", business_key=key, actor="teacher.lee", payload={
        "concern": "Sibling reports being hit at home.", "raised_by": "teacher.lee"})
    first, second = referrals(db, key)
    assert first.id != second.id
    assert sorted(t.element_id for t in runtime.tasks(db, roles=["front_door"])) == [REFERRAL_TASK] * 2
    with pytest.raises(runtime.InvalidSubmission) as refused:  # child seen and where referred are required
        runtime.complete(db, first.id, {"concern": "x", "immediate_action": "y", "referred_at": "2026-11-23"}, "fd.duty")
    assert {"child_seen", "referred_to"} <= set(refused.value.errors)
    # The procedure moves on while both referrals are open.
    consent(db, key)
    assert {t.element_id for t in open_tasks(db, key)} == {REFERRAL_TASK, "book_slot"}
    refer(db, first, "Child disclosed an injury at school today.")
    assert [t.id for t in referrals(db, key)] == [second.id]
    refer(db, second, "Sibling reports being hit at home.", referred_to="police")
    assert {t.element_id for t in open_tasks(db, key)} == {"book_slot"}
    outcome = book_slot(db, key, "north")
    assert outcome.state == "running" and {t.element_id for t in open_tasks(db, key)} == set()  # waiting for the slot
    completed = runtime.tasks(db, business_key=key, state="completed", limit=1000)
    assert sum(t.element_id == REFERRAL_TASK for t in completed) == 2


SCENARIOS = [scenario_not_agreed, scenario_consent_refused, scenario_signposting, scenario_universal,
             scenario_fsw_available, scenario_overdue_and_tray, scenario_safeguarding]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_scenario(deployed, clock, scenario):
    scenario(deployed, clock)


def test_the_safeguarding_message_reaches_a_case_in_the_slot_wait(deployed, clock):
    db, key = deployed, "NS-SG-WAIT"
    start(db, key)
    propose_and_agree(db, key)
    consent(db, key)
    book_slot(db, key, "south")
    runtime.correlate(db, "safeguarding_concern", business_key=key, payload={"concern": "Police notification overnight."})
    assert {t.element_id for t in open_tasks(db, key)} == {REFERRAL_TASK}
    assert fire_at(db, clock, "2026-11-26T14:30:01+00:00").fired == 1
    assert {t.element_id for t in open_tasks(db, key)} == {REFERRAL_TASK, "conversation_outcome"}
    conversation_outcome = the_task(db, key, "conversation_outcome")
    runtime.complete(db, conversation_outcome.id, {"conversation_held_on": "2026-11-26", "conversation_outcome": "signposting",
                                                  "conversation_notes": "Discussed.", "services_signposted": "Young carers group."},
                     "sl.south")
    # The procedure has ended, but the referral it raised is still open and can be completed.
    [referral] = referrals(db, key)
    refer(db, referral, "Police notification overnight.")
    assert open_tasks(db, key) == [] and instance_state(db, key) == "completed"


def test_the_slot_timer_is_a_date_set_by_the_slot_script(deployed, clock):
    """The wait for the weekly slot is a timeDate on `slot_at`, set by the script before it."""
    db, key = deployed, "NS-SLOT"
    start(db, key)
    propose_and_agree(db, key)
    consent(db, key)
    clock.set("2026-11-25T16:30:00+00:00")  # Wednesday, after this week's North slot
    book_slot(db, key, "north")
    assert next_timer(db, key) == datetime(2026, 12, 2, 16, 0, tzinfo=timezone.utc)


def test_a_case_with_no_open_referral_or_procedure_is_not_waiting_for_concerns(deployed, clock):
    db, key = deployed, "NS-DONE"
    start(db, key)
    propose_and_agree(db, key, "not_agree")
    assert instance_state(db, key) == "completed"
    with pytest.raises(runtime.NotFound):
        runtime.correlate(db, "safeguarding_concern", business_key=key, payload={"concern": "Too late"})


def test_every_sequence_flow_is_taken_by_the_scenarios(deployed, clock):
    start_moment = clock.now()
    for scenario in SCENARIOS:
        clock.set(start_moment)
        scenario(deployed, clock)
    for key, bpmn_file in ((KEY, BPMN_FILE), (REFERRAL_KEY, COMMON_FILE)):
        coverage = flow_coverage(deployed, key, bpmn_file)
        missing = [f"{f.id} ({f.source} -> {f.target})" for f in coverage.missing]
        print(key, "flows not taken:", missing)
        assert not missing, f"{key}: {len(missing)} of {len(coverage.flows)} flows not taken: {missing}"
        assert coverage.ratio == 1.0
    # the event sub-process's flows belong to North Somerset, the called process's to common
    assert {"flow_sg_to_referral", "flow_sg_end"} <= set(flow_coverage(deployed, KEY, BPMN_FILE).flows)
    assert set(flow_coverage(deployed, REFERRAL_KEY, COMMON_FILE).flows) == {"flow_to_referral", "flow_to_end"}
