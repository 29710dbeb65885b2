"""Webhook subscriptions managed by admins: the pages (/admin/webhooks) and the JSON API
(/api/webhook-subscriptions), through Flask's test client on the real database, with a real
receiver on 127.0.0.1 for the delivery log. Refusals change nothing; the secret is shown once."""
from __future__ import annotations

import base64
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema
import pytest
from sqlalchemy import func, select

from engine import runtime
from engine.catalog import collect, deploy
from engine.store import models
from engine.tasklist import accounts, create_app
from webhooks import delivery, outbox, subscriptions  # noqa: F401 - registers the outbox listener
from api_helpers import basic as _basic_header, nullable  # tests/api_helpers.py

PASSWORD = "correct horse battery"
GOOD_SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


@pytest.fixture
def app(db, clock, fixtures):
    deploy(db, collect([fixtures / "engine"]), name="fixtures", actor="tester")
    accounts.save_user(db, "admin.lee", "Lee Admin", ["admin"], password=PASSWORD)
    accounts.save_user(db, "sw.amira", "Amira Khan", ["social_worker"], password=PASSWORD)
    return create_app({"DATABASE": db, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False})


@pytest.fixture
def receiver():
    """A receiver on 127.0.0.1 that answers 204 (or `status`) to every POST."""
    class Handler(BaseHTTPRequestHandler):
        status = 204

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(Handler.status)
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.handler = Handler
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield server
    server.shutdown()
    server.server_close()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in(app, username):
    client = app.test_client()
    token = csrf_of(client.get("/sign-in").get_data(as_text=True))
    assert client.post("/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token}).status_code == 302
    client.token = csrf_of(client.get("/").get_data(as_text=True))
    return client


def snapshot(db) -> tuple:
    """Row counts of every table and the subscriptions and webhooks as they stand."""
    with db.reader() as session:
        counts = {t.name: session.scalar(select(func.count()).select_from(t)) for t in models.Base.metadata.sorted_tables}
        subs = session.execute(select(models.WebhookSubscription.__table__).order_by(models.WebhookSubscription.id)).all()
        rows = session.execute(select(models.WebhookOutbox.__table__).order_by(models.WebhookOutbox.id)).all()
    return counts, [tuple(s) for s in subs], [tuple(r) for r in rows]


def audit(db, prefix="webhook."):
    with db.reader() as session:
        return [(a.action, a.actor, a.details) for a in session.scalars(
            select(models.AuditEvent).where(models.AuditEvent.action.startswith(prefix)).order_by(models.AuditEvent.id))]


def make_events(db, key="CASE-W"):
    runtime.start(db, "panel", key, {}, "alice")  # instance.started, at least


# -- the pages -------------------------------------------------------------------------------------

PAGES = ["/admin/webhooks", "/admin/webhooks/new", "/admin/webhooks/1"]
POSTS = ["/admin/webhooks/new", "/admin/webhooks/1/pause", "/admin/webhooks/1/resume", "/admin/webhooks/1/delete",
         "/admin/webhooks/1/deliveries/1/redeliver"]


def test_only_admins_see_the_pages_anyone_else_gets_a_404_and_changes_nothing(db, app):
    subscriptions.add_subscription(db, "http://127.0.0.1:9/hook", ["*"])
    before = snapshot(db)
    worker = signed_in(app, "sw.amira")
    assert "/admin/webhooks" not in worker.get("/").get_data(as_text=True)
    for path in PAGES:
        assert worker.get(path).status_code == 404, path
    for path in POSTS:
        answer = worker.post(path, data={"csrf_token": worker.token, "url": "http://x.example/h", "event_types": "*"})
        assert answer.status_code == 404, path
    assert snapshot(db) == before
    for path in PAGES:
        answer = app.test_client().get(path)
        assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]
    admin = signed_in(app, "admin.lee")
    assert 'href="/admin/webhooks"' in admin.get("/").get_data(as_text=True)


def test_an_admin_adds_a_subscription_and_sees_its_generated_secret_once(db, app):
    admin = signed_in(app, "admin.lee")
    answer = admin.post("/admin/webhooks/new", data={
        "csrf_token": admin.token, "url": " https://lcs.example.gov.uk/stepwise ",
        "event_types": "lcs.*, task.completed\ninstance.*", "description": "LCS", "secret": ""})
    assert answer.status_code == 201
    [sub] = subscriptions.subscriptions(db)
    assert (sub.url, sub.event_types, sub.description, sub.active) == (
        "https://lcs.example.gov.uk/stepwise", ["lcs.*", "task.completed", "instance.*"], "LCS", True)
    assert sub.secret.startswith("whsec_") and sub.secret in answer.get_data(as_text=True)
    assert "not shown again" in answer.get_data(as_text=True)
    for path in ("/admin/webhooks", f"/admin/webhooks/{sub.id}"):
        page = admin.get(path).get_data(as_text=True)
        assert "https://lcs.example.gov.uk/stepwise" in page and sub.secret not in page
    assert audit(db) == [("webhook.subscription_created", "admin.lee",
                          {"subscription_id": sub.id, "url": sub.url, "event_types": sub.event_types})]


def test_a_secret_the_receiver_already_has_can_be_given(db, app):
    admin = signed_in(app, "admin.lee")
    answer = admin.post("/admin/webhooks/new", data={"csrf_token": admin.token, "url": "http://127.0.0.1:9/h",
                                                     "event_types": "*", "description": "", "secret": GOOD_SECRET})
    assert answer.status_code == 201 and GOOD_SECRET in answer.get_data(as_text=True)
    assert subscriptions.subscriptions(db)[0].secret == GOOD_SECRET


INVALID = {
    "no URL": ({"url": ""}, "Enter the URL"),
    "not http": ({"url": "ftp://lcs.example/x"}, "must be http(s)"),
    "no host": ({"url": "https:///x"}, "must be http(s)"),
    "no event types": ({"event_types": " , \n"}, "at least one event type"),
    "bad event type": ({"event_types": "task.completed, <script>"}, "Not an event type or pattern: &lt;script&gt;"),
    "long description": ({"description": "x" * 301}, "at most 300"),
    "bad secret": ({"secret": "whsec_short"}, "secret"),
    "secret not base64": ({"secret": "plain words"}, "secret"),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_input_is_shown_in_place_and_adds_nothing(db, app, case):
    change, message = INVALID[case]
    admin = signed_in(app, "admin.lee")
    before = snapshot(db)
    form = {"csrf_token": admin.token, "url": "https://lcs.example/x", "event_types": "*", "description": "",
            "secret": "", **change}
    answer = admin.post("/admin/webhooks/new", data=form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "There is a problem" in html and message in html
    assert "govuk-error-message" in html
    assert snapshot(db) == before


def test_every_post_needs_the_csrf_token(db, app):
    sub_id, _ = subscriptions.add_subscription(db, "http://127.0.0.1:9/hook", ["*"])
    before = snapshot(db)
    admin = signed_in(app, "admin.lee")
    for path in ["/admin/webhooks/new", f"/admin/webhooks/{sub_id}/pause", f"/admin/webhooks/{sub_id}/delete"]:
        answer = admin.post(path, data={"url": "https://x.example/h", "event_types": "*"})
        assert answer.status_code == 400 and "Your form has expired" in answer.get_data(as_text=True), path
    assert snapshot(db) == before


def test_pause_holds_webhooks_resume_sends_them_delete_cancels_the_rest(db, app, clock, receiver):
    sub_id, _ = subscriptions.add_subscription(db, receiver.url, ["*"])
    make_events(db)
    queued = len(subscriptions.outbox(db))
    admin = signed_in(app, "admin.lee")
    answer = admin.post(f"/admin/webhooks/{sub_id}/pause", data={"csrf_token": admin.token})
    assert answer.status_code == 302
    assert "paused" in admin.get(answer.headers["Location"]).get_data(as_text=True)
    make_events(db, "CASE-PAUSED")  # while paused nothing is written for it...
    assert len(subscriptions.outbox(db)) == queued > 0
    held = delivery.deliver_due(db, clock.now(), timeout=5)  # ...and what was waiting is held
    assert held.handled == [] and {r.state for r in subscriptions.outbox(db)} == {"pending"}

    admin.post(f"/admin/webhooks/{sub_id}/resume", data={"csrf_token": admin.token})
    sent = delivery.deliver_due(db, clock.now(), timeout=5)
    assert sent.delivered == len(subscriptions.outbox(db)) > 0

    make_events(db, "CASE-W2")
    waiting = [r.id for r in subscriptions.outbox(db) if r.state == "pending"]
    assert waiting
    answer = admin.post(f"/admin/webhooks/{sub_id}/delete", data={"csrf_token": admin.token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/webhooks"
    listing = admin.get("/admin/webhooks").get_data(as_text=True)
    assert receiver.url not in listing and "is deleted" in listing
    assert admin.get(f"/admin/webhooks/{sub_id}").status_code == 404
    states = {r.id: r.state for r in subscriptions.outbox(db)}
    assert {states[i] for i in waiting} == {"cancelled"}
    assert delivery.deliver_due(db, clock.now(), timeout=5).handled == []
    make_events(db, "CASE-W3")  # nothing is written for a deleted subscription
    assert len(subscriptions.outbox(db)) == len(states)
    assert [a[0] for a in audit(db, "webhook.subscription_")] == [
        "webhook.subscription_created", "webhook.subscription_paused", "webhook.subscription_resumed",
        "webhook.subscription_deleted"]
    # A deleted subscription cannot be paused, resumed or deleted again: 404, nothing changed.
    before = snapshot(db)
    for action in ("pause", "resume", "delete"):
        assert admin.post(f"/admin/webhooks/{sub_id}/{action}", data={"csrf_token": admin.token}).status_code == 404
    assert snapshot(db) == before


def test_the_delivery_log_shows_each_attempt_and_redelivers(db, app, clock, receiver):
    sub_id, _ = subscriptions.add_subscription(db, receiver.url, ["instance.started"], description="Probe")
    other_id, _ = subscriptions.add_subscription(db, receiver.url, ["instance.started"])
    make_events(db)
    receiver.handler.status = 500
    delivery.deliver_due(db, clock.now(), timeout=5)
    receiver.handler.status = 204
    clock.advance(seconds=6)
    delivery.deliver_due(db, clock.now(), timeout=5)
    [row] = subscriptions.outbox(db, subscription_id=sub_id)
    assert row.state == "delivered" and row.attempts == 2
    admin = signed_in(app, "admin.lee")
    page = admin.get(f"/admin/webhooks/{sub_id}").get_data(as_text=True)
    assert "instance.started" in page and row.webhook_id in page
    assert "HTTP 500" in page and "HTTP 204" in page and "Redeliver" in page

    # Redeliver: queued again with a fresh back-off, audited.
    answer = admin.post(f"/admin/webhooks/{sub_id}/deliveries/{row.id}/redeliver", data={"csrf_token": admin.token})
    assert answer.status_code == 302
    assert "is queued" in admin.get(answer.headers["Location"]).get_data(as_text=True)
    [again] = subscriptions.outbox(db, subscription_id=sub_id)
    assert (again.state, again.attempts) == ("pending", 0)
    assert audit(db, "webhook.redelivered")[0][1:] == ("admin.lee", {"outbox_ids": [row.id]})

    # A waiting webhook is not redelivered; another subscription's webhook is not found here.
    before = snapshot(db)
    waiting = admin.post(f"/admin/webhooks/{sub_id}/deliveries/{row.id}/redeliver", data={"csrf_token": admin.token})
    assert "only a delivered or failed webhook" in admin.get(waiting.headers["Location"]).get_data(as_text=True)
    [foreign] = subscriptions.outbox(db, subscription_id=other_id)
    assert admin.post(f"/admin/webhooks/{sub_id}/deliveries/{foreign.id}/redeliver",
                      data={"csrf_token": admin.token}).status_code == 404
    assert snapshot(db) == before
    filtered = admin.get(f"/admin/webhooks/{sub_id}?state=failed").get_data(as_text=True)
    assert row.webhook_id not in filtered and "No webhooks in this state" in filtered


# -- the API ---------------------------------------------------------------------------------------

def basic(username: str, password: str = PASSWORD) -> dict:
    return _basic_header(username, password)


class Api:
    seen: list = []

    def __init__(self, app, username: str | None):
        self.client, self.headers = app.test_client(), (basic(username) if username else {})

    def call(self, method: str, path: str, **kwargs):
        answer = self.client.open("/api" + path, method=method, headers=self.headers, **kwargs)
        Api.seen.append((method.lower(), path.split("?")[0], answer))
        return answer


@pytest.fixture
def api(app):
    Api.seen = []
    return Api(app, "admin.lee")


def test_the_api_needs_an_admin(db, app):
    before = snapshot(db)
    anonymous, worker = Api(app, None), Api(app, "sw.amira")
    answer = anonymous.call("GET", "/webhook-subscriptions")
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Basic")
    assert Api(app, "admin.lee").client.get("/api/webhook-subscriptions",
                                            headers=basic("admin.lee", "wrong")).status_code == 401
    for method, path in [("GET", "/webhook-subscriptions"), ("POST", "/webhook-subscriptions"),
                         ("DELETE", "/webhook-subscriptions/1")]:
        answer = worker.call(method, path, json={"url": "https://x.example/h", "eventTypes": ["*"]})
        assert answer.status_code == 403 and answer.json["type"] == "AuthorizationException"
    assert snapshot(db) == before


def test_the_api_adds_lists_pauses_resumes_and_deletes(db, api, clock, receiver):
    created = api.call("POST", "/webhook-subscriptions",
                       json={"url": receiver.url, "eventTypes": ["instance.*"], "description": "Probe"})
    assert created.status_code == 201
    body = created.json
    sub_id = body["id"]
    assert created.headers["Location"] == f"/api/webhook-subscriptions/{sub_id}"
    assert body["secret"].startswith("whsec_") and body["secret"] == subscriptions.subscription(db, sub_id).secret
    listed = api.call("GET", "/webhook-subscriptions").json
    assert listed == [{k: v for k, v in body.items() if k != "secret"}]
    assert "secret" not in api.call("GET", f"/webhook-subscriptions/{sub_id}").json

    assert api.call("PATCH", f"/webhook-subscriptions/{sub_id}", json={"active": False}).json["active"] is False
    assert api.call("PATCH", f"/webhook-subscriptions/{sub_id}", json={"active": True}).json["active"] is True

    make_events(db)
    delivery.deliver_due(db, clock.now(), timeout=5)
    log = api.call("GET", f"/webhook-subscriptions/{sub_id}/deliveries").json
    assert [(d["eventType"], d["state"], len(d["attemptLog"])) for d in log] == [("instance.started", "delivered", 1)]
    assert log[0]["attemptLog"][0]["statusCode"] == 204
    assert api.call("GET", f"/webhook-subscriptions/{sub_id}/deliveries?state=failed").json == []
    assert api.call("POST", f"/webhook-subscriptions/{sub_id}/deliveries/{log[0]['id']}/redeliver").status_code == 204
    assert api.call("POST", f"/webhook-subscriptions/{sub_id}/deliveries/{log[0]['id']}/redeliver").status_code == 409
    assert api.call("POST", f"/webhook-subscriptions/{sub_id}/deliveries/999/redeliver").status_code == 404

    assert api.call("DELETE", f"/webhook-subscriptions/{sub_id}").status_code == 204
    assert api.call("GET", f"/webhook-subscriptions/{sub_id}").status_code == 404
    assert api.call("DELETE", f"/webhook-subscriptions/{sub_id}").status_code == 404
    assert api.call("GET", "/webhook-subscriptions").json == []
    assert [a[:2] for a in audit(db, "webhook.subscription_")] == [
        ("webhook.subscription_created", "admin.lee"), ("webhook.subscription_paused", "admin.lee"),
        ("webhook.subscription_resumed", "admin.lee"), ("webhook.subscription_deleted", "admin.lee")]


API_INVALID = {
    "not JSON": dict(data="{", content_type="application/json"),
    "no URL": dict(json={"eventTypes": ["*"]}),
    "bad URL": dict(json={"url": "javascript:alert(1)", "eventTypes": ["*"]}),
    "types not a list": dict(json={"url": "https://x.example/h", "eventTypes": "*"}),
    "no types": dict(json={"url": "https://x.example/h", "eventTypes": []}),
    "bad secret": dict(json={"url": "https://x.example/h", "eventTypes": ["*"], "secret": "nope"}),
    "unknown field": dict(json={"url": "https://x.example/h", "eventTypes": ["*"], "active": False}),
}


@pytest.mark.parametrize("case", list(API_INVALID))
def test_the_api_refuses_bad_input_and_adds_nothing(db, api, case):
    before = snapshot(db)
    answer = api.call("POST", "/webhook-subscriptions", **API_INVALID[case])
    assert answer.status_code == 400 and answer.json["type"] == "InvalidRequestException" and answer.json["message"]
    assert snapshot(db) == before


def test_the_api_changes_only_active_and_refuses_the_rest(db, api):
    sub_id, _ = subscriptions.add_subscription(db, "https://x.example/h", ["*"])
    before = snapshot(db)
    for body in ({"active": "no"}, {"url": "https://evil.example/"}, {"active": False, "url": "https://e.example/"}, {}):
        assert api.call("PATCH", f"/webhook-subscriptions/{sub_id}", json=body).status_code == 400, body
    assert api.call("PATCH", "/webhook-subscriptions/999", json={"active": False}).status_code == 404
    assert api.call("GET", f"/webhook-subscriptions/{sub_id}/deliveries?state=lost").status_code == 400
    assert api.call("GET", f"/webhook-subscriptions/{sub_id}/deliveries?maxResults=x").status_code == 400
    assert snapshot(db) == before




def test_the_openapi_description_matches_every_route_and_answer(db, app, api, clock, receiver):
    test_the_api_adds_lists_pauses_resumes_and_deletes(db, api, clock, receiver)
    test_the_api_changes_only_active_and_refuses_the_rest(db, api)
    test_the_api_needs_an_admin(db, app)
    document = app.test_client().get("/api/openapi.json").json
    assert document["openapi"].startswith("3.0")
    # Converters may take arguments (`<int(max=2147483647):id>`).
    routes = {re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", "{x}", r.rule.removeprefix("/api"))
              for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/") and "_unknown" not in r.rule}
    assert routes == {re.sub(r"\{\w+\}", "{x}", p) for p in document["paths"]}
    components = nullable(document["components"])
    checked = 0
    for method, path, answer in Api.seen:
        [template] = [t for t in document["paths"]
                      if re.match("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(t)) + "$", path)]
        documented = document["paths"][template][method]["responses"].get(str(answer.status_code))
        assert documented, f"{method} {template} answered {answer.status_code}, not documented"
        schema = (documented.get("content") or {}).get("application/json", {}).get("schema")
        if schema is None:
            assert not answer.get_data(), f"{method} {template} {answer.status_code} has an undocumented body"
            continue
        jsonschema.validate(answer.get_json(), {**nullable(schema), "components": components})
        checked += 1
    assert checked > 15
