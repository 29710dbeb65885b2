"""The reports page in a real browser (Debian's chromium via Playwright, as the walkthrough): a
team manager opens it from the navigation, reads each tab, gets a filter wrong and downloads a CSV.
axe-core runs on every page (no serious or critical violations, no page or console error)."""
from __future__ import annotations

from engine import runtime

from browser.test_walkthrough import check, page, server, sign_in  # noqa: F401 (fixtures)

PROPOSAL = {"level_of_need_summary": "CIN plan goals met.", "step_down_reason": "Parents engaging well.",
            "proposed_fsw_role": "Weekly home visits for 12 weeks."}


def test_a_manager_reads_the_reports(db, clock, page):
    for key, locality in (("NS-R-1", "north"), ("NS-R-2", "south")):
        runtime.start(db, "north_somerset_step_down", key, {}, "sw.amira",
                      case={"council": "north_somerset", "locality": locality, "children": [{"name": f"Child {key}"}]})
        [task] = runtime.tasks(db, business_key=key)
        runtime.complete(db, task.id, PROPOSAL, "sw.amira")

    sign_in(page, "tm.jones")
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url("**/reports/steps")
    check(page, "reports-steps")
    assert page.locator("svg#chart-steps rect[data-month='2026-11'][data-series='Step-downs']").get_attribute("data-value") == "2"

    for tab in ("Re-referrals", "Step-down tray", "Overdue tasks", "Sign-offs pending", "Consent", "Incidents"):
        page.get_by_role("link", name=tab, exact=True).click()
        page.wait_for_load_state("load")
        check(page, "reports-" + tab.lower().replace(" ", "-"))

    page.get_by_role("link", name="Step-ups and step-downs", exact=True).click()
    page.get_by_role("group", name="From").get_by_label("Day").fill("31")
    page.get_by_role("group", name="From").get_by_label("Month").fill("2")
    page.get_by_role("button", name="Show figures").click()
    page.wait_for_load_state("load")
    assert "From date must be a real date" in page.locator(".govuk-error-summary").inner_text()
    check(page, "reports-error")

    page.get_by_label("Team (the case's locality)").select_option("south")
    page.get_by_role("group", name="From").get_by_label("Day").fill("1")
    page.get_by_role("button", name="Show figures").click()
    page.wait_for_load_state("load")
    assert page.locator("svg#chart-steps rect[data-month='2026-11'][data-series='Step-downs']").get_attribute("data-value") == "1"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this report (CSV)").click()
    assert download.value.suggested_filename.endswith("-south.csv")
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert lines == ["month,direction,route,outcome,count", "2026-11,step_down,north_somerset_step_down,open,1"]
