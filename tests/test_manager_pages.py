"""The managers' overdue page: open tasks past their due date, from the task-list projection, by
role, oldest first; only for team, service and early help managers and admins."""
from __future__ import annotations

import re

import pytest

from engine import runtime
from engine.catalog import collect, deploy
from engine.tasklist import accounts, create_app

from page_helpers import PASSWORD
from page_helpers import signed_in
MANAGERS = ["team_manager", "service_manager", "early_help_manager", "admin"]


@pytest.fixture
def app(db, clock, fixtures):
    deploy(db, collect([fixtures / "engine"]), name="fixtures", actor="tester")
    accounts.save_user(db, "sw.amira", "Amira Khan", ["social_worker"], password=PASSWORD)
    accounts.save_user(db, "fd.chen", "Wei Chen", ["front_door", "mash"], password=PASSWORD)
    for role in MANAGERS:
        accounts.save_user(db, role, role, [role], password=PASSWORD)
    return create_app({"DATABASE": db, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False})


def listed(html: str) -> list[str]:
    """Case references in the overdue table, in the order shown."""
    table = html.split("Overdue for" if "Overdue for" in html else "All overdue tasks", 1)[1]
    return re.findall(r"\b(CASE-\w+)\b", table)


@pytest.mark.parametrize("role", MANAGERS)
def test_managers_see_the_page_and_its_link(app, role):
    page = signed_in(app, role).get("/manager/overdue")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/manager/overdue"' in html and "No task is overdue." in html


@pytest.mark.parametrize("username", ["sw.amira", "fd.chen"])
def test_anyone_else_gets_a_404_and_no_link(app, username):
    client = signed_in(app, username)
    assert client.get("/manager/overdue").status_code == 404
    assert "/manager/overdue" not in client.get("/").get_data(as_text=True)


def test_signed_out_is_sent_to_sign_in(app):
    answer = app.test_client().get("/manager/overdue")
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]


def test_overdue_tasks_appear_as_the_clock_passes_their_due_date_oldest_first(db, app, clock):
    # The decision is due at 17:00 on the second working day after the task opens.
    runtime.start(db, "review", "CASE-MON", {}, "alice")         # Monday -> due Wednesday 17:00
    clock.advance(days=1)
    runtime.start(db, "review", "CASE-TUE", {}, "alice")         # Tuesday -> due Thursday 17:00
    manager = signed_in(app, "team_manager")

    clock.set("2026-11-25T16:59:00+00:00")
    assert "No task is overdue." in manager.get("/manager/overdue").get_data(as_text=True)

    clock.set("2026-11-26T12:00:00+00:00")
    html = manager.get("/manager/overdue").get_data(as_text=True)
    assert listed(html) == ["CASE-MON"]

    clock.set("2026-11-27T09:00:00+00:00")
    html = manager.get("/manager/overdue").get_data(as_text=True)
    assert listed(html) == ["CASE-MON", "CASE-TUE"]
    assert re.search(r"social worker</a></td>\s*<td[^>]*>2</td>", html)  # by role: two for the social workers
    assert "Record the step-down decision" in html and "Unassigned" in html

    # Done tasks leave the list.
    [monday] = runtime.tasks(db, business_key="CASE-MON")
    runtime.complete(db, monday.id, {"decision": "stay_open", "rationale": "Needs remain."}, "sw.amira")
    assert listed(manager.get("/manager/overdue").get_data(as_text=True)) == ["CASE-TUE"]


def test_one_role_at_a_time_and_an_unknown_role_shows_all(db, app, clock):
    runtime.start(db, "review", "CASE-A", {}, "alice")
    clock.set("2026-12-01T09:00:00+00:00")
    manager = signed_in(app, "service_manager")
    only = manager.get("/manager/overdue?role=social_worker").get_data(as_text=True)
    assert "Overdue for social worker" in only and listed(only) == ["CASE-A"]
    other = manager.get("/manager/overdue?role=nobody").get_data(as_text=True)
    assert "All overdue tasks" in other and listed(other) == ["CASE-A"]
    assert manager.get("/manager/overdue?page=x").status_code == 200
