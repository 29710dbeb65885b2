"""Reports (issue 8): a known history built through the runtime with the clock moved between
steps, and every figure of every report checked against values worked out by hand below.

The history (UTC; council north_somerset unless said; team = the case's locality):

| case | what happens | step-down / closure | first referral after it |
|---|---|---|---|
| NS-1 north | step-down, FSW available: TM agrees 2027-01-04 10:00, meeting recorded 01-14 (tray 10 days), ends 01-15 12:00 at end_stepped_down | 2027-01-15 | step-up 2027-07-15 23:59: the last day of 6 months |
| NS-2 south | step-down via the tray: TM agrees 01-18, two tray reviews, meeting 01-29 (tray 11 days), ends 01-31 at end_stepped_down; consent not sought (risk) | 2027-01-31 | step-up 2027-08-01 00:00: the day after 6 months (31 July) |
| NS-3 north | signposted, ends 2027-02-10 16:00 | 2027-02-10 | step-up 2028-02-10 09:00: the last day of 12 months |
| NS-4 south | consent refused 02-09 (stays with social care: no clock starts); a planned step-up 03-01 reaches end_stepped_up 03-02 | - | - |
| NS-6 south | signposted, ends 02-28; a new step-down proposed 04-01 09:00 (TM's agreement pending) with a safeguarding concern 04-02 (front-door referral, left open) and an incident retried | 2027-02-28 | front door 2027-04-02 |
| NS-7 north | a step-up 02-20 *before* the step-down ends (not a re-referral); universal services, ends 03-03 | 2027-03-03 | step-up 2028-03-04: a day after 12 months |
| NS-5 north | proposed 03-01 09:30; the team manager's agreement left pending | | |
| NS-8 north | TM agrees 03-10 (in the tray since); concern 03-10 (front door, open); incident 03-11 left open | | |
| WW-1 warwickshire / rugby | proposed (route early_help_brokerage) 03-15, TM agrees route universal 03-16 | | |

"Now" at the end is 2028-03-05 12:00.
"""
from __future__ import annotations

import csv
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import cli, reports, runtime
from engine.catalog import collect, deploy
from engine.reports import Filters
from engine.store import models

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ROOT / "processes"
NS, HALTON_UP, WW = "north_somerset_step_down", "halton_planned_step_up", "warwickshire_step_down"
NOW = "2028-03-05T12:00:00+00:00"


# -- driving the procedures ---------------------------------------------------------------------

def at(clock, moment: str) -> None:
    clock.set(moment if "+" in moment else moment + "+00:00")


def do(db, key, element_id, data, actor="someone"):
    found = [t for t in runtime.tasks(db, business_key=key) if t.element_id == element_id]
    assert len(found) == 1, f"{key}: expected one open {element_id}, open: {[t.element_id for t in runtime.tasks(db, business_key=key)]}"
    return runtime.complete(db, found[0].id, data, actor)


def open_elements(db, key) -> set[str]:
    return {t.element_id for t in runtime.tasks(db, business_key=key)}


def ns_start(db, clock, key, when, locality):
    at(clock, when)
    runtime.start(db, NS, key, {"referral_source": "family_support_and_safeguarding"}, "sw.amira",
                  case={"council": "north_somerset", "locality": locality, "children": [{"name": f"Child {key}"}]})
    do(db, key, "propose_step_down", {
        "level_of_need_summary": "CIN plan goals met.", "step_down_reason": "Parents engaging well.",
        "proposed_fsw_role": "Weekly home visits for 12 weeks."}, "sw.amira")


def ns_agree(db, clock, key, when):
    at(clock, when)
    do(db, key, "tm_agree_step_down", {"tm_decision": "agree", "tm_rationale": "Needs now at level 3."}, "tm.jones")


def ns_consent(db, clock, key, when, value):
    at(clock, when)
    data = {"family_discussed_on": when[:10], "children_views": "Happy with it.", "consent": value,
            "consent_decided_by": "Mother", "consent_date": when[:10]}
    if value == "refused":
        data["consent_notes"] = "Family do not want a step-down discussion."
    return do(db, key, "seek_consent", data, "sw.amira")


def ns_slot(db, clock, key, when, locality):
    at(clock, when)
    do(db, key, "book_slot", {"locality": locality, "support_leader_contacted_on": when[:10], "cover_contacted": False,
                              "reasons_for_step_down": "CIN goals met."}, "sw.amira")
    with db.reader() as session:
        due = session.scalar(select(models.ProcessInstance.next_timer_due)
                             .where(models.ProcessInstance.business_key == key, models.ProcessInstance.state == "running"))
    clock.set(due.replace(second=1))
    run = runtime.fire_due_timers(db, clock.now())
    assert run.fired == 1 and run.incidents == 0
    assert open_elements(db, key) == {"conversation_outcome"}


def ns_conversation(db, clock, key, when, outcome):
    at(clock, when)
    data = {"conversation_held_on": when[:10], "conversation_outcome": outcome, "conversation_notes": "Discussed."}
    if outcome == "signposting":
        data["services_signposted"] = "Young carers group."
    elif outcome == "universal_family_hub":
        data["family_hub"] = "Weston Family Hub"
    else:
        data["estimated_allocation"] = "About 3 weeks"
    return do(db, key, "conversation_outcome", data, "sl.north")


def ns_arrange(db, clock, key, when, fsw_available):
    at(clock, when)
    do(db, key, "arrange_meeting", {"meeting_date": when[:10], "venue": "family_hub", "final_cin_meeting": True,
                                    "invites_sent": True, "fsw_available": fsw_available}, "sw.amira")


def ns_tray(db, clock, key, when, allocated):
    at(clock, when)
    data = {"interim_plan": "Stay and play.", "tray_reviewed_on": when[:10], "allocation_estimate": "2 weeks",
            "fsw_allocated": allocated}
    if allocated:
        data["fsw_name"] = "FSW Jo Example"
    do(db, key, "step_down_tray", data, "sl.south")


def ns_meeting_to_end(db, clock, key, meeting, end):
    at(clock, meeting)
    do(db, key, "record_meeting", {
        "meeting_held_on": meeting[:10], "attendees": ["social_worker", "support_leader", "fsw", "parent_carer"],
        "meeting_notes": "Plan agreed.", "step_down_plan": "Step down to FWB.", "family_plan": "Routines.",
        "support_leader_name": "Support leader", "fsw_name": "FSW Kit Example",
        "actions": [{"action": "First home visit", "owner": "FSW", "due": meeting[:10]}]}, "sw.amira")
    at(clock, end)
    do(db, key, "step_down_lcs_to_ehm", {"lcs_step_down_on": end[:10], "notes_and_plan_attached": True}, "sw.amira")
    do(db, key, "close_lcs_record", {"lcs_closed_on": end[:10], "closure_summary": "Stepped down."}, "sw.amira")
    outcome = do(db, key, "fsw_first_contact", {"first_contact_on": end[:10], "ehm_episode_opened": True,
                                                "first_contact_notes": "Met the family."}, "fsw.kit")
    assert outcome.state == "completed"


def halton_step_up(db, clock, key, when):
    """A planned step-up started (a re-referral), left at the lead professional's referral."""
    at(clock, when)
    runtime.start(db, HALTON_UP, key, {"caf_open": True}, "lp.morgan")


def halton_step_up_to_assessment(db, clock, key):
    halton_step_up(db, clock, key, "2027-03-01T09:00")
    at(clock, "2027-03-01T09:30")
    do(db, key, "lp_icart_referral", {
        "concerns": "Attendance has fallen to 70%.", "step_up_requested": True, "step_up_meeting_date": "2027-03-15",
        "step_up_meeting_venue": "School", "consent": "given", "consent_decided_by": "Mother",
        "referral_sent_on": "2027-03-01"}, "lp.morgan")
    at(clock, "2027-03-01T10:00")
    do(db, key, "icart_screening", {"screening_summary": "Reviewed.", "screening_outcome": "social_work_assessment",
                                    "screening_rationale": "Level 3."}, "icart.lee")
    at(clock, "2027-03-01T10:30")
    do(db, key, "icart_manager_authorise", {"manager_decision": "authorised", "manager_rationale": "Agreed."}, "icart.mgr")
    at(clock, "2027-03-02T09:00")
    do(db, key, "load_r_and_i", {"r_and_i_loaded_on": "2027-03-02", "area_team": "widnes", "transferred_on": "2027-03-02"},
       "icart.lee")
    at(clock, "2027-03-02T10:00")
    outcome = do(db, key, "lp_close_caf", {"caf_closed_on": "2027-03-02", "caf_group_informed": True,
                                           "caf_closure_summary": "Transferred for a SAP."}, "lp.morgan")
    assert outcome.state == "completed"


def concern(db, clock, key, when):
    at(clock, when)
    runtime.correlate(db, "safeguarding_concern", business_key=key, actor="teacher",
                      payload={"concern": "Bruising seen at school.", "raised_by": "teacher"})


def instance_of(db, key, process_key=NS, state=None):
    with db.reader() as session:
        query = (select(models.ProcessInstance.id).join(models.ProcessDefinition)
                 .where(models.ProcessInstance.business_key == key, models.ProcessDefinition.key == process_key)
                 .order_by(models.ProcessInstance.started_at.desc()))
        return session.scalars(query).first()


@pytest.fixture
def history(db, clock):
    deploy(db, collect([PROCESSES]), name="all", actor="process.owner")

    # NS-1: FSW available; decision 01-04 10:00, allocation (meeting) 01-14: 10 days in the tray.
    ns_start(db, clock, "NS-1", "2027-01-04T09:00", "north")
    ns_agree(db, clock, "NS-1", "2027-01-04T10:00")
    ns_consent(db, clock, "NS-1", "2027-01-05T09:00", "given")
    ns_slot(db, clock, "NS-1", "2027-01-05T09:30", "north")
    ns_conversation(db, clock, "NS-1", "2027-01-06T16:30", "fsw_agreed")
    ns_arrange(db, clock, "NS-1", "2027-01-07T09:00", "yes")
    ns_meeting_to_end(db, clock, "NS-1", "2027-01-14T10:00", "2027-01-15T12:00")

    # NS-2: no FSW: the tray, two reviews; decision 01-18, meeting 01-29: 11 days.
    ns_start(db, clock, "NS-2", "2027-01-18T09:00", "south")
    ns_agree(db, clock, "NS-2", "2027-01-18T10:00")
    ns_consent(db, clock, "NS-2", "2027-01-18T11:00", "not_sought_risk")
    ns_slot(db, clock, "NS-2", "2027-01-18T11:30", "south")
    ns_conversation(db, clock, "NS-2", "2027-01-21T15:00", "fsw_agreed")
    ns_arrange(db, clock, "NS-2", "2027-01-22T09:00", "no")
    ns_tray(db, clock, "NS-2", "2027-01-25T09:00", False)
    ns_tray(db, clock, "NS-2", "2027-01-28T09:00", True)
    ns_meeting_to_end(db, clock, "NS-2", "2027-01-29T10:00", "2027-01-31T12:00")

    # NS-3: signposted.
    ns_start(db, clock, "NS-3", "2027-02-01T09:00", "north")
    ns_agree(db, clock, "NS-3", "2027-02-01T10:00")
    ns_consent(db, clock, "NS-3", "2027-02-01T11:00", "given")
    ns_slot(db, clock, "NS-3", "2027-02-01T11:30", "north")
    assert ns_conversation(db, clock, "NS-3", "2027-02-10T16:00", "signposting").state == "completed"

    # NS-4: consent refused (stays with social care), then a step-up to a social work assessment.
    ns_start(db, clock, "NS-4", "2027-02-08T09:00", "south")
    ns_agree(db, clock, "NS-4", "2027-02-08T10:00")
    assert ns_consent(db, clock, "NS-4", "2027-02-09T09:00", "refused").state == "completed"
    halton_step_up_to_assessment(db, clock, "NS-4")

    # NS-6: signposted 02-28.
    ns_start(db, clock, "NS-6", "2027-02-15T09:00", "south")
    ns_agree(db, clock, "NS-6", "2027-02-15T10:00")
    ns_consent(db, clock, "NS-6", "2027-02-15T11:00", "given")
    ns_slot(db, clock, "NS-6", "2027-02-15T11:30", "south")
    assert ns_conversation(db, clock, "NS-6", "2027-02-28T12:00", "signposting").state == "completed"

    # NS-7: a step-up during the step-down (before its end); universal services 03-03.
    ns_start(db, clock, "NS-7", "2027-02-15T09:30", "north")
    ns_agree(db, clock, "NS-7", "2027-02-15T10:30")
    ns_consent(db, clock, "NS-7", "2027-02-15T11:30", "given")
    ns_slot(db, clock, "NS-7", "2027-02-15T12:00", "north")
    halton_step_up(db, clock, "NS-7", "2027-02-20T09:00")
    assert ns_conversation(db, clock, "NS-7", "2027-03-03T12:00", "universal_family_hub").state == "completed"

    # NS-5: the team manager's agreement pending since 03-01 09:30.
    ns_start(db, clock, "NS-5", "2027-03-01T09:30", "north")

    # NS-8: in the tray since 03-10 (waiting for the slot: no timer fired after this); a concern;
    # an incident left open.
    ns_start(db, clock, "NS-8", "2027-03-10T09:00", "north")
    ns_agree(db, clock, "NS-8", "2027-03-10T10:00")
    ns_consent(db, clock, "NS-8", "2027-03-10T10:30", "given")
    at(clock, "2027-03-10T11:00")
    do(db, "NS-8", "book_slot", {"locality": "north", "support_leader_contacted_on": "2027-03-10", "cover_contacted": False,
                                 "reasons_for_step_down": "CIN goals met."}, "sw.amira")
    concern(db, clock, "NS-8", "2027-03-10T12:00")
    at(clock, "2027-03-11T09:00")
    runtime.record_incident(db, instance_of(db, "NS-8"), "wait_for_slot", "calendar service unavailable", "worker")

    # WW-1: Warwickshire, route proposed then set by the team manager.
    at(clock, "2027-03-15T09:00")
    runtime.start(db, WW, "WW-1", {"team": "children_in_need"}, "sw.priya",
                  case={"council": "warwickshire", "locality": "rugby", "children": [{"name": "Jamie Example"}]})
    at(clock, "2027-03-15T09:30")
    do(db, "WW-1", "propose_step_down", {
        "step_down_trigger": "cin_need_reduced", "thresholds_no_longer_met": "yes", "threshold_evidence": "Outcomes achieved.",
        "direction_of_travel": "de_escalation", "re_referral_likely_6_months": "no", "child_family_views": "Happier.",
        "consent": "given", "consent_decided_by": "Mother", "consent_date": "2027-03-15",
        "proposed_route": "early_help_brokerage"}, "sw.priya")
    at(clock, "2027-03-16T09:00")
    do(db, "WW-1", "tm_agree_step_down", {"tm_decision": "agree", "tm_rationale": "Thresholds no longer met.",
                                          "route": "universal"}, "tm.okafor")

    # NS-6 again: a new step-down (not a referral), a concern raised in it (a front-door referral),
    # an incident raised and retried (resolved).
    ns_start(db, clock, "NS-6", "2027-04-01T09:00", "south")
    concern(db, clock, "NS-6", "2027-04-02T10:00")
    at(clock, "2027-04-05T09:00")
    incident = runtime.record_incident(db, instance_of(db, "NS-6"), "propose_step_down", "integration timed out", "worker")
    at(clock, "2027-04-06T09:00")
    assert runtime.retry_incident(db, incident, "admin").incident_id is None

    # Re-referrals.
    halton_step_up(db, clock, "NS-1", "2027-07-15T23:59")
    halton_step_up(db, clock, "NS-2", "2027-08-01T00:00")
    halton_step_up(db, clock, "NS-3", "2028-02-10T09:00")
    halton_step_up(db, clock, "NS-7", "2028-03-04T09:00")

    at(clock, NOW)
    return db


YEAR_2027 = Filters(date(2027, 1, 1), date(2027, 12, 31))


def days(a: date, b: date) -> int:
    return (a - b).days


# -- the figures --------------------------------------------------------------------------------

def test_step_ups_and_step_downs_per_month_by_route_and_outcome(history):
    report = reports.steps(history, Filters(date(2027, 1, 1), date(2028, 12, 31)))
    assert report.rows == [
        ("2027-01", "step_down", NS, "end_stepped_down", 2),
        ("2027-02", "step_down", NS, "end_consent_refused", 1),
        ("2027-02", "step_down", NS, "end_signposted", 2),
        ("2027-02", "step_down", NS, "end_universal", 1),
        ("2027-02", "step_up", HALTON_UP, "open", 1),
        ("2027-03", "step_down", NS, "incident", 1),
        ("2027-03", "step_down", NS, "open", 1),
        ("2027-03", "step_down", "universal", "open", 1),  # WW-1: the manager's route, not the proposed one
        ("2027-03", "step_up", HALTON_UP, "end_stepped_up", 1),
        ("2027-04", "step_down", NS, "open", 1),  # NS-6 again: running after its incident was retried
        ("2027-07", "step_up", HALTON_UP, "open", 1),
        ("2027-08", "step_up", HALTON_UP, "open", 1),
        ("2028-02", "step_up", HALTON_UP, "open", 1),
        ("2028-03", "step_up", HALTON_UP, "open", 1),
    ]
    # The period is by start day, both ends included; filters by council and team.
    assert reports.steps(history, Filters(date(2027, 1, 18), date(2027, 2, 8))).rows == [
        ("2027-01", "step_down", NS, "end_stepped_down", 1),  # NS-2 (NS-1 started 01-04)
        ("2027-02", "step_down", NS, "end_consent_refused", 1),  # NS-4 started 02-08
        ("2027-02", "step_down", NS, "end_signposted", 1),  # NS-3
    ]
    march = Filters(date(2027, 3, 1), date(2027, 3, 31), council="warwickshire")
    assert reports.steps(history, march).rows == [("2027-03", "step_down", "universal", "open", 1)]
    south = Filters(date(2027, 1, 1), date(2028, 12, 31), council="north_somerset", team="south")
    assert reports.steps(history, south).rows == [
        ("2027-01", "step_down", NS, "end_stepped_down", 1),  # NS-2
        ("2027-02", "step_down", NS, "end_consent_refused", 1),  # NS-4
        ("2027-02", "step_down", NS, "end_signposted", 1),  # NS-6
        ("2027-03", "step_up", HALTON_UP, "end_stepped_up", 1),  # NS-4
        ("2027-04", "step_down", NS, "open", 1),  # NS-6 again
        ("2027-08", "step_up", HALTON_UP, "open", 1),  # NS-2
    ]


def test_re_referrals_use_the_6_and_12_month_windows_to_the_day(history):
    events = {e.business_key: e for e in reports.index_events(history, Filters(date(2027, 1, 1), date(2027, 3, 31)))}
    assert sorted(events) == ["NS-1", "NS-2", "NS-3", "NS-6", "NS-7"]  # NS-4 stays with social care (consent refused)
    expected = {
        # case: (first referral after the step-down or closure, what, within 6, within 12)
        "NS-1": ("2027-07-15T23:59:00+00:00", HALTON_UP, True, True),  # 15 Jan + 6 months = 15 July, late that day
        "NS-2": ("2027-08-01T00:00:00+00:00", HALTON_UP, False, True),  # 31 Jan + 6 months = 31 July; 1 August is after
        "NS-3": ("2028-02-10T09:00:00+00:00", HALTON_UP, False, True),  # 10 Feb 2027 16:00 + 12 months = 10 Feb 2028
        "NS-6": ("2027-04-02T10:00:00+00:00", "front_door", True, True),  # a front-door referral in a new step-down
        "NS-7": ("2028-03-04T09:00:00+00:00", HALTON_UP, False, False),  # the step-up of 20 Feb came before the end
    }
    for key, (moment, what, six, twelve) in expected.items():
        event = events[key]
        assert (event.re_referred_at.isoformat(), event.re_referral, event.within_6, event.within_12) == (moment, what, six, twelve), key
    assert events["NS-3"].outcome == "end_signposted" and events["NS-7"].outcome == "end_universal"
    assert events["NS-1"].ended_at == datetime(2027, 1, 15, 12, tzinfo=timezone.utc)

    report = reports.re_referrals(history, Filters(date(2027, 1, 1), date(2027, 3, 31)))
    assert report.columns == ["month", "stepped_down_or_closed", "re_referred_within_6_months", "re_referred_within_12_months"]
    assert report.rows == [("2027-01", 2, 1, 2), ("2027-02", 2, 1, 2), ("2027-03", 1, 0, 0)]
    assert reports.re_referrals(history, Filters(date(2027, 1, 1), date(2027, 3, 31), team="south")).rows == [
        ("2027-01", 1, 0, 1), ("2027-02", 1, 1, 1)]
    # The period selects by the day of the step-down: 15 January only.
    assert reports.re_referrals(history, Filters(date(2027, 1, 15), date(2027, 1, 15))).rows == [("2027-01", 1, 1, 1)]


def test_add_months_clamps_to_the_end_of_the_month():
    assert reports.add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert reports.add_months(date(2027, 2, 28), 12) == date(2028, 2, 28)
    assert reports.add_months(date(2027, 1, 31), 6) == date(2027, 7, 31)
    assert reports.add_months(date(2027, 7, 15), 6) == date(2028, 1, 15)


def test_days_in_the_step_down_tray(history):
    report = reports.tray(history, YEAR_2027)
    assert report.columns == ["process", "month", "decisions", "allocated", "mean_days", "median_days", "max_days",
                              "still_waiting", "longest_waiting_days"]
    now = date(2028, 3, 5)
    assert report.rows == [
        (NS, "2027-01", 2, 2, 10.5, 10.5, 11, 0, None),  # NS-1 10 days, NS-2 11 days
        (NS, "2027-02", 4, 0, None, None, None, 0, None),  # NS-3, NS-4, NS-6, NS-7: left the tray another way
        (NS, "2027-03", 1, 0, None, None, None, 1, days(now, date(2027, 3, 10))),  # NS-8
        (WW, "2027-03", 1, 0, None, None, None, 1, days(now, date(2027, 3, 16))),  # WW-1
    ]
    assert days(now, date(2027, 3, 10)) == 361
    stays = {s.business_key: s for s in reports.tray_stays(history, YEAR_2027)}
    assert stays["NS-2"].decided_at == datetime(2027, 1, 18, 10, tzinfo=timezone.utc)
    assert stays["NS-2"].allocated_at == datetime(2027, 1, 29, 10, tzinfo=timezone.utc)
    assert reports.tray(history, Filters(date(2027, 1, 1), date(2027, 12, 31), council="warwickshire")).rows == [
        (WW, "2027-03", 1, 0, None, None, None, 1, 355)]


def test_tasks_overdue_by_team_and_role(history):
    report = reports.overdue(history, YEAR_2027)
    now = date(2028, 3, 5)
    assert report.rows == [
        # NS-8's referral raised Wed 10 March: due 17:00 London (GMT) the next day.
        ("north", "front_door", 1, "2027-03-11T17:00:00+00:00", days(now, date(2027, 3, 11))),
        # NS-6's raised 2 April: 17:00 London is 16:00 UTC in British Summer Time.
        ("south", "front_door", 1, "2027-04-03T16:00:00+00:00", days(now, date(2027, 4, 3))),
    ]
    # Only tasks due in the period count.
    assert reports.overdue(history, Filters(date(2027, 4, 1), date(2027, 4, 30))).rows == [
        ("south", "front_door", 1, "2027-04-03T16:00:00+00:00", 337)]


def test_manager_sign_offs_pending(history):
    report = reports.signoffs(history, YEAR_2027)
    # NS-5 (proposed 1 March 09:30) and NS-6's second step-down (proposed 1 April 09:00).
    assert [r[:5] for r in report.rows] == [
        ("team_manager", NS, "tm_agree_step_down", "Agree step-down suits the level of need", 2)]
    assert report.rows[0][5:] == ("2027-03-01T09:30:00+00:00", days(date(2028, 3, 5), date(2027, 3, 1)))
    assert days(date(2028, 3, 5), date(2027, 3, 1)) == 370
    assert reports.signoffs(history, Filters(date(2027, 3, 2), date(2027, 12, 31))).rows == [
        ("team_manager", NS, "tm_agree_step_down", "Agree step-down suits the level of need", 1,
         "2027-04-01T09:00:00+00:00", 339)]
    assert reports.signoffs(history, Filters(date(2027, 3, 2), date(2027, 12, 31), team="north")).rows == []


def test_consent_outcomes(history):
    report = reports.consent(history, YEAR_2027)
    assert report.rows == [
        ("step_down", NS, "given", 5),  # NS-1, NS-3, NS-6, NS-7, NS-8
        ("step_down", NS, "not sought (risk)", 1),  # NS-2
        ("step_down", NS, "refused", 1),  # NS-4
        ("step_down", WW, "given", 1),
        ("step_up", HALTON_UP, "given", 1),  # NS-4's step-up referral
    ]
    assert reports.consent(history, Filters(date(2027, 1, 1), date(2027, 12, 31), team="south")).rows == [
        ("step_down", NS, "given", 1), ("step_down", NS, "not sought (risk)", 1), ("step_down", NS, "refused", 1),
        ("step_up", HALTON_UP, "given", 1)]  # NS-6, NS-2, NS-4, NS-4


def test_incidents_open(history):
    report = reports.incidents(history, YEAR_2027)
    assert report.rows == [(NS, "wait_for_slot", 1, "2027-03-11T09:00:00+00:00", 360, 1)]  # NS-6's was resolved
    assert reports.incidents(history, Filters(date(2027, 3, 12), date(2027, 12, 31))).rows == []


CENSUS_2027 = [
    # case, council, locality, referral date, source, assessment start, plan end, closure date, reason, stepped down to EH
    ("NS-1", "north_somerset", "north", "2027-07-15", HALTON_UP, None, "2027-01-04", "2027-01-15", "end_stepped_down", "Y"),
    ("NS-2", "north_somerset", "south", "2027-08-01", HALTON_UP, None, "2027-01-18", "2027-01-31", "end_stepped_down", "Y"),
    ("NS-3", "north_somerset", "north", None, None, None, "2027-02-01", "2027-02-10", "end_signposted", "N"),
    ("NS-4", "north_somerset", "south", "2027-03-01", HALTON_UP, "2027-03-02", "2027-02-08", None, None, None),
    ("NS-6", "north_somerset", "south", "2027-04-02", "front_door", None, "2027-02-15", "2027-02-28", "end_signposted", "N"),
    ("NS-7", "north_somerset", "north", "2027-02-20", HALTON_UP, None, "2027-02-15", "2027-03-03", "end_universal", "N"),
    ("NS-8", "north_somerset", "north", "2027-03-10", "front_door", None, "2027-03-10", None, None, None),
    ("WW-1", "warwickshire", "rugby", None, None, None, "2027-03-16", None, None, None),
]


def test_case_level_census_extract(history):
    report = reports.census(history, YEAR_2027)
    assert report.columns == ["case_reference", "council", "locality", "referral_date", "referral_source",
                              "assessment_start_date", "cin_plan_end_date", "closure_date", "reason_for_closure",
                              "stepped_down_to_early_help"]
    assert report.rows == CENSUS_2027  # NS-5 has nothing to report: no referral, decision or closure


def audit_rows(db, action):
    with db.reader() as session:
        return list(session.scalars(select(models.AuditEvent).where(models.AuditEvent.action == action)
                                    .order_by(models.AuditEvent.id)))


def test_csv_exports_are_read_back_and_audited(history, tmp_path):
    path = tmp_path / "census.csv"
    count = reports.export_csv(history, reports.census(history, YEAR_2027), path, YEAR_2027, "manager.kay")
    assert count == len(CENSUS_2027)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["case_reference", "council", "locality", "referral_date"]
    assert rows[1:] == [["" if v is None else v for v in row] for row in CENSUS_2027]
    [audit] = audit_rows(history, "report.exported")
    assert audit.actor == "manager.kay" and audit.at == datetime(2028, 3, 5, 12, tzinfo=timezone.utc)
    assert audit.details == {"report": "census", "rows": 8, "file": "census.csv", "from": "2027-01-01",
                             "to": "2027-12-31", "council": None, "team": None}


def test_a_failed_export_writes_no_audit_row(history, tmp_path):
    with pytest.raises(OSError):
        reports.export_csv(history, reports.steps(history, YEAR_2027), tmp_path / "missing" / "x.csv", YEAR_2027, "m")
    assert audit_rows(history, "report.exported") == []


def test_a_spreadsheet_formula_is_exported_as_text(tmp_path):
    report = reports.Report("x", "x", ["a", "b"], [("=HYPERLINK(1)", -3), ("+1", "@x")])
    reports.write_csv(report, tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_text().splitlines() == ["a,b", "'=HYPERLINK(1),-3", "+1,'@x"]


def test_the_command_line_prints_and_exports_each_report(history, tmp_path, capsys):
    url = history.url
    for name in sorted(reports.REPORTS):
        path = tmp_path / f"{name}.csv"
        assert cli.main(["--database-url", url, "--actor", "cli.admin", "report", name, "--from", "2027-01-01",
                         "--to", "2027-03-31", "--council", "north_somerset", "--csv", str(path)]) == 0
        with open(path, newline="", encoding="utf-8") as handle:
            header, *rows = list(csv.reader(handle))
        assert header == reports.REPORTS[name](history, Filters(date(2027, 1, 1), date(2027, 3, 31))).columns
    assert len(audit_rows(history, "report.exported")) == len(reports.REPORTS)
    with open(tmp_path / "re_referrals.csv", newline="") as handle:
        assert list(csv.reader(handle))[1:] == [["2027-01", "2", "1", "2"], ["2027-02", "2", "1", "2"], ["2027-03", "1", "0", "0"]]
    capsys.readouterr()
    assert cli.main(["--database-url", url, "report", "re_referrals", "--from", "2027-01-01", "--to", "2027-01-31"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Re-referrals within 6 and 12 months of a step-down or closure"
    assert out[2].split() == ["2027-01", "2", "1", "2"]
    assert cli.main(["--database-url", url, "report", "steps", "--from", "2027-02-01", "--to", "2027-01-01"]) == 2
    assert "ends (2027-01-01) before it starts" in capsys.readouterr().err


def test_facts_keep_consent_route_and_decisions_but_not_free_text():
    from engine.reports.facts import facts_of_submission

    assert list(facts_of_submission({"consent": "given", "consent_notes": "long text", "route": "universal",
                                     "tm_decision": "agree", "tm_rationale": "why", "screening_outcome": "s47",
                                     "actions": [{"a": 1}], "fsw_allocated": True, "recommendation": ""})) == [
        ("consent", "consent", "given"), ("route", "route", "universal"), ("decision", "screening_outcome", "s47"),
        ("decision", "tm_decision", "agree")]


def test_sql_month_windows_match_add_months_to_the_day(db):
    """`sqltime.within_months` (the re-referral windows in SQL) against `add_months`, on the days
    around each month end, late and early in the day, for 6 and 12 months."""
    from datetime import timedelta

    from sqlalchemy import literal

    from engine.reports import sqltime
    from engine.reports.period import add_months

    utc = models.UTCDateTime()
    cases = []
    for earlier in ("2027-01-31T23:59", "2027-08-31T00:00", "2027-02-28T12:00", "2028-02-29T08:00",
                    "2027-07-15T23:59", "2027-12-31T00:01", "2027-03-01T00:00"):
        start = datetime.fromisoformat(earlier + "+00:00")
        for months in (6, 12):
            target = add_months(start.date(), months)
            for shift in (-1, 0, 1):
                for hour in (0, 23):
                    later = datetime.combine(target + timedelta(days=shift), datetime.min.time(), timezone.utc).replace(
                        hour=hour, minute=59 if hour else 0)
                    cases.append((start, later, months, shift <= 0))
    with db.reader() as session:
        found = [bool(session.scalar(select(sqltime.within_months(literal(later, utc), literal(start, utc), months,
                                                                  db.dialect))))
                 for start, later, months, _ in cases]
    assert found == [expected for *_, expected in cases]
    assert sum(found) == len(cases) * 2 // 3  # the day before and the day itself, never the day after
