"""Case repair on a real process: go back to a completed task with a reason, redo it, continue;
retry open incidents in bulk; an instance's whole history."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import runtime
from engine.runtime import Conflict, InvalidInput, NotFound, repair
from engine.store import models

from . import versions as v
from .versions import folder  # noqa: F401 - a fixture
from .snapshot import rows


def _human(db, task_id):
    with db.reader() as session:
        return session.get(models.HumanTask, task_id)


def test_going_back_to_a_completed_task_reopens_it_and_the_case_continues(db, clock, folder):
    case = v.start(db, "U-BACK")
    v.closing_plan(db, "U-BACK")
    signposted = v.open_task(db, "U-BACK", "signposting")
    v.signposting(db, "U-BACK", "yes")  # a mistake: the family needed no low-level support
    later = v.open_task(db, "U-BACK", "contact_fwil")
    runtime.claim(db, later.id, "sw.amira")
    runtime.save_draft(db, later.id, {"area": "north"}, "sw.amira")
    assert _human(db, signposted.id).state == "completed"

    clock.set("2026-11-25T10:00:00+00:00")
    outcome = repair.reset(db, case.instance_id, signposted.id, "Recorded the wrong answer on support", "admin.lee")
    assert outcome.created_tasks == [signposted.id]
    reopened = v.open_task(db, "U-BACK", "signposting")
    assert reopened.id == signposted.id and reopened.assignee is None and reopened.completed_by is None
    assert [t.element_id for t in runtime.tasks(db, business_key="U-BACK")] == ["signposting"]
    assert _human(db, later.id).state == "cancelled" and runtime.draft(db, later.id) is None
    with db.reader() as session:  # the task list's role index sees it open again, and the later one closed
        task_open = dict(session.execute(select(models.TaskRole.task_id, models.TaskRole.task_open).where(
            models.TaskRole.task_id.in_([signposted.id, later.id]))).all())
    assert task_open == {signposted.id: True, later.id: False}
    with db.reader() as session:
        audit = session.scalars(select(models.AuditEvent).where(models.AuditEvent.action == "instance.reset")).one()
        stored = set(session.scalars(select(models.WorkflowTask.id).where(
            models.WorkflowTask.instance_id == case.instance_id)))
    assert audit.actor == "admin.lee" and audit.task_id == signposted.id
    assert audit.details["reason"] == "Recorded the wrong answer on support" and audit.details["closed"] == [later.id]
    assert later.id not in stored  # the later work is gone from the workflow too

    assert v.signposting(db, "U-BACK", "no").state == "completed"  # redone, and the procedure ends

    history = repair.history(db, case.instance_id)
    actions = [a.action for a in history.audit]
    assert actions.index("instance.reset") < actions.index("instance.completed")
    assert sorted((t.element_id, t.state) for t in history.tasks) == [
        ("closing_plan", "completed"), ("contact_fwil", "cancelled"), ("signposting", "completed")]
    assert history.tasks[-1].element_id == "signposting"  # reopened last
    assert (history.process_key, history.definition_version, history.state) == (v.KEY, 1, "completed")


def test_bad_resets_change_nothing(db, clock, folder):
    case = v.start(db, "U-1")
    v.closing_plan(db, "U-1")
    done = runtime.tasks(db, business_key="U-1", state="completed")[0]
    waiting = v.open_task(db, "U-1", "signposting")
    before = rows(db, case.instance_id)
    with pytest.raises(InvalidInput, match="reason"):
        repair.reset(db, case.instance_id, done.id, "   ", "admin.lee")
    with pytest.raises(Conflict, match="not a completed user task"):
        repair.reset(db, case.instance_id, waiting.id, "try", "admin.lee")
    with pytest.raises(NotFound):
        repair.reset(db, case.instance_id, "not-a-task", "try", "admin.lee")
    with pytest.raises(NotFound):
        repair.reset(db, "no-such-instance", done.id, "try", "admin.lee")
    with pytest.raises(runtime.StaleVersion):
        repair.reset(db, case.instance_id, done.id, "try", "admin.lee", expected_version=1)
    assert rows(db, case.instance_id) == before
    runtime.cancel(db, case.instance_id, "admin.lee", "duplicate")
    with pytest.raises(Conflict, match="cancelled"):
        repair.reset(db, case.instance_id, done.id, "try", "admin.lee")


def test_open_incidents_are_retried_in_bulk(db, clock, folder):
    first, second = v.start(db, "U-A"), v.start(db, "U-B")
    ids = [runtime.record_incident(db, o.instance_id, None, "the records system did not answer", "worker")
           for o in (first, second)]
    results = repair.retry_incidents(db, "admin.lee")
    assert [(r.incident_id, r.resolved) for r in results] == [(ids[0], True), (ids[1], True)]
    assert runtime.incidents(db) == []
    again = repair.retry_incidents(db, "admin.lee", [ids[0], 999])
    assert [(r.resolved, r.error.split(" ")[0]) for r in again] == [(False, "incident"), (False, "no")]
    with pytest.raises(InvalidInput):
        repair.retry_incidents(db, "admin.lee", ["x"])


def test_going_back_on_a_case_with_an_incident_closes_the_incident(db, clock, folder):
    case = v.start(db, "U-INC")
    v.closing_plan(db, "U-INC")
    done = runtime.tasks(db, business_key="U-INC", state="completed")[0]
    incident = runtime.record_incident(db, case.instance_id, None, "the records system did not answer", "worker")
    repair.reset(db, case.instance_id, done.id, "Start again from the closing plan", "admin.lee")
    assert runtime.incidents(db) == []
    [closed] = runtime.incidents(db, open_only=False)
    assert (closed.id, closed.resolved_by) == (incident, "admin.lee")
    assert [t.element_id for t in runtime.tasks(db, business_key="U-INC")] == ["closing_plan"]
    assert v.closing_plan(db, "U-INC", engage="no").state == "completed"
