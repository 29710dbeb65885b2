"""The migration and case-repair admin pages in a real browser (Debian's chromium), axe-core on
every page: preview and move a running case to version 2, go back to a task with a reason (once
without one, to see the error), retry all incidents. Screenshots go to test-artifacts/."""
from __future__ import annotations

import pytest

from engine import runtime

from instance_migration import versions as v
from .test_walkthrough import check, heading, page, server, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("server")


def test_admin_moves_a_case_then_repairs_it(db, clock, page, tmp_path):  # noqa: F811
    folder = v.copy_processes(tmp_path)
    case = v.start(db, "U-BROWSER")
    v.closing_plan(db, "U-BROWSER")
    v.rename_and_add_check(folder)
    v.deploy_folder(db, folder)

    sign_in(page, "admin.lee")
    page.get_by_role("link", name="Migration").click()
    check(page, "admin-migration")
    page.get_by_label("Process").select_option(v.KEY)
    page.get_by_label("From version").fill("1")
    page.get_by_label("To version").fill("2")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state("load")
    check(page, "admin-migration-preview")
    assert "Can move" in page.locator("table").inner_text()
    page.get_by_role("button", name="Move 1 case(s) to version 2").click()
    page.wait_for_load_state("load")
    check(page, "admin-migration-done")
    assert "1 case(s) moved to version 2" in page.locator(".govuk-notification-banner").first.inner_text()

    page.goto(f"/admin/instances/{case.instance_id}")
    check(page, "admin-instance")
    assert heading(page) == f"History of {v.KEY}"
    page.get_by_label("Discuss the closing plan and universal services with the family").check()
    page.get_by_role("button", name="Go back to this task").click()
    page.wait_for_load_state("load")
    check(page, "admin-instance-error")
    assert "Enter the reason for going back" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Discuss the closing plan and universal services with the family").check()
    page.get_by_label("Reason").fill("The family hub was recorded wrongly")
    page.get_by_role("button", name="Go back to this task").click()
    page.wait_for_load_state("load")
    check(page, "admin-instance-reset")
    assert [t.element_id for t in runtime.tasks(db, business_key="U-BROWSER")] == ["closing_plan"]

    runtime.record_incident(db, case.instance_id, None, "the records system did not answer", "worker")
    page.get_by_role("link", name="Incidents").click()
    check(page, "admin-incidents")
    page.get_by_role("button", name="Retry all 1 open incident(s)").click()
    page.wait_for_load_state("load")
    check(page, "admin-incidents-retried")
    assert runtime.incidents(db) == []
