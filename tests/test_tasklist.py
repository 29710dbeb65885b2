"""The task list pages through Flask's test client on the real database: sign-in, CSRF, who may
see what (by direct URL), drafts, a stale-version conflict, the case page and its audit."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import runtime
from engine.catalog import collect, deploy
from engine.store import models
from engine.tasklist import accounts, create_app

from page_helpers import PASSWORD, as_user  # noqa: F401 - as_user is a fixture
from page_helpers import csrf_token as token

ROOT = Path(__file__).resolve().parents[1]
KEY = "north_somerset_step_down"
PROPOSAL = {
    "level_of_need_summary": "CIN plan goals met; school attendance 96%.",
    "step_down_reason": "Parents engaging well.",
    "proposed_fsw_role": "Weekly home visits for 12 weeks.",
}


@pytest.fixture
def app(db, clock, tmp_path):
    deploy(db, collect([ROOT / "processes" / "north_somerset", ROOT / "processes" / "common"]), name="ns", actor="owner")
    accounts.save_user(db, "sw.amira", "Amira Khan", ["social_worker"], password=PASSWORD, team="CIN", locality="Weston")
    accounts.save_user(db, "sw.bob", "Bob Other", ["social_worker"], password=PASSWORD, team="CIN", locality="Weston")
    accounts.save_user(db, "tm.jones", "Gareth Jones", ["team_manager"], password=PASSWORD, team="CIN")
    accounts.save_user(db, "fsw.okafor", "Tobi Okafor", ["family_support_worker"], password=PASSWORD)
    accounts.save_user(db, "gone", "Left Council", ["social_worker"], password=PASSWORD, active=False)
    app = create_app({"DATABASE": db, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False})
    return app


@pytest.fixture
def case(db, app):
    outcome = runtime.start(db, KEY, "NS-1", {}, "sw.amira",
                            case={"council": "north_somerset", "children": [{"name": "Robin Example", "date_of_birth": "2016-03-14"}]})
    (task,) = runtime.tasks(db, instance_id=outcome.instance_id)
    return task


def sign_in(client, username, password=PASSWORD):
    response = client.post("/sign-in", data={"username": username, "password": password,
                                             "csrf_token": token(client, "/sign-in")})
    return response


# -- sign-in ---------------------------------------------------------------------------------------

def test_pages_need_sign_in(app, case):
    client = app.test_client()
    for path in ("/", f"/tasks/{case.id}", "/cases/NS-1", "/start"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], path


def test_sign_in_checks_the_argon2_password(db, app):
    with db.reader() as session:
        stored = session.scalar(select(models.UserAccount.password_hash).where(models.UserAccount.username == "sw.amira"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    client = app.test_client()
    wrong = sign_in(client, "sw.amira", "not it")
    assert wrong.status_code == 400 and "Enter a correct username and password" in wrong.get_data(as_text=True)
    assert sign_in(client, "nobody", PASSWORD).status_code == 400
    assert sign_in(client, "gone", PASSWORD).status_code == 400  # inactive account
    assert client.get("/").status_code == 302
    ok = sign_in(client, "sw.amira")
    assert ok.status_code == 302 and ok.headers["Location"] == "/"
    assert "Amira Khan" in client.get("/").get_data(as_text=True)


def test_sign_in_never_redirects_off_site(app):
    client = app.test_client()
    response = client.post("/sign-in?next=//evil.example/x",
                           data={"username": "sw.amira", "password": PASSWORD, "csrf_token": token(client, "/sign-in")})
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session(as_user):
    client = as_user("sw.amira")
    assert client.get("/").status_code == 200
    assert client.post("/sign-out", data={"csrf_token": token(client, "/")}).status_code == 302
    assert client.get("/").status_code == 302


def test_session_cookie_is_secure_httponly_samesite(db, clock):
    app = create_app({"DATABASE": db, "SECRET_KEY": "x"})  # the default: Secure cookies
    accounts.save_user(db, "sw.amira", "Amira Khan", ["social_worker"], password=PASSWORD)
    client = app.test_client()
    page = client.get("/sign-in", base_url="https://localhost").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", base_url="https://localhost",
                           data={"username": "sw.amira", "password": PASSWORD, "csrf_token": csrf})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("stepwise_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# -- CSRF ----------------------------------------------------------------------------------------------

def test_every_post_without_a_csrf_token_is_refused(db, app, case, as_user):
    client = as_user("sw.amira")
    anonymous = app.test_client()
    assert anonymous.post("/sign-in", data={"username": "sw.amira", "password": PASSWORD}).status_code == 400
    for path, data in [
        (f"/tasks/{case.id}/claim", {}),
        (f"/tasks/{case.id}/unclaim", {}),
        (f"/tasks/{case.id}", {"_action": "complete", "_version": "1", **PROPOSAL}),
        (f"/tasks/{case.id}", {"_action": "draft", "_version": "1", **PROPOSAL}),
        ("/start", {"process": KEY, "business_key": "NS-2", "child_name": "Kit"}),
        ("/sign-out", {}),
    ]:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "Your form has expired" in response.get_data(as_text=True)
        wrong = client.post(path, data={**data, "csrf_token": "forged"})
        assert wrong.status_code == 400, path
    assert runtime.task(db, case.id).state == "open" and runtime.task(db, case.id).assignee is None
    assert runtime.draft(db, case.id) is None
    assert client.get("/").status_code == 200  # still signed in


# -- who sees what -------------------------------------------------------------------------------------

def test_a_worker_outside_the_tasks_roles_gets_404_whatever_the_url(db, case, as_user):
    client = as_user("fsw.okafor")  # family_support_worker: not this task's lane
    csrf = token(client, "/")
    assert case.id not in client.get("/?tab=all").get_data(as_text=True)
    assert client.get(f"/tasks/{case.id}").status_code == 404
    for path, data in [(f"/tasks/{case.id}", {"_action": "complete", "_version": "1", **PROPOSAL}),
                       (f"/tasks/{case.id}", {"_action": "draft", "_version": "1", **PROPOSAL}),
                       (f"/tasks/{case.id}/claim", {}), (f"/tasks/{case.id}/unclaim", {})]:
        assert client.post(path, data={**data, "csrf_token": csrf}).status_code == 404, path
    assert client.get("/cases/NS-1").status_code == 404
    instance = case.instance_id
    assert client.get(f"/cases/NS-1/instances/{instance}/diagram.bpmn").status_code == 404
    assert client.get("/tasks/no-such-task").status_code == 404
    after = runtime.task(db, case.id)
    assert (after.state, after.assignee) == ("open", None) and runtime.draft(db, case.id) is None


def test_tabs_claim_and_unclaim(db, case, as_user):
    client = as_user("sw.amira")
    assert "Propose step-down" in client.get("/?tab=all").get_data(as_text=True)
    assert "Propose step-down" in client.get("/?tab=unassigned").get_data(as_text=True)
    assert "Propose step-down" not in client.get("/?tab=mine").get_data(as_text=True)
    csrf = token(client, "/")
    assert client.post(f"/tasks/{case.id}/claim", data={"csrf_token": csrf, "next": "/?tab=mine"}).headers["Location"] == "/?tab=mine"
    assert runtime.task(db, case.id).assignee == "sw.amira"
    mine = client.get("/?tab=mine").get_data(as_text=True)
    assert "Propose step-down" in mine and "Robin Example" in mine and "Unclaim" in mine
    assert "Propose step-down" not in client.get("/?tab=unassigned").get_data(as_text=True)
    # A colleague cannot take it or give it back.
    bob = as_user("sw.bob")
    assert bob.post(f"/tasks/{case.id}/claim", data={"csrf_token": token(bob, "/")}).status_code == 302
    assert runtime.task(db, case.id).assignee == "sw.amira"
    bob.post(f"/tasks/{case.id}/unclaim", data={"csrf_token": token(bob, "/")})
    assert runtime.task(db, case.id).assignee == "sw.amira"
    client.post(f"/tasks/{case.id}/unclaim", data={"csrf_token": csrf})
    assert runtime.task(db, case.id).assignee is None


def test_task_list_filters_overdue_first_and_pages(db, clock, app, as_user):
    app.config["PAGE_SIZE"] = 2
    for n in range(3):
        runtime.start(db, KEY, f"NS-{n}", {}, "sw.amira",
                      case={"council": "north_somerset", "children": [{"name": f"Child {n}"}]})
    client = as_user("sw.amira")
    rows = lambda html: re.findall(r'<a class="govuk-link" href="/tasks/([^"]+)"', html)  # noqa: E731
    first = client.get("/?tab=all").get_data(as_text=True)
    assert len(rows(first)) == 2 and 'rel="next"' in first
    second = client.get("/?tab=all&page=2").get_data(as_text=True)
    assert len(rows(second)) == 1 and 'rel="prev"' in second and 'rel="next"' not in second
    assert set(rows(first) + rows(second)) == {t.id for t in runtime.tasks(db, roles=["social_worker"])}
    assert rows(client.get("/?tab=all&process=halton_step_down").get_data(as_text=True)) == []
    assert len(rows(client.get(f"/?tab=all&process={KEY}").get_data(as_text=True))) == 2
    # Sorted by due, undated last; overdue ones highlighted and found by the "overdue" filter.
    deploy(db, collect([ROOT / "tests/fixtures/engine/review.bpmn", ROOT / "tests/fixtures/engine/decision.form"]),
           name="review", actor="owner")
    clock.set("2026-11-24T09:00:00+00:00")
    runtime.start(db, "review", "R-LATER", {}, "sw.amira", case={"children": [{"name": "Later Child"}]})
    clock.set("2026-11-23T10:00:00+00:00")
    runtime.start(db, "review", "R-SOONER", {}, "sw.amira", case={"children": [{"name": "Sooner Child"}]})
    sooner, later = runtime.tasks(db, process_key="review")
    assert sooner.business_key == "R-SOONER" and sooner.due_at < later.due_at
    app.config["PAGE_SIZE"] = 10
    listed = rows(client.get("/?tab=all").get_data(as_text=True))
    assert listed[:2] == [sooner.id, later.id] and len(listed) == 5
    assert rows(client.get("/?tab=all&due=overdue").get_data(as_text=True)) == []
    assert "app-overdue" not in client.get("/?tab=all").get_data(as_text=True)
    clock.set(sooner.due_at.isoformat())
    clock.advance(minutes=1)
    late = client.get("/?tab=all&due=overdue").get_data(as_text=True)
    assert rows(late) == [sooner.id] and late.count('class="app-overdue"') == 1
    assert rows(client.get("/?tab=all&due=week").get_data(as_text=True)) == [sooner.id, later.id]


# -- the task page ---------------------------------------------------------------------------------

def _page_version(html: str) -> str:
    return re.search(r'name="_version" value="(\d+)"', html).group(1)


def test_errors_then_complete(db, case, as_user):
    client = as_user("sw.amira")
    page = client.get(f"/tasks/{case.id}").get_data(as_text=True)
    assert 'name="level_of_need_summary"' in page and "govuk-textarea" in page
    csrf, version = token(client, f"/tasks/{case.id}"), _page_version(page)
    bad = client.post(f"/tasks/{case.id}", data={**PROPOSAL, "step_down_reason": "", "_action": "complete",
                                                  "_version": version, "csrf_token": csrf})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "govuk-error-summary" in html and 'href="#f-step_down_reason"' in html
    assert "govuk-error-message" in html and PROPOSAL["proposed_fsw_role"] in html  # input kept
    assert runtime.task(db, case.id).state == "open"
    done = client.post(f"/tasks/{case.id}", data={**PROPOSAL, "_action": "complete", "_version": version, "csrf_token": csrf})
    assert done.status_code == 302
    assert runtime.task(db, case.id).state == "completed"
    (manager_task,) = runtime.tasks(db, instance_id=case.instance_id)
    assert manager_task.lane == "team_manager"
    manager = as_user("tm.jones")
    assert "Management oversight" in manager.get(f"/tasks/{manager_task.id}").get_data(as_text=True)
    assert as_user("sw.amira").get(f"/tasks/{manager_task.id}").status_code == 404


def test_draft_is_kept_on_the_server(db, case, as_user):
    client = as_user("sw.amira")
    csrf = token(client, f"/tasks/{case.id}")
    response = client.post(f"/tasks/{case.id}", data={"level_of_need_summary": "Half written", "_action": "draft",
                                                      "_version": "1", "csrf_token": csrf})
    assert response.status_code == 302
    assert runtime.draft(db, case.id) == {"level_of_need_summary": "Half written"}
    other_machine = as_user("sw.amira")
    page = other_machine.get(f"/tasks/{case.id}").get_data(as_text=True)
    assert "Half written" in page and "saved draft" in page
    assert runtime.task(db, case.id).state == "open"


def test_stale_version_shows_a_clear_message_and_keeps_the_input(db, case, as_user):
    client = as_user("sw.amira")
    page = client.get(f"/tasks/{case.id}").get_data(as_text=True)
    csrf, version = token(client, f"/tasks/{case.id}"), _page_version(page)
    # Meanwhile the case moves on (a message or timer would do the same): the instance version rises.
    runtime.record_incident(db, case.instance_id, None, "someone else changed the case", "worker")
    runtime.retry_incident(db, runtime.incidents(db)[0].id, "admin")
    assert runtime.instance_version(db, case.instance_id) > int(version)
    response = client.post(f"/tasks/{case.id}", data={**PROPOSAL, "_action": "complete", "_version": version,
                                                       "csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "this case changed since you opened it" in html and PROPOSAL["step_down_reason"] in html
    assert runtime.task(db, case.id).state == "open"
    # Having checked, the worker submits again (the page now carries the current version).
    again = client.post(f"/tasks/{case.id}", data={**PROPOSAL, "_action": "complete", "_version": _page_version(html),
                                                    "csrf_token": csrf})
    assert again.status_code == 302 and runtime.task(db, case.id).state == "completed"


def test_add_another_and_remove_rows_without_javascript(db, case, as_user):
    from engine.forms import parse_form
    from engine.tasklist import formview

    form = parse_form((ROOT / "processes/north_somerset/forms/ns_record_meeting.form").read_text(), "x.form")
    widgets = formview.build(form, {})
    (actions,) = [w for w in widgets if w.kind == "list"]
    assert len(actions.items) == 1 and actions.items[0][0].name == "actions[0].action"
    data = {"actions": [{"action": "a", "owner": "b"}]}
    assert formview.change_list(data, "actions") and len(data["actions"]) == 2
    widgets = formview.build(form, data, {"actions[1].owner": "Enter the owner"})
    (actions,) = [w for w in widgets if w.kind == "list"]
    assert actions.items[1][1].error == "Enter the owner"
    assert {"text": "Enter the owner", "href": "#f-actions-1-owner"} in formview.error_list(widgets)
    assert formview.change_list(data, "actions", remove=0) and data["actions"] == [{}]
    assert not formview.change_list(data, "actions", remove=5)


# -- the case page and starting ----------------------------------------------------------------------

def test_case_page_shows_the_case_and_is_audited(db, case, as_user):
    client = as_user("sw.amira")
    html = client.get("/cases/NS-1").get_data(as_text=True)
    assert "Robin Example" in html and "Instance started" in html and 'id="diagram"' in html
    assert f'data-active="propose_step_down"' in html
    xml = client.get(f"/cases/NS-1/instances/{case.instance_id}/diagram.bpmn")
    assert xml.status_code == 200 and b'id="propose_step_down"' in xml.data
    with db.reader() as session:
        views = session.execute(select(models.AuditEvent.actor, models.AuditEvent.details)
                                .where(models.AuditEvent.action == "case.viewed")).all()
    assert views == [("sw.amira", {"page": "case"})]


def test_start_a_procedure(db, as_user):
    client = as_user("sw.amira")
    csrf = token(client, "/start")
    bad = client.post("/start", data={"process": KEY, "business_key": "", "child_name": "", "csrf_token": csrf})
    assert bad.status_code == 400 and "Enter the child" in bad.get_data(as_text=True)
    ok = client.post("/start", data={"process": KEY, "business_key": "NS-9", "child_name": "Kit Example",
                                     "dob-day": "1", "dob-month": "2", "dob-year": "2015", "csrf_token": csrf})
    assert ok.status_code == 302
    (task,) = runtime.tasks(db, business_key="NS-9")
    assert ok.headers["Location"] == f"/tasks/{task.id}"
    with db.reader() as session:
        person = session.scalar(select(models.CasePerson).join(models.Case).where(models.Case.business_key == "NS-9"))
        assert (person.name, person.date_of_birth) == ("Kit Example", "2015-02-01")


# -- admin pages -----------------------------------------------------------------------------------

def test_incidents_page_retries_for_admins_only(db, app, case, as_user):
    accounts.save_user(db, "admin.lee", "Lee Admin", ["admin"], password=PASSWORD)
    incident = runtime.record_incident(db, case.instance_id, "propose_step_down", "LCS did not answer", "worker")
    worker = as_user("sw.amira")
    assert "Incidents" not in worker.get("/").get_data(as_text=True)
    assert worker.get("/admin/incidents").status_code == 404
    assert worker.post(f"/admin/incidents/{incident}/retry", data={"csrf_token": token(worker, "/")}).status_code == 404
    assert app.test_client().get("/admin/incidents").status_code == 302  # not signed in: to sign-in
    assert [i.id for i in runtime.incidents(db)] == [incident]

    admin = as_user("admin.lee")
    page = admin.get("/admin/incidents").get_data(as_text=True)
    assert "LCS did not answer" in page and f"/admin/incidents/{incident}/retry" in page
    assert admin.post(f"/admin/incidents/{incident}/retry").status_code == 400  # no CSRF token
    assert [i.id for i in runtime.incidents(db)] == [incident]
    done = admin.post(f"/admin/incidents/{incident}/retry", data={"csrf_token": token(admin, "/admin/incidents")})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/incidents"
    assert runtime.incidents(db) == []
    after = admin.get("/admin/incidents").get_data(as_text=True)
    assert f"Incident {incident} is resolved" in after and "There are no open incidents" in after
    (resolved,) = runtime.incidents(db, open_only=False)
    assert resolved.resolved_by == "admin.lee"
    assert admin.post("/admin/incidents/999/retry", data={"csrf_token": token(admin, "/admin/incidents")}).status_code == 404
