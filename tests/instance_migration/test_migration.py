"""Instance migration on a real process (North Somerset's step-down to universal services):
version 2 renames a task and adds one; running cases move with their tasks intact and finish on
the new version. A version 2 that drops a waiting task is refused for the cases waiting there."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from engine import runtime
from engine.catalog import specs
from engine.runtime import InvalidInput, NotFound, migration, repository
from engine.store import models

from . import versions as v
from .versions import folder  # noqa: F401 - a fixture
from .snapshot import rows


def _instance(db, instance_id):
    with db.reader() as session:
        return session.get(models.ProcessInstance, instance_id)


def _task_data(db, instance_id, task_id):
    with db.reader() as session:
        body = session.scalar(select(models.WorkflowTask.body).where(models.WorkflowTask.instance_id == instance_id,
                                                                     models.WorkflowTask.id == task_id))
    return json.loads(body)["data"]


def _audit(db, action, instance_id):
    with db.reader() as session:
        return list(session.scalars(select(models.AuditEvent).where(models.AuditEvent.action == action,
                                                                    models.AuditEvent.instance_id == instance_id)))


def test_running_cases_move_to_version_2_with_their_tasks_intact_and_finish_there(db, clock, folder):
    at_plan = v.start(db, "U-PLAN")                       # waiting at the first task, claimed, with a draft
    plan_task = v.open_task(db, "U-PLAN", "closing_plan")
    runtime.claim(db, plan_task.id, "sw.amira")
    runtime.save_draft(db, plan_task.id, {"closing_plan": "Half written"}, "sw.amira")
    at_sign = v.start(db, "U-SIGN")                       # waiting at the task version 2 renames
    v.closing_plan(db, "U-SIGN")
    sign_task = v.open_task(db, "U-SIGN", "signposting")
    runtime.assign(db, sign_task.id, "sw.bob", "tm.jones")
    at_timer = v.start(db, "U-TIMER")                     # waiting on the introduction meeting's timer
    v.closing_plan(db, "U-TIMER")
    v.signposting(db, "U-TIMER", "yes")
    v.contact_fwil(db, "U-TIMER")
    v.fwil_decides(db, "U-TIMER")
    v.arrange_introduction(db, "U-TIMER")
    due = datetime(2026, 12, 2, 17, 0, tzinfo=timezone.utc)
    assert _instance(db, at_timer.instance_id).next_timer_due == due
    sign_data = _task_data(db, at_sign.instance_id, sign_task.id)
    assert sign_data["family_hub"] == "Weston Family Hub"

    v.rename_and_add_check(folder)
    deployed = v.deploy_folder(db, folder)
    assert [(key, version) for key, version, _ in deployed.definitions] == [(v.KEY, 2)]

    preview = migration.preview(db, v.KEY, 1, 2)
    plans = {p.business_key: p for p in preview.instances}
    assert set(plans) == {"U-PLAN", "U-SIGN", "U-TIMER"} and all(p.migratable for p in plans.values())
    [sign] = [t for t in plans["U-SIGN"].tasks if t.element_id == "signposting"]
    assert (sign.task_id, sign.state, sign.to_element) == (sign_task.id, "ready", "signposting")
    assert sign.to_name == "Offer signposting to Family Hub services" and "bpmn_name" in sign.changes
    [timer] = [t for t in plans["U-TIMER"].tasks if t.element_id == "wait_introduction"]
    assert (timer.state, timer.to_element) == ("waiting", "wait_introduction")
    assert _instance(db, at_sign.instance_id).version == plans["U-SIGN"].version  # the preview changed nothing

    results = migration.apply(db, v.KEY, 1, 2, "admin.lee",
                              expected_versions={p.instance_id: p.version for p in preview.instances})
    assert all(r.migrated for r in results) and len(results) == 3
    new_id = preview.to_definition_id
    for outcome in (at_plan, at_sign, at_timer):
        instance = _instance(db, outcome.instance_id)
        assert instance.definition_id == new_id and instance.state == "running"
        [audit] = _audit(db, "instance.migrated", outcome.instance_id)
        assert (audit.actor, audit.details["from_version"], audit.details["to_version"]) == ("admin.lee", 1, 2)
    # Same task ids, assignees, drafts and data; the renamed task shows its new name.
    plan_after = v.open_task(db, "U-PLAN", "closing_plan")
    assert (plan_after.id, plan_after.assignee) == (plan_task.id, "sw.amira")
    assert runtime.draft(db, plan_task.id) == {"closing_plan": "Half written"}
    sign_after = v.open_task(db, "U-SIGN", "signposting")
    assert (sign_after.id, sign_after.assignee, sign_after.name) == (sign_task.id, "sw.bob", "Offer signposting to Family Hub services")
    assert _task_data(db, at_sign.instance_id, sign_task.id) == sign_data
    assert _instance(db, at_timer.instance_id).next_timer_due == due  # the timer did not restart

    # Each case continues to its end on version 2, through the added task.
    runtime.unclaim(db, plan_task.id, "sw.amira")
    assert v.closing_plan(db, "U-PLAN", engage="no").state == "completed"
    runtime.assign(db, sign_task.id, None, "tm.jones")
    outcome = v.signposting(db, "U-SIGN", "no")
    assert outcome.created_elements == ["check_signposting"]
    check = v.open_task(db, "U-SIGN", "check_signposting")
    assert check.candidate_groups == ["team_manager"]
    assert v.do(db, "U-SIGN", "check_signposting", {}, "tm.jones").state == "completed"
    clock.set("2026-12-02T17:00:01+00:00")
    assert runtime.fire_due_timers(db, clock.now()).fired == 1
    assert v.introduction_meeting(db, "U-TIMER").state == "completed"

    # Nothing is left on version 1; a second run finds nothing to do.
    assert migration.preview(db, v.KEY, 1, 2).instances == []
    assert migration.apply(db, v.KEY, 1, 2, "admin.lee") == []


def test_a_version_that_drops_the_waiting_task_is_refused_and_the_case_is_unchanged(db, clock, folder):
    waiting = v.start(db, "U-SIGN")
    v.closing_plan(db, "U-SIGN")
    sign_task = v.open_task(db, "U-SIGN", "signposting")
    runtime.claim(db, sign_task.id, "sw.amira")
    runtime.save_draft(db, sign_task.id, {"services_signposted": "Stay and play"}, "sw.amira")
    earlier = v.start(db, "U-PLAN")  # still before the dropped task: it can move

    v.remove_signposting(folder)
    v.deploy_folder(db, folder)
    repository.cache.clear()
    before = rows(db, waiting.instance_id)

    preview = migration.preview(db, v.KEY, 1, 2)
    plans = {p.business_key: p for p in preview.instances}
    assert plans["U-PLAN"].migratable
    assert plans["U-SIGN"].reasons == [
        "ready task 'Offer signposting to Family Hub or Children's Centre services' (signposting) is not in version 2"]
    [mapping] = [t for t in plans["U-SIGN"].tasks if t.element_id == "signposting"]
    assert mapping.to_element is None

    results = {r.business_key: r for r in migration.apply(db, v.KEY, 1, 2, "admin.lee")}
    assert not results["U-SIGN"].migrated and "(signposting) is not in version 2" in results["U-SIGN"].reasons[0]
    assert results["U-PLAN"].migrated
    after = rows(db, waiting.instance_id)
    assert {k: val for k, val in after.items() if k != "audit"} == {k: val for k, val in before.items() if k != "audit"}
    assert _audit(db, "instance.migrated", waiting.instance_id) == []
    # The refused case still runs on version 1.
    assert v.signposting(db, "U-SIGN", "no").state == "completed"
    # The moved one runs on version 2 to its end.
    assert _instance(db, earlier.instance_id).definition_id == preview.to_definition_id
    assert v.closing_plan(db, "U-PLAN", engage="no").state == "completed"


def test_a_completed_step_missing_from_the_new_version_is_refused(db, clock, folder):
    past = v.start(db, "U-PAST")
    v.closing_plan(db, "U-PAST")
    v.signposting(db, "U-PAST", "yes")  # signposting is done; the case waits at contact_fwil
    v.remove_signposting(folder)
    v.deploy_folder(db, folder)
    before = rows(db, past.instance_id)
    [plan] = migration.preview(db, v.KEY, 1, 2).instances
    assert plan.reasons == ["completed step 'Offer signposting to Family Hub or Children's Centre services' "
                            "(signposting) is not in version 2: the case's history would be lost"]
    [result] = migration.apply(db, v.KEY, 1, 2, "admin.lee")
    assert not result.migrated
    assert rows(db, past.instance_id) == before


def test_a_stale_instance_version_is_refused_and_bad_requests_change_nothing(db, clock, folder):
    case = v.start(db, "U-1")
    v.rename_and_add_check(folder)
    v.deploy_folder(db, folder)
    [plan] = migration.preview(db, v.KEY, 1, 2).instances
    v.closing_plan(db, "U-1")  # someone works on the case after the preview
    before = rows(db, case.instance_id)
    [result] = migration.apply(db, v.KEY, 1, 2, "admin.lee", expected_versions={case.instance_id: plan.version})
    assert not result.migrated and "changed since" in result.reasons[0]
    for bad in ((v.KEY, 1, 1), (v.KEY, 0, 2), (v.KEY, "1", 2)):
        with pytest.raises(InvalidInput):
            migration.apply(db, *bad, "admin.lee")
    with pytest.raises(NotFound):
        migration.preview(db, v.KEY, 1, 3)
    with pytest.raises(NotFound):
        migration.preview(db, "no_such_process", 1, 2)
    [unknown] = migration.apply(db, v.KEY, 1, 2, "admin.lee", instance_ids=["not-an-instance"])
    assert not unknown.migrated and "not a running instance" in unknown.reasons[0]
    assert rows(db, case.instance_id) == before


def test_a_case_inside_a_running_safeguarding_referral_moves_and_both_paths_finish(db, clock, folder):
    case = v.start(db, "U-SG")
    v.closing_plan(db, "U-SG")
    runtime.correlate(db, "safeguarding_concern", business_key="U-SG", actor="sw.amira",
                      payload={"concern": "Neighbour reports children left alone overnight.", "raised_by": "sw.amira"})
    referral = v.open_task(db, "U-SG", "urgent_referral")  # in the call activity of the event sub-process
    v.rename_and_add_check(folder)
    v.deploy_folder(db, folder)
    [plan] = migration.preview(db, v.KEY, 1, 2).instances
    assert plan.migratable
    assert {(t.element_id, t.state) for t in plan.tasks} >= {("call_safeguarding_referral", "started"),
                                                             ("urgent_referral", "ready"), ("signposting", "ready")}
    [result] = migration.apply(db, v.KEY, 1, 2, "admin.lee")
    assert result.migrated
    assert v.open_task(db, "U-SG", "urgent_referral").id == referral.id
    specs._specs.clear()  # and on in a new server process, with version 2's spec parsed afresh
    repository.cache.clear()
    runtime.complete(db, referral.id, {
        "concern": "Neighbour reports children left alone overnight.", "immediate_action": "MASH called.",
        "child_seen": "yes", "referred_to": "mash", "referred_at": "2026-11-23"}, "fd.duty")
    v.signposting(db, "U-SG", "no")
    outcome = v.do(db, "U-SG", "check_signposting", {}, "tm.jones")
    assert outcome.state == "completed", runtime.incidents(db)[0].error
    assert _instance(db, case.instance_id).state == "completed"


def test_an_event_sub_process_started_before_a_restart_finishes_after_it(db, clock, folder):
    """Not a migration: the same wiring a migrated case needs, for a case that outlives the server
    process in which its safeguarding concern was raised (the parsed specs are cached per process)."""
    case = v.start(db, "U-RESTART")
    v.closing_plan(db, "U-RESTART")
    runtime.correlate(db, "safeguarding_concern", business_key="U-RESTART", actor="sw.amira",
                      payload={"concern": "Neighbour reports children left alone overnight.", "raised_by": "sw.amira"})
    referral = v.open_task(db, "U-RESTART", "urgent_referral")
    specs._specs.clear()  # a new server process: specs parsed afresh from the database
    repository.cache.clear()
    outcome = runtime.complete(db, referral.id, {
        "concern": "Neighbour reports children left alone overnight.", "immediate_action": "MASH called.",
        "child_seen": "yes", "referred_to": "mash", "referred_at": "2026-11-23"}, "fd.duty")
    assert outcome.incident_id is None, runtime.incidents(db)[0].error
    assert v.signposting(db, "U-RESTART", "no").state == "completed"
    assert _instance(db, case.instance_id).state == "completed"


def test_a_waiting_task_that_changed_type_is_refused(db, clock, folder):
    case = v.start(db, "U-TYPE")
    v.closing_plan(db, "U-TYPE")
    v.signposting_becomes_manual(folder)
    v.deploy_folder(db, folder)
    before = rows(db, case.instance_id)
    [plan] = migration.preview(db, v.KEY, 1, 2).instances
    assert plan.reasons == ["ready task 'Offer signposting to Family Hub or Children's Centre services' (signposting) "
                            "changed type from UserTask to ManualTask in version 2"]
    [result] = migration.apply(db, v.KEY, 1, 2, "admin.lee")
    assert not result.migrated and rows(db, case.instance_id) == before
