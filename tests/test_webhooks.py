"""Webhooks: the outbox written with each change, delivery to a real HTTP receiver on 127.0.0.1 that
verifies signatures with the `standardwebhooks` library, retries, crash safety, inbound messages, and
the whole North Somerset step-down driven by the worker pass alone."""
from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from engine import runtime
from engine.catalog import collect, deploy
from engine.runtime import repository
from engine.store import models
from webhooks import delivery, inbound, outbox, signing, subscriptions  # noqa: F401 - registers the listeners
from webhooks.worker import work_once

ROOT = Path(__file__).resolve().parents[1]
ON_SQLITE = not os.environ.get("STEPWISE_TEST_DATABASE_URL")


# -- a real receiver ------------------------------------------------------------------------------

class Receiver:
    """An HTTP server on 127.0.0.1 that verifies each delivery with the standardwebhooks library.

    mode: "ok" (verify, 204), "error" (500), "hang" (answer nothing until released: the client
    times out), "close" (close the connection without a response).
    """

    def __init__(self, secret: str, port: int = 0):
        self.secret = secret
        self.mode = "ok"
        self.received: list[dict] = []  # verified deliveries answered 2xx: {"id", "type", "payload"}
        self.requests = 0
        self.forged = 0
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def ids(self) -> list[str]:
        return [r["id"] for r in self.received]

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    receiver.requests += 1
                mode = receiver.mode
                if mode == "close":
                    return  # HTTP/1.0: the connection closes with no response
                if mode == "hang":
                    receiver.release.wait(10)
                    return
                if mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"receiver broken")
                    return
                try:
                    payload = Webhook(receiver.secret).verify(body, dict(self.headers))
                except WebhookVerificationError:
                    with receiver._lock:
                        receiver.forged += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.received.append({"id": self.headers["webhook-id"], "type": payload["type"], "payload": payload})
                self.send_response(204)
                self.end_headers()

        return Handler


@pytest.fixture
def receiver():
    started = []

    def make(secret: str, port: int = 0) -> Receiver:
        server = Receiver(secret, port)
        started.append(server)
        return server

    yield make
    for server in started:
        try:
            server.stop()
        except OSError:
            pass


# -- helpers ----------------------------------------------------------------------------------

@pytest.fixture
def deployed(db, fixtures, clock):
    deploy(db, collect([fixtures / "engine"]), name="fixtures", actor="tester")
    return db


def subscribe(db, url, events=("*",)):
    sub_id, secret = subscriptions.add_subscription(db, url, list(events))
    return sub_id, secret


def outbox_rows(db, **where):
    query = select(models.WebhookOutbox).order_by(models.WebhookOutbox.id)
    for key, value in where.items():
        query = query.where(getattr(models.WebhookOutbox, key) == value)
    with db.reader() as session:
        return list(session.scalars(query))


def attempts_of(db, outbox_id):
    with db.reader() as session:
        return list(session.scalars(select(models.WebhookAttempt).where(models.WebhookAttempt.outbox_id == outbox_id)
                                    .order_by(models.WebhookAttempt.id)))


def counts(db) -> dict[str, int]:
    with db.reader() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) for t in models.Base.metadata.sorted_tables
                if t.name != "inbound_webhook"}


def instance_versions(db) -> dict[str, int]:
    with db.reader() as session:
        return dict(session.execute(select(models.ProcessInstance.id, models.ProcessInstance.version)).all())


# -- the outbox -------------------------------------------------------------------------------------

def test_events_are_written_to_the_outbox_in_the_same_transaction_without_case_data(deployed, clock):
    db = deployed
    subscribe(db, "http://127.0.0.1:9/all")
    subscribe(db, "http://127.0.0.1:9/tasks-only", ["task.created"])
    started = runtime.start(db, "review", "CASE-OUT", {"referral_source": "school", "child_name": "Sam Smith"}, "alice")
    rows = outbox_rows(db)
    assert [(r.subscription_id, r.event_type) for r in rows] == [
        (1, "instance.started"), (1, "task.created"), (2, "task.created")]
    assert all(r.state == "pending" and r.next_attempt_at == clock.now() and r.webhook_id.startswith("msg_") for r in rows)
    assert len({r.webhook_id for r in rows}) == 3
    first = rows[0].payload
    assert first["type"] == "instance.started" and first["data"]["instance_id"] == started.instance_id
    assert first["data"]["business_key"] == "CASE-OUT" and first["data"]["process_key"] == "review"
    assert "Sam Smith" not in json.dumps([r.payload for r in rows])  # variables never leave in a task/instance event
    task = rows[1].payload["data"]
    assert task["element_id"] == "record_decision" and task["roles"] == ["social_worker"]
    assert task["due_at"] == "2026-11-25T17:00:00+00:00"

    # A listener failure elsewhere in the transaction takes the outbox rows with it.
    def refuse(unit, events):
        raise RuntimeError("broken")

    task_id = runtime.tasks(db, business_key="CASE-OUT")[0].id
    runtime.subscribe(refuse)
    try:
        with pytest.raises(RuntimeError):
            runtime.complete(db, task_id, {"decision": "stay_open", "rationale": "Risk remains"}, "alice")
    finally:
        runtime.unsubscribe(refuse)
    assert len(outbox_rows(db)) == 3

    runtime.claim(db, task_id, "alice")
    runtime.complete(db, task_id, {"decision": "stay_open", "rationale": "Risk remains"}, "alice")
    types = [r.event_type for r in outbox_rows(db, subscription_id=1)]
    # events keep the runtime's order: the completion, then what it caused
    assert types[2:] == ["task.assigned", "task.completed", "instance.completed"]
    completed = outbox_rows(db, event_type="task.completed")[0].payload["data"]
    assert completed["fields"] == ["decision", "rationale"] and "Risk remains" not in json.dumps(completed)
    assert outbox_rows(db, event_type="task.assigned")[0].payload["data"]["action"] == "claimed"


def test_a_disabled_subscription_gets_nothing_and_patterns_select_types(deployed, clock):
    db = deployed
    sub_id, _ = subscribe(db, "http://127.0.0.1:9/a", ["instance.*"])
    off_id, _ = subscribe(db, "http://127.0.0.1:9/b")
    subscriptions.set_active(db, off_id, False)
    runtime.start(db, "review", "CASE-PAT", {}, "alice")
    assert [(r.subscription_id, r.event_type) for r in outbox_rows(db)] == [(sub_id, "instance.started")]
    assert outbox.wants(["lcs.*"], "lcs.step_down") and not outbox.wants(["lcs.*"], "task.created")


# -- delivery ----------------------------------------------------------------------------------------

def test_delivery_is_signed_and_the_receiver_verifies_it(deployed, clock, receiver):
    db = deployed
    probe = receiver(signing.new_secret())  # a port first, then the subscription's secret
    sub_id, secret = subscribe(db, probe.url)
    probe.secret = secret
    runtime.start(db, "review", "CASE-DEL", {}, "alice")
    run = delivery.deliver_due(db, clock.now())
    assert run.delivered == 2 and run.retrying == run.failed == 0
    rows = outbox_rows(db)
    assert probe.ids() == [r.webhook_id for r in rows] and probe.forged == 0
    assert [r["payload"] for r in probe.received] == [r.payload for r in rows]
    assert all(r.state == "delivered" and r.delivered_at == clock.now() and r.attempts == 1 for r in rows)
    [attempt] = attempts_of(db, rows[0].id)
    assert attempt.status_code == 204 and attempt.error is None and attempt.at == clock.now()
    assert delivery.deliver_due(db, clock.now()).handled == []  # nothing twice

    # A receiver with another secret refuses the signature: recorded as a failed attempt.
    probe.secret = signing.new_secret()
    runtime.start(db, "review", "CASE-DEL2", {}, "alice")
    run = delivery.deliver_due(db, clock.now())
    assert run.retrying == 2 and probe.forged == 2
    assert outbox_rows(db, state="pending")[0].last_error.startswith("HTTP 401")


@pytest.mark.parametrize("failure", ["error", "hang", "close", "down"])
def test_a_failing_receiver_is_retried_with_back_off_and_finally_delivered(deployed, clock, receiver, failure):
    db = deployed
    probe = receiver(signing.new_secret())
    _, probe.secret = subscribe(db, probe.url, ["instance.started"])
    port = probe.port
    if failure == "down":
        probe.stop()
    else:
        probe.mode = failure
    runtime.start(db, "review", "CASE-RETRY", {}, "alice")
    [row] = outbox_rows(db)
    start = clock.now()
    # Only the hanging receiver needs a short timeout; elsewhere a generous one keeps a loaded
    # machine from turning an HTTP 500 into a time-out.
    timeout = 0.5 if failure == "hang" else 10.0
    for n, wait in enumerate((5, 10, 20), start=1):
        run = delivery.deliver_due(db, clock.now(), timeout=timeout)
        assert run.retrying == 1 and run.delivered == 0
        [row] = outbox_rows(db)
        assert row.state == "pending" and row.attempts == n
        assert row.next_attempt_at == clock.now() + timedelta(seconds=wait)
        assert delivery.deliver_due(db, clock.now(), timeout=timeout).handled == []  # not before its time
        clock.advance(seconds=wait)
    errors = [a.error for a in attempts_of(db, row.id)]
    expected = {"error": "HTTP 500", "hang": "timed out", "close": "RemoteProtocolError", "down": "ConnectError"}[failure]
    assert all(e.startswith(expected) for e in errors), errors
    if failure == "down":
        probe = receiver(probe.secret, port)
    else:
        probe.release.set()
        probe.mode = "ok"
    assert delivery.deliver_due(db, clock.now(), timeout=10.0).delivered == 1
    [row] = outbox_rows(db)
    assert row.state == "delivered" and row.attempts == 4 and clock.now() - start == timedelta(seconds=35)
    assert row.webhook_id in probe.ids() and row.last_error is None


def test_after_a_day_of_failures_a_webhook_is_failed_and_an_admin_can_redeliver_it(deployed, clock, receiver):
    db = deployed
    probe = receiver(signing.new_secret())
    _, probe.secret = subscribe(db, probe.url, ["instance.started"])
    probe.mode = "error"
    runtime.start(db, "review", "CASE-FAIL", {}, "alice")
    waits = []
    while True:
        delivery.deliver_due(db, clock.now())
        [row] = outbox_rows(db)
        if row.state == "failed":
            break
        waits.append(row.next_attempt_at - clock.now())
        clock.set(row.next_attempt_at)
    assert waits[0] == timedelta(seconds=5) and all(b == 2 * a for a, b in zip(waits, waits[1:]))
    assert max(waits) <= timedelta(hours=24) < 2 * max(waits)
    assert row.attempts == len(waits) + 1 == 16 and len(attempts_of(db, row.id)) == 16 and row.next_attempt_at is None
    probe.mode = "ok"
    assert delivery.deliver_due(db, clock.now() + timedelta(days=30)).handled == []  # failed stays failed
    assert delivery.failed_ids(db) == [row.id]
    assert delivery.redeliver(db, [row.id], "admin.ann", clock.now()) == 1
    assert delivery.deliver_due(db, clock.now()).delivered == 1
    assert probe.ids() == [row.webhook_id]
    with db.reader() as session:
        audit = session.scalars(select(models.AuditEvent).where(models.AuditEvent.action == "webhook.redelivered")).one()
    assert audit.actor == "admin.ann" and audit.details == {"outbox_ids": [row.id]}


def test_a_crash_after_the_post_before_the_commit_redelivers_and_never_loses(deployed, clock, receiver, monkeypatch):
    db = deployed
    probe = receiver(signing.new_secret())
    _, probe.secret = subscribe(db, probe.url, ["instance.started"])
    runtime.start(db, "review", "CASE-CRASH", {}, "alice")
    [row] = outbox_rows(db)

    def killed(*args, **kwargs):
        raise SystemExit("worker killed between the POST and its commit")

    monkeypatch.setattr(delivery, "_record", killed)
    with pytest.raises(SystemExit):
        delivery.deliver_due(db, clock.now(), timeout=2)
    monkeypatch.undo()
    assert probe.ids() == [row.webhook_id]  # the receiver had it...
    [row] = outbox_rows(db)
    assert row.state == "pending" and row.attempts == 0  # ...the outbox does not know: still queued
    assert delivery.deliver_due(db, clock.now(), timeout=2).handled == []  # leased to the dead worker for now
    clock.set(row.next_attempt_at)
    assert delivery.deliver_due(db, clock.now(), timeout=2).delivered == 1
    assert probe.ids() == [row.webhook_id, row.webhook_id]  # at least once, same webhook-id to de-duplicate
    assert outbox_rows(db)[0].state == "delivered"


def test_sigterm_finishes_the_webhook_in_hand_and_releases_the_rest(deployed, clock, receiver):
    db = deployed
    probe = receiver(signing.new_secret())
    _, probe.secret = subscribe(db, probe.url)
    for n in range(3):
        runtime.start(db, "review", f"CASE-STOP-{n}", {}, "alice")  # 6 events
    asked = []

    def stop_after_two():
        asked.append(1)
        return len(probe.received) >= 2

    run = delivery.deliver_due(db, clock.now(), should_stop=stop_after_two)
    assert run.delivered == 2 and len(probe.received) == 2
    pending = outbox_rows(db, state="pending")
    assert len(pending) == 4 and all(r.next_attempt_at <= clock.now() for r in pending)  # released, not leased
    assert delivery.deliver_due(db, clock.now()).delivered == 4


@pytest.mark.skipif(ON_SQLITE, reason="SQLite runs one worker (its write lock serialises them); "
                                       "concurrent workers are a PostgreSQL deployment")
def test_two_workers_on_postgresql_never_take_the_same_row(deployed, clock, receiver, monkeypatch):
    db = deployed
    probe = receiver(signing.new_secret())
    _, probe.secret = subscribe(db, probe.url)
    for n in range(10):
        runtime.start(db, "review", f"CASE-PG-{n}", {}, "alice")  # 20 events
    total = len(outbox_rows(db))
    first_holds, second_done = threading.Event(), threading.Event()
    original = delivery._claimed

    def hold_first_claim(conn, rows):
        if threading.current_thread().name == "first" and not first_holds.is_set():
            first_holds.set()
            assert second_done.wait(20), "the second worker blocked on rows the first had locked"
        original(conn, rows)

    monkeypatch.setattr(delivery, "_claimed", hold_first_claim)
    runs = {}

    def work(name, limit):
        runs[name] = delivery.deliver_due(db, clock.now(), limit)
        if name == "second":
            second_done.set()

    first = threading.Thread(target=work, args=("first", 8), name="first")
    first.start()
    assert first_holds.wait(20)
    second = threading.Thread(target=work, args=("second", total), name="second")
    second.start()
    second.join(30)
    first.join(30)
    assert set(runs) == {"first", "second"}
    mine, theirs = set(runs["first"].handled), set(runs["second"].handled)
    assert mine and theirs and not mine & theirs
    assert len(mine | theirs) == total
    assert sorted(probe.ids()) == sorted(r.webhook_id for r in outbox_rows(db)) and probe.forged == 0
    assert all(r.state == "delivered" for r in outbox_rows(db))


# -- inbound -------------------------------------------------------------------------------------------

def signed(secret, body: dict | bytes | str, at: datetime, webhook_id="msg_in_1"):
    text = body if isinstance(body, str) else body.decode() if isinstance(body, bytes) else json.dumps(body)
    return signing.headers(secret, webhook_id, at, text), text.encode()


@pytest.fixture
def waiting_panel(deployed, clock):
    db = deployed
    secret = subscriptions.add_source(db, "panel_system")
    runtime.start(db, "panel", "CASE-IN", {}, "alice")
    return db, secret


def test_an_inbound_webhook_correlates_the_message_once(waiting_panel, clock):
    db, secret = waiting_panel
    message = {"message": "panel_decision", "business_key": "CASE-IN", "payload": {"service": "fsw"}}
    headers, body = signed(secret, message, clock.now())
    result = inbound.receive(db, "panel_system", headers, body, clock.now())
    assert result.ok and result.status == 202
    [task] = runtime.tasks(db, business_key="CASE-IN")
    assert task.element_id == "allocate_fsw"
    clock.advance(seconds=30)
    before = counts(db)
    replay = inbound.receive(db, "panel_system", headers, body, clock.now())
    assert replay.status == 409 and "replay" in replay.reason
    assert counts(db) == before
    with db.reader() as session:
        log = session.execute(select(models.InboundWebhook.outcome, models.InboundWebhook.status,
                                     models.InboundWebhook.accepted_id)
                              .order_by(models.InboundWebhook.id)).all()
    assert log == [("accepted", 202, "msg_in_1"), ("rejected", 409, None)]


def _tamper(secret, message, now):
    headers, body = signed(secret, message, now)
    return headers, body.replace(b"fsw", b"none")


REJECTIONS = {
    "forged signature": (lambda s, m, now: signed(signing.new_secret(), m, now), "panel_system", 401, "signature"),
    "tampered body": (_tamper, "panel_system", 401, "signature"),
    "stale timestamp": (lambda s, m, now: signed(s, m, now - timedelta(minutes=5, seconds=1)), "panel_system", 401, "stale"),
    "future timestamp": (lambda s, m, now: signed(s, m, now + timedelta(minutes=6)), "panel_system", 401, "stale"),
    "missing headers": (lambda s, m, now: ({}, json.dumps(m).encode()), "panel_system", 401, "missing"),
    "unknown source": (lambda s, m, now: signed(s, m, now), "nobody", 401, "unknown source"),
    "malformed JSON": (lambda s, m, now: signed(s, '{"message": "panel_decision", ', now), "panel_system", 400, "not JSON"),
    "no message name": (lambda s, m, now: signed(s, {"business_key": "CASE-IN"}, now), "panel_system", 400, "message"),
    "no case named": (lambda s, m, now: signed(s, {"message": "panel_decision"}, now), "panel_system", 400, "business_key"),
    "nothing waiting": (lambda s, m, now: signed(s, {**m, "business_key": "CASE-NONE"}, now), "panel_system", 409, "no process"),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_a_bad_inbound_webhook_is_rejected_with_its_reason_and_changes_nothing(waiting_panel, clock, case, caplog):
    db, secret = waiting_panel
    make, source, status, reason = REJECTIONS[case]
    message = {"message": "panel_decision", "business_key": "CASE-IN", "payload": {"service": "fsw"}}
    headers, body = make(secret, message, clock.now())
    before, versions = counts(db), instance_versions(db)
    result = inbound.receive(db, source, headers, body, clock.now())
    assert (result.status, result.ok) == (status, False) and reason in result.reason
    assert counts(db) == before and instance_versions(db) == versions
    assert [t.element_id for t in runtime.tasks(db, business_key="CASE-IN")] == []  # still waiting
    assert any("rejected" in r.getMessage() and reason in r.getMessage() for r in caplog.records)
    with db.reader() as session:
        [logged] = session.execute(select(models.InboundWebhook)).scalars().all()
    assert logged.outcome == "rejected" and logged.status == status and reason in logged.reason


def test_the_blueprint_answers_after_commit_with_the_reason(waiting_panel, clock):
    from flask import Flask

    from webhooks.http import blueprint

    db, secret = waiting_panel
    app = Flask(__name__)
    app.extensions["stepwise_db"] = db
    app.register_blueprint(blueprint)
    client = app.test_client()
    message = {"message": "panel_decision", "business_key": "CASE-IN", "payload": {"service": "fsw"}}
    # The HTTP layer reads the engine clock: the signature must be fresh against it.
    headers, body = signed(secret, message, clock.now())
    bad = client.post("/webhooks/in/panel_system", data=body, headers={**headers, "webhook-signature": "v1,AAAA"})
    assert bad.status_code == 401 and bad.json["reason"] == "signature does not match"
    good = client.post("/webhooks/in/panel_system", data=body, headers=headers)
    assert good.status_code == 202 and good.json["status"] == "accepted"
    assert runtime.tasks(db, business_key="CASE-IN")[0].element_id == "allocate_fsw"  # committed before the 2xx
    again = client.post("/webhooks/in/panel_system", data=body, headers=headers)
    assert again.status_code == 409


# -- the end-to-end: North Somerset, a 2-week timer, the worker alone, a subscriber that goes down --

NS = [ROOT / "processes" / "north_somerset", ROOT / "processes" / "common"]


def _task(db, key, element_id):
    found = [t for t in runtime.tasks(db, business_key=key) if t.element_id == element_id]
    assert len(found) == 1, [t.element_id for t in runtime.tasks(db, business_key=key)]
    return found[0]


def _do(db, key, element_id, data, actor):
    repository.cache.clear()
    return runtime.complete(db, _task(db, key, element_id).id, data, actor)


def test_a_step_down_escalates_through_the_worker_and_a_subscriber_gets_every_event_signed(db, clock, receiver):
    deploy(db, collect(NS), name="north_somerset", actor="process.owner")
    probe = receiver(signing.new_secret())
    _, probe.secret = subscribe(db, probe.url)
    port, key = probe.port, "NS-E2E"

    def worker(at: str | None = None):
        if at:
            clock.set(at)
        return work_once(db, clock.now(), timeout=10)

    runtime.start(db, "north_somerset_step_down", key, {"referral_source": "family_support_and_safeguarding"}, "sw.amira",
                  case={"council": "north_somerset", "children": [{"name": "Robin Example", "date_of_birth": "2016-03-14"}]})
    _do(db, key, "propose_step_down", {
        "level_of_need_summary": "CIN plan goals met; school attendance 96%; no new referrals in 4 months.",
        "step_down_reason": "Parents engaging well; remaining needs are parenting routines and school links.",
        "proposed_fsw_role": "Weekly home visits on routines and liaison with the school for 12 weeks.",
    }, "sw.amira")
    _do(db, key, "tm_agree_step_down", {"tm_decision": "agree", "tm_rationale": "Needs are now at level 3."}, "tm.jones")
    assert worker().deliveries.delivered > 0

    probe.stop()  # the subscriber goes down for a while
    _do(db, key, "seek_consent", {"family_discussed_on": "2026-11-23", "children_views": "Robin wants help with mornings.",
                                  "consent": "given", "consent_decided_by": "Mother (Sam Example)",
                                  "consent_date": "2026-11-23"}, "sw.amira")
    _do(db, key, "book_slot", {"locality": "north", "support_leader_contacted_on": "2026-11-23", "cover_contacted": False,
                               "reasons_for_step_down": "CIN goals met; family want help with routines."}, "sw.amira")
    down = worker()
    assert down.deliveries.delivered == 0 and down.deliveries.retrying > 0
    slot = worker("2026-11-25T16:00:01+00:00")  # North's Wednesday 4pm slot
    assert slot.timers.fired == 1
    _do(db, key, "conversation_outcome", {"conversation_held_on": "2026-11-25", "conversation_outcome": "fsw_agreed",
                                          "conversation_notes": "Reasons discussed.", "estimated_allocation": "About 3 weeks"},
        "sl.north")
    assert _task(db, key, "arrange_meeting").lane == "social_worker"
    asked = clock.now()

    before_down = probe
    probe = receiver(probe.secret, port)  # back up, same address
    # Nobody arranges the meeting: two weeks on, the worker alone escalates to the team manager.
    assert worker((asked + timedelta(days=13)).isoformat()).timers.fired == 0
    escalation = worker((asked + timedelta(days=14, seconds=1)).isoformat())
    assert escalation.timers.fired == 1
    overdue = _task(db, key, "meeting_overdue")
    assert overdue.lane == "team_manager" and overdue.name == "Meeting overdue"
    _do(db, key, "meeting_overdue", {"overdue_reason": "Social worker on sick leave.", "tm_action": "Reallocated.",
                                     "meeting_date": "2026-12-14", "fsw_available": "yes"}, "tm.jones")
    _do(db, key, "record_meeting", {
        "meeting_held_on": "2026-12-14", "attendees": ["social_worker", "support_leader", "fsw", "parent_carer"],
        "meeting_notes": "Step-down plan agreed; family plan written with the family.",
        "step_down_plan": "Step down to FWB intensive family support.", "family_plan": "Morning routine chart.",
        "support_leader_name": "Support leader (North)", "fsw_name": "FSW Kit Example",
        "actions": [{"action": "Step the record down on LCS", "owner": "Social worker", "due": "2026-12-15"}],
    }, "sw.amira")
    _do(db, key, "step_down_lcs_to_ehm", {"lcs_step_down_on": "2026-12-15", "notes_and_plan_attached": True}, "sw.amira")
    _do(db, key, "close_lcs_record", {"lcs_closed_on": "2026-12-15", "closure_summary": "Stepped down to FWB."}, "sw.amira")
    _do(db, key, "fsw_first_contact", {"first_contact_on": "2026-12-17", "ehm_episode_opened": True,
                                       "first_contact_notes": "Met the family at home."}, "fsw.kit")
    # The worker drains what waited while the subscriber was down (their back-off has long passed).
    for _ in range(10):
        if not worker().deliveries.handled:
            break
    rows = outbox_rows(db)
    assert all(r.state == "delivered" for r in rows), [(r.event_type, r.state) for r in rows if r.state != "delivered"]
    received = before_down.received + probe.received
    assert sorted({r["id"] for r in received}) == sorted(r.webhook_id for r in rows)
    assert before_down.forged == probe.forged == 0
    # Every event of the run: the audit trail's, in the receiver's hands, correctly signed.
    with db.reader() as session:
        audited = session.scalars(select(models.AuditEvent.action)).all()
    assert sum(a == "task.created" for a in audited) == sum(r.event_type == "task.created" for r in rows) >= 9
    assert sum(a == "task.completed" for a in audited) == sum(r.event_type == "task.completed" for r in rows) == 10
    types = {r["type"] for r in received}
    assert {"instance.started", "instance.completed", "task.created", "task.completed",
            "lcs.management_oversight", "lcs.step_down", "lcs.close"} <= types
    step_down = next(r["payload"] for r in received if r["type"] == "lcs.step_down")
    assert step_down["data"]["fields"] == {"lcs_step_down_on": "2026-12-15", "notes_and_plan_attached": True}
    assert step_down["data"]["business_key"] == key and step_down["data"]["element_id"] == "step_down_lcs_to_ehm"
    assert not any("Robin" in json.dumps(r["payload"]) for r in received)  # the child's name never left
