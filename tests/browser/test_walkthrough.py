"""A step-down walked in a real browser (Debian's chromium via Playwright; nothing is downloaded):
a social worker signs in, starts a North Somerset step-down, completes the proposal with one
validation error and then correctly; the team manager signs in and agrees; the case page shows
the diagram and the timeline. axe-core runs on every page: no serious or critical violations.
Screenshots go to test-artifacts/."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from engine import clock as engine_clock
from engine import demo, runtime
from engine.catalog import collect, deploy
from engine.tasklist import create_app

playwright_api = pytest.importorskip("playwright.sync_api")  # a test dependency (pyproject [test])

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "walkthrough-password"


class ClockedApp:
    """Every request sees the test's clock (the clock is a context variable; server threads start empty)."""

    def __init__(self, app, clock):
        self.app, self.clock = app, clock

    def __call__(self, environ, start_response):
        with engine_clock.using(self.clock):
            return self.app(environ, start_response)


@pytest.fixture
def server(db, clock, monkeypatch, tmp_path):
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed at /usr/bin/chromium (test.sh installs it)"
    assert AXE.exists(), "npm ci first: node_modules/axe-core is missing"
    deploy(db, collect([ROOT / "processes" / "north_somerset", ROOT / "processes" / "common"]), name="ns", actor="owner")
    monkeypatch.setenv("STEPWISE_DEMO_PASSWORD", PASSWORD)
    demo.load_users(db)
    app = create_app({"DATABASE": db, "SECRET_KEY": "browser-test", "SESSION_COOKIE_SECURE": False})
    httpd = make_server("127.0.0.1", 0, ClockedApp(app, clock), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)


@pytest.fixture
def page(server):
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run"])
        context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.problems = []
        answered_with_errors = set()  # pages that show a form's errors (400) or a conflict (409)

        def response(r):
            if r.status >= 500 or (r.status >= 400 and r.request.resource_type != "document"):
                page.problems.append(f"{r.status} {r.url}")
            elif r.status in (400, 409):
                answered_with_errors.add(r.url)

        def console(msg):
            expected = msg.text.startswith("Failed to load resource") and msg.location.get("url") in answered_with_errors
            if msg.type == "error" and not expected:
                page.problems.append(f"console: {msg.text} at {msg.location}")

        page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
        page.on("console", console)
        page.on("response", response)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def check(page, name: str) -> None:
    """axe-core on the page as it is now, then a full-page screenshot."""
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert not bad, f"axe on {name}: " + "; ".join(bad)
    assert not page.problems, f"{name}: " + "; ".join(page.problems)


def sign_in(page, username: str) -> None:
    page.goto("/sign-in")
    check(page, f"sign-in-{username}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")


def test_step_down_across_roles(db, page):
    sign_in(page, "sw.amira")
    check(page, "task-list-social-worker")

    page.get_by_role("link", name="Start a procedure").click()
    check(page, "start")
    page.get_by_label("North Somerset step-down to FWB intensive family support").check()
    page.get_by_label("Case reference").fill("NS-WALK-1")
    page.get_by_label("Child's full name").fill("Robin Example")
    page.get_by_label("Day").fill("14")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2016")
    page.get_by_role("button", name="Start").click()

    page.wait_for_url("**/tasks/*")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Propose step-down")
    check(page, "task-propose")
    page.get_by_label("Current level of need").fill("CIN plan goals met; school attendance 96%.")
    page.get_by_label("What the intensive family support worker's role would be").fill("Weekly home visits for 12 weeks.")
    page.get_by_role("button", name="Complete task").click()

    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Enter why step-down to FWB intensive family support is suitable" in summary.inner_text()
    assert page.get_by_label("Current level of need").input_value().startswith("CIN plan goals met")  # kept
    check(page, "task-propose-error")
    summary.get_by_role("link").first.click()  # the summary link moves focus to the field
    page.keyboard.type("Parents engaging well; remaining needs are routines.")
    assert "routines" in page.get_by_label("Why step-down to FWB intensive family support is suitable").input_value()
    page.get_by_role("button", name="Complete task").click()
    page.wait_for_url("**/")
    assert "is complete" in page.locator(".govuk-notification-banner").inner_text()
    check(page, "task-list-after-proposal")

    (manager_task,) = runtime.tasks(db, business_key="NS-WALK-1")
    assert manager_task.element_id == "tm_agree_step_down"
    sign_out(page)
    sign_in(page, "tm.jones")
    page.get_by_role("link", name="My teams' unassigned").click()
    check(page, "task-list-manager")
    page.get_by_role("link", name="Agree step-down suits the level of need").click()
    check(page, "task-manager-agree")
    page.get_by_label("Agreed", exact=True).check()
    page.get_by_label("Rationale").fill("Needs are now at level 3; CIN no longer needed.")
    page.get_by_role("button", name="Complete task").click()
    page.wait_for_url(lambda url: "/tasks/" not in url or url.endswith("/"))
    assert runtime.task(db, manager_task.id).state == "completed"
    assert runtime.task(db, manager_task.id).completed_by == "tm.jones"

    page.goto("/cases/NS-WALK-1")
    page.locator("#diagram[data-rendered='true']").wait_for()
    assert page.locator("#diagram .djs-element.app-completed").count() == 2
    assert page.locator("#diagram .djs-element.app-active").count() == 1  # seek consent, the social worker's again
    timeline = page.locator(".app-timeline").inner_text()
    assert "Task completed: Propose step-down" in timeline and "tm.jones" in timeline and "sw.amira" in timeline
    check(page, "case")
