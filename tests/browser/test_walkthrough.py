"""A whole step-down walked in a real browser (Debian's chromium via Playwright; nothing is
downloaded), signing in as each role in turn with the demo accounts: the social worker starts a
North Somerset step-down and completes the proposal with one validation error and then correctly;
the team manager agrees; the social worker records consent and books the locality's slot; the
weekly slot's timer fires (the worker's job, done here between page steps); the support leader
records the conversation; the social worker arranges and records the meeting (with "add another"
actions), steps the case down and closes the record; the family support worker records the first
contact and the procedure ends. The case page shows the diagram and the timeline. axe-core runs on
every page: no serious or critical violations, no page or console error. Screenshots go to
test-artifacts/."""
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


def fill_date(scope, legend: str, iso: str) -> None:
    """A GOV.UK date input (a fieldset named by its legend) from an ISO date."""
    year, month, day = iso.split("-")
    group = scope.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(int(day)))
    group.get_by_label("Month").fill(str(int(month)))
    group.get_by_label("Year").fill(year)


def open_task(page, tab: str, name: str, shot: str) -> None:
    """From the task list's tab, open the task by its link (one such task is listed)."""
    page.goto("/")
    page.get_by_role("link", name=tab).click()
    check(page, f"task-list-{shot}")
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_url("**/tasks/*")


def complete(page, shot: str) -> None:
    check(page, f"task-{shot}")
    page.get_by_role("button", name="Complete task").click()
    page.wait_for_load_state("load")
    assert page.locator(".govuk-error-summary").count() == 0, page.locator(".govuk-error-summary").inner_text()
    assert "is complete" in page.locator(".govuk-notification-banner").first.inner_text()


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def test_a_whole_step_down_across_roles(db, clock, page):
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
    page.get_by_role("link", name="Agree step-down suits the level of need", exact=True).click()
    check(page, "task-manager-agree")
    page.get_by_label("Agreed", exact=True).check()
    page.get_by_label("Rationale").fill("Needs are now at level 3; CIN no longer needed.")
    page.get_by_role("button", name="Complete task").click()
    page.wait_for_url(lambda url: "/tasks/" not in url or url.endswith("/"))
    assert runtime.task(db, manager_task.id).state == "completed"
    assert runtime.task(db, manager_task.id).completed_by == "tm.jones"


    # The social worker again: consent, then the locality's weekly slot with the support leader.
    sign_out(page)
    sign_in(page, "sw.amira")
    open_task(page, "My teams' unassigned", "Discuss the offer with the family and ask consent", "consent")
    fill_date(page, "Date discussed with the family", "2026-11-23")
    page.get_by_label("The child or children's views").fill("Robin wants the worker to help with mornings.")
    page.get_by_label("Given", exact=True).check()
    page.get_by_label("Who gave, refused or decided not to seek consent").fill("Mother (Sam Example)")
    fill_date(page, "Date of the consent decision", "2026-11-23")
    complete(page, "seek-consent")

    assert heading(page).startswith("Contact the locality support leader")  # the next task is the same worker's: shown at once
    page.get_by_label("Locality", exact=True).select_option("north")  # North: Wednesday 4pm
    fill_date(page, "Date the support leader was contacted", "2026-11-23")
    page.get_by_label("Reasons for step-down, as sent to the support leader").fill("CIN goals met; family want help with routines.")
    complete(page, "book-slot")
    assert runtime.tasks(db, business_key="NS-WALK-1") == []  # waiting for Wednesday's slot

    # The worker's job: fire the slot's timer once the slot has begun.
    clock.set("2026-11-25T16:00:01+00:00")
    assert runtime.fire_due_timers(db, clock.now()).fired == 1

    sign_out(page)
    sign_in(page, "sl.hughes")
    open_task(page, "My teams' unassigned", "Step-down conversation: record the outcome", "support-leader")
    fill_date(page, "Date of the conversation", "2026-11-25")
    estimate = page.get_by_label("Estimated time to allocate a FSW")
    assert not estimate.is_visible()  # conditional field: shown only for "FSW agreed"
    page.get_by_label("Step-down to a FWB intensive family support worker agreed").check()
    assert estimate.is_visible()
    estimate.fill("About 3 weeks")
    page.get_by_label("Notes of the conversation").fill("Reasons for step-down discussed with the social worker.")
    complete(page, "conversation-outcome")

    sign_out(page)
    sign_in(page, "sw.amira")
    open_task(page, "My teams' unassigned", "Arrange the step-down meeting and send invites", "arrange")
    fill_date(page, "Date of the step-down meeting", "2026-12-03")
    page.get_by_label("Venue", exact=True).select_option("family_hub")
    page.get_by_label("This is the final CIN meeting").check()
    page.get_by_label("Invites sent and the family supported to attend").check()
    page.get_by_label("Yes", exact=True).check()
    complete(page, "arrange-meeting")

    assert heading(page).startswith("Record the step-down meeting")
    fill_date(page, "Date the meeting was held", "2026-12-03")
    attended = page.get_by_role("group", name="Who attended")
    for who in ("Social worker", "FWB support leader", "Family support worker", "Parent or carer"):
        attended.get_by_label(who, exact=True).check()
    page.get_by_label("Meeting notes").fill("First half: step-down plan agreed. Second half: family plan written with the family.")
    page.get_by_label("Step-down plan").fill("Step down to FWB intensive family support from 7 December.")
    page.get_by_label("Family plan").fill("Morning routine chart & school drop-off plan; fortnightly review.")
    page.get_by_role("textbox", name="FWB support leader", exact=True).fill("Rhian Hughes")
    page.get_by_label("Family support worker (if known)").fill("Tobi Okafor")
    actions = [("Step the record down on LCS", "Social worker", "2026-12-04"), ("First home visit", "FSW", "2026-12-10")]
    for n, (action, owner, due) in enumerate(actions):
        if n:
            page.get_by_role("button", name="Add another").click()  # without JavaScript: the page comes back
            page.wait_for_load_state("load")
        item = page.locator(".app-list-item").nth(n)
        item.get_by_label("Action", exact=True).fill(action)
        item.get_by_label("Owner", exact=True).fill(owner)
        fill_date(item, "Due by", due)
    assert page.get_by_label("Meeting notes").input_value().startswith("First half")  # kept across "Add another"
    complete(page, "record-meeting")

    assert heading(page).startswith("Step the record down LCS")
    fill_date(page, "Date stepped down on LCS", "2026-12-04")
    page.get_by_label("The meeting notes and plan are attached", exact=False).check()
    complete(page, "step-down-lcs")

    assert heading(page).startswith("Close the LCS record")
    fill_date(page, "Date closed on LCS", "2026-12-04")
    page.get_by_label("Closure summary").fill("Stepped down to FWB intensive family support.")
    complete(page, "close-lcs")

    sign_out(page)
    sign_in(page, "fsw.okafor")
    open_task(page, "My teams' unassigned", "Start intensive family support (EHM)", "fsw")
    fill_date(page, "Date of first contact", "2026-12-10")
    page.get_by_label("The EHM episode is open and allocated").check()
    page.get_by_label("Notes", exact=True).fill("Met the family at home; plan explained.")
    complete(page, "fsw-first-contact")

    assert runtime.tasks(db, business_key="NS-WALK-1") == []
    done = runtime.tasks(db, business_key="NS-WALK-1", state="completed", limit=100)
    assert {t.completed_by for t in done} == {"sw.amira", "tm.jones", "sl.hughes", "fsw.okafor"}

    page.goto("/cases/NS-WALK-1")
    page.locator("#diagram[data-rendered='true']").wait_for()
    assert page.locator("#diagram .djs-element.app-active").count() == 0
    assert page.locator("#diagram .djs-element.app-completed").count() == len({t.element_id for t in done}) == 10
    assert "Completed" in page.locator("main table").first.inner_text()
    timeline = page.locator(".app-timeline").inner_text()
    for who in ("sw.amira", "tm.jones", "sl.hughes", "fsw.okafor"):
        assert who in timeline
    assert "Task completed: Propose step-down" in timeline and "Task completed: Start intensive family support" in timeline
    check(page, "case-completed")


def test_team_comments_filters_and_user_pages(db, clock, page):
    """The pages added for teams and admins, each checked by axe: a manager assigns a task of their
    team, saves a filter for the team; the worker comments on the task and the case; the admin adds a
    person with an invite link, which the person then uses."""
    runtime.start(db, "north_somerset_step_down", "NS-TEAM-1", {}, "sw.amira",
                  case={"council": "north_somerset", "locality": "Weston", "children": [{"name": "Sky Example"}]})
    sign_in(page, "tm.jones")
    page.get_by_role("link", name="My teams' unassigned").click()
    check(page, "team-task-list")
    page.get_by_role("link", name="Assign Propose step-down").click()
    page.wait_for_url(lambda url: "/assign" in url)
    check(page, "assign")
    page.get_by_label("Colleague").select_option("sw.amira")
    page.get_by_role("button", name="Assign").click()
    page.wait_for_url(lambda url: url.endswith("tab=unassigned&process=&due="))
    assert "is assigned to Amira Khan" in page.locator(".govuk-notification-banner").inner_text()
    page.get_by_text("Save this filter").click()
    page.get_by_label("Name of the filter").fill("Team step-downs")
    page.get_by_label("Share with my team").check()
    page.get_by_role("button", name="Save filter").click()
    page.get_by_role("link", name="Team step-downs").wait_for()
    check(page, "saved-filter")
    sign_out(page)

    sign_in(page, "sw.amira")
    page.get_by_role("link", name="Propose step-down", exact=False).first.click()
    page.wait_for_url("**/tasks/*")
    page.get_by_label("Add a comment on this task").fill("Mum prefers Tuesday visits & mornings.")
    page.get_by_role("button", name="Add comment").click()
    page.locator(".app-comment").first.wait_for()
    assert "Tuesday visits & mornings" in page.locator("#comments").inner_text()
    check(page, "task-with-comment")
    page.get_by_role("link", name="View case NS-TEAM-1").click()
    page.get_by_label("Add a comment on the case").fill("School nurse involved.")
    page.get_by_role("button", name="Add comment").click()
    page.wait_for_url(lambda url: "/cases/NS-TEAM-1" in url)
    assert "School nurse involved." in page.locator(".app-timeline").inner_text()
    check(page, "case-with-comments")
    sign_out(page)

    sign_in(page, "admin.lee")
    page.get_by_role("link", name="Users").click()
    check(page, "admin-users")
    page.get_by_role("link", name="Add a person").click()
    page.get_by_role("button", name="Add the person").click()  # nothing filled in: errors first
    page.locator(".govuk-error-summary").wait_for()
    check(page, "admin-user-errors")
    page.get_by_label("Username").fill("fsw.newcomer")
    page.get_by_label("Full name").fill("Noor Newcomer")
    page.get_by_label("Team", exact=True).fill("Family Wellbeing")
    page.get_by_label("family support worker", exact=True).check()
    page.get_by_label("Make an invite link").check()
    page.get_by_role("button", name="Add the person").click()
    link = page.locator("#invite-link").inner_text()
    check(page, "admin-invite")
    page.goto("/admin/users")
    page.get_by_role("link", name="Noor Newcomer").click()
    check(page, "admin-user-edit")
    sign_out(page)

    page.goto(link)
    check(page, "invite")
    page.get_by_label("New password").fill("a long enough password")
    page.get_by_label("Confirm the password").fill("a long enough password")
    page.get_by_role("button", name="Set password").click()
    page.wait_for_url("**/sign-in")
    page.get_by_label("Username").fill("fsw.newcomer")
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    assert "Noor Newcomer" in page.locator("header").inner_text()
