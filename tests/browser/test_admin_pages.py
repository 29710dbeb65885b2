"""The admin webhook pages and the managers' overdue page in a real browser (Debian's chromium),
with axe-core on each: no serious or critical violations, no page or console error. The
walkthrough's fixtures start the app on 127.0.0.1 with the demo accounts."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine import runtime
from webhooks import delivery, subscriptions

from .test_walkthrough import check, page, server, sign_in, sign_out  # noqa: F401 - fixtures

pytest.importorskip("playwright.sync_api")


def test_webhook_admin_pages_and_the_overdue_page_are_accessible(db, clock, page):
    # A subscription with a delivery log: one failed attempt (nothing listens on port 9).
    sub_id, _ = subscriptions.add_subscription(db, "http://127.0.0.1:9/hook", ["*"], description="LCS (test)")
    runtime.start(db, "north_somerset_step_down", "NS-A11Y", {"referral_source": "family_support_and_safeguarding"},
                  "sw.amira", case={"council": "north_somerset", "children": [{"name": "Robin Example"}]})
    runtime.start(db, "common_safeguarding_referral", "NS-A11Y", {}, "sw.amira")  # due within a day
    delivery.deliver_due(db, clock.now(), timeout=2)

    sign_in(page, "admin.lee")
    page.get_by_role("link", name="Webhooks").click()
    check(page, "admin-webhooks")
    page.get_by_role("link", name="Add a subscription").click()
    page.get_by_role("button", name="Add subscription").click()  # empty: the errors
    check(page, "admin-webhook-new-errors")
    page.get_by_label("URL to send webhooks to").fill("https://ehm.example.gov.uk/stepwise")
    page.get_by_label("Event types").fill("task.*, instance.*")
    page.get_by_role("button", name="Add subscription").click()
    check(page, "admin-webhook-created")
    assert page.locator("#secret").inner_text().startswith("whsec_")
    page.goto(f"/admin/webhooks/{sub_id}")
    check(page, "admin-webhook-log")
    assert "Connect" in page.locator("table").inner_text()  # the refused connection, logged
    page.get_by_role("button", name="Pause").click()
    check(page, "admin-webhook-paused")
    sign_out(page)

    clock.set((clock.now() + timedelta(days=30)).isoformat())  # the proposal is long overdue
    sign_in(page, "tm.jones")
    page.get_by_role("link", name="Overdue").click()
    check(page, "manager-overdue")
    assert "NS-A11Y" in page.locator("table").last.inner_text()
