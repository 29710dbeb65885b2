"""Camunda 7 external tasks: a `camunda:type="external"` service task waits until another system
completes it, through the runtime or a signed inbound webhook."""
from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import func, select

from engine import runtime
from engine.catalog import DeploymentError, SourceFile, collect, deploy
from engine.runtime import repository
from engine.store import models
from webhooks import inbound, outbox, signing, subscriptions  # noqa: F401 - registers the listeners
from webhooks.http import blueprint

KEY = "CASE-EXT"


@pytest.fixture
def waiting(db, fixtures, clock):
    deploy(db, collect([fixtures / "external"]), name="external", actor="tester")
    outcome = runtime.start(db, "lcs_sync", KEY, {}, "sw.amira")
    secret = subscriptions.add_source(db, "lcs")
    return db, outcome.instance_id, secret


def counts(db) -> dict[str, int]:
    with db.reader() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) for t in models.Base.metadata.sorted_tables
                if t.name != "inbound_webhook"}


def state(db) -> tuple:
    """Everything a completion would change: row counts, instance versions and states, task rows."""
    with db.reader() as session:
        instances = session.execute(select(models.ProcessInstance.id, models.ProcessInstance.version,
                                           models.ProcessInstance.state)).all()
        rows = session.execute(select(models.WorkflowTask)).scalars().all()
        tasks = sorted((str(r.id), json.dumps(r.body, sort_keys=True, default=str)) for r in rows)
    return counts(db), sorted(instances), tasks


def signed(secret, body, at, webhook_id="msg_ext_1"):
    text = body if isinstance(body, str) else json.dumps(body)
    return signing.headers(secret, webhook_id, at, text), text.encode()


def open_elements(db, key=KEY):
    return [t.element_id for t in runtime.tasks(db, business_key=key)]


COMPLETION = {"action": "complete_external_task", "business_key": KEY, "topic": "lcs.open_record",
              "variables": {"lcs_id": "L-77"}}


def test_an_external_task_waits_across_loads_until_completed(waiting):
    db, instance_id, _ = waiting
    assert open_elements(db) == []
    repository.cache.clear()  # the wait is stored, not only held in memory
    with db.reader() as session:
        assert session.get(models.ProcessInstance, instance_id).state == "running"
    outcome = runtime.complete_external_task(db, business_key=KEY, topic="lcs.open_record",
                                             variables={"lcs_id": "L-77"}, actor="webhook:lcs")
    assert outcome.state == "running" and outcome.created_elements == ["check_lcs_record"]
    assert open_elements(db) == ["check_lcs_record"]
    with db.reader() as session:
        [audit] = session.scalars(select(models.AuditEvent).where(models.AuditEvent.action == "external_task.completed"))
    assert audit.actor == "webhook:lcs" and audit.instance_id == instance_id
    assert audit.details == {"element_id": "open_lcs_record", "topic": "lcs.open_record", "fields": ["lcs_id"]}


def test_the_variables_steer_what_follows_and_the_element_id_finds_it_too(waiting):
    db, instance_id, _ = waiting
    runtime.complete_external_task(db, instance_id=instance_id, element_id="open_lcs_record",
                                   variables={"lcs_id": None}, actor="webhook:lcs")
    assert open_elements(db) == ["open_by_hand"]


@pytest.mark.parametrize("call, refusal, words", [
    (dict(business_key=KEY, topic="lcs.other"), runtime.NotFound, "no external task for topic 'lcs.other'"),
    (dict(business_key="CASE-NONE", topic="lcs.open_record"), runtime.NotFound, "case CASE-NONE"),
    (dict(business_key=KEY, element_id="check_lcs_record"), runtime.NotFound, "element 'check_lcs_record'"),
    (dict(topic="lcs.open_record"), runtime.InvalidInput, "business key or an instance"),
    (dict(business_key=KEY), runtime.InvalidInput, "topic or element id"),
    (dict(business_key=KEY, topic="lcs.open_record", variables=["x"]), runtime.InvalidInput, "variables"),
])
def test_a_bad_completion_is_refused_and_changes_nothing(waiting, call, refusal, words):
    db, _, _ = waiting
    before = state(db)
    with pytest.raises(refusal, match=words.replace("(", r"\(")):
        runtime.complete_external_task(db, actor="webhook:lcs", **call)
    assert state(db) == before


def test_a_task_no_longer_waiting_cannot_be_completed_again(waiting):
    db, _, _ = waiting
    runtime.complete_external_task(db, business_key=KEY, topic="lcs.open_record", variables={"lcs_id": "L-1"})
    before = state(db)
    with pytest.raises(runtime.NotFound, match="no external task"):
        runtime.complete_external_task(db, business_key=KEY, topic="lcs.open_record", variables={"lcs_id": "L-2"})
    assert state(db) == before


def test_two_waiting_on_one_case_need_the_instance_named(waiting):
    db, instance_id, _ = waiting
    second = runtime.start(db, "lcs_sync", KEY, {}, "sw.amira").instance_id
    before = state(db)
    with pytest.raises(runtime.Conflict, match="2 external tasks"):
        runtime.complete_external_task(db, business_key=KEY, topic="lcs.open_record")
    assert state(db) == before
    runtime.complete_external_task(db, business_key=KEY, instance_id=second, topic="lcs.open_record",
                                   variables={"lcs_id": "L-9"})
    assert [t.instance_id for t in runtime.tasks(db, business_key=KEY)] == [second]


def test_an_external_task_needs_a_topic_to_deploy(db, fixtures, clock):
    text = (fixtures / "external" / "external_task.bpmn").read_text().replace(' camunda:topic="lcs.open_record"', "")
    with pytest.raises(DeploymentError, match="camunda:topic") as refused:
        deploy(db, [SourceFile("external_task.bpmn", text.encode())], name="external", actor="tester")
    assert "open_lcs_record" in str(refused.value)
    with db.reader() as session:
        assert session.scalar(select(func.count()).select_from(models.ProcessDefinition)) == 0


# -- through a signed inbound webhook ----------------------------------------------------------------

def test_a_signed_webhook_completes_the_task_and_answers_after_the_commit(waiting, clock):
    db, instance_id, secret = waiting
    app = Flask(__name__)
    app.extensions["stepwise_db"] = db
    app.register_blueprint(blueprint)
    headers, body = signed(secret, COMPLETION, clock.now())
    answer = app.test_client().post("/webhooks/in/lcs", data=body, headers=headers)
    assert answer.status_code == 202 and answer.json == {"status": "accepted", "reason": "accepted",
                                                         "instance_id": instance_id}
    repository.cache.clear()
    assert open_elements(db) == ["check_lcs_record"]  # committed before the 2xx
    with db.reader() as session:
        [logged] = session.scalars(select(models.InboundWebhook))
    assert (logged.outcome, logged.status, logged.accepted_id, logged.instance_id) == (
        "accepted", 202, "msg_ext_1", instance_id)
    before = state(db)
    replay = app.test_client().post("/webhooks/in/lcs", data=body, headers=headers)
    assert replay.status_code == 409 and "replay" in replay.json["reason"]
    assert state(db) == before


REFUSED = {
    "forged signature": (lambda s, now: signed(signing.new_secret(), COMPLETION, now), "lcs", 401, "signature"),
    "unknown source": (lambda s, now: signed(s, COMPLETION, now), "carefirst", 401, "unknown source"),
    "unknown topic": (lambda s, now: signed(s, {**COMPLETION, "topic": "lcs.nothing"}, now), "lcs", 409, "no external task"),
    "another case": (lambda s, now: signed(s, {**COMPLETION, "business_key": "CASE-OTHER"}, now), "lcs", 409,
                     "no external task"),
    "a user task is not external": (lambda s, now: signed(s, {**{k: v for k, v in COMPLETION.items() if k != "topic"},
                                                              "element_id": "check_lcs_record"}, now), "lcs", 409,
                                    "no external task"),
    "no case named": (lambda s, now: signed(s, {k: v for k, v in COMPLETION.items() if k != "business_key"}, now),
                      "lcs", 400, "business_key"),
    "no topic or element": (lambda s, now: signed(s, {k: v for k, v in COMPLETION.items() if k != "topic"}, now),
                            "lcs", 400, "topic"),
    "variables not an object": (lambda s, now: signed(s, {**COMPLETION, "variables": [1]}, now), "lcs", 400, "variables"),
    "unknown action": (lambda s, now: signed(s, {**COMPLETION, "action": "delete_case"}, now), "lcs", 400,
                       "unknown action"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_bad_completion_webhook_is_refused_and_changes_nothing(waiting, clock, case):
    db, _, secret = waiting
    make, source, status, reason = REFUSED[case]
    headers, body = make(secret, clock.now())
    before = state(db)
    result = inbound.receive(db, source, headers, body, clock.now())
    assert (result.status, result.ok) == (status, False) and reason in result.reason
    assert state(db) == before
    repository.cache.clear()
    assert open_elements(db) == []  # still waiting for LCS
    with db.reader() as session:
        [logged] = session.scalars(select(models.InboundWebhook))
    assert (logged.outcome, logged.status, logged.accepted_id) == ("rejected", status, None)
