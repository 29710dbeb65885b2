"""The admin pages for migration and case repair through Flask's test client: who may see them,
CSRF on every POST, preview then apply, going back to a task with a reason, retry all."""
from __future__ import annotations

import re

from engine import runtime
from page_helpers import csrf_token as token
from page_helpers import signed_in

from . import versions as v
from .snapshot import rows
from .versions import folder  # noqa: F401 - a fixture
from .web import app  # noqa: F401 - a fixture


def test_preview_and_move_cases_from_the_migration_page(db, app, folder):
    case = v.start(db, "U-SIGN")
    v.closing_plan(db, "U-SIGN")
    stuck = v.start(db, "U-STUCK")
    runtime.record_incident(db, stuck.instance_id, None, "the records system did not answer", "worker")
    v.rename_and_add_check(folder)
    v.deploy_folder(db, folder)
    admin = signed_in(app, "admin.lee")

    page = admin.get("/admin/migration").get_data(as_text=True)
    assert f'<option value="{v.KEY}">' in page and "Migration" in page
    preview_url = f"/admin/migration?key={v.KEY}&from=1&to=2"
    page = admin.get(preview_url).get_data(as_text=True)
    assert "U-SIGN" in page and "Offer signposting to Family Hub services" in page and "Can move" in page
    assert "Cannot move" in page and "open incident" in page  # U-STUCK
    assert "Move 1 case(s) to version 2" in page
    version = re.search(rf'name="version-{case.instance_id}" value="(\d+)"', page).group(1)
    form = {"key": v.KEY, "from": "1", "to": "2", f"version-{case.instance_id}": version}

    before = rows(db, case.instance_id)
    assert admin.post("/admin/migration", data=form).status_code == 400  # no CSRF token: refused
    assert signed_in(app, "sw.amira").get(preview_url).status_code == 404
    assert rows(db, case.instance_id) == before

    moved = admin.post("/admin/migration", data={**form, "csrf_token": token(admin, preview_url)})
    assert moved.status_code == 302
    page = admin.get(moved.headers["Location"]).get_data(as_text=True)
    assert "1 case(s) moved to version 2" in page
    assert v.open_task(db, "U-SIGN", "signposting").name == "Offer signposting to Family Hub services"

    bad = admin.get(f"/admin/migration?key={v.KEY}&from=x&to=2")
    assert bad.status_code == 400 and "Enter the version the cases run on now as a whole number" in bad.get_data(as_text=True)
    missing = admin.get(f"/admin/migration?key={v.KEY}&from=1&to=5")
    assert missing.status_code == 400 and "version 5" in missing.get_data(as_text=True)


def test_go_back_to_a_task_from_the_instance_page(db, app, folder):
    case = v.start(db, "U-BACK")
    v.closing_plan(db, "U-BACK")
    done = runtime.tasks(db, business_key="U-BACK", state="completed")[0]
    admin = signed_in(app, "admin.lee")
    url = f"/admin/instances/{case.instance_id}"
    page = admin.get(url).get_data(as_text=True)
    assert "History of " + v.KEY in page and "instance.started" in page and "Go back to this task" in page
    assert signed_in(app, "sw.amira").get(url).status_code == 404
    assert admin.get("/admin/instances/no-such-instance").status_code == 404

    before = rows(db, case.instance_id)
    csrf = token(admin, url)
    no_reason = admin.post(f"{url}/reset", data={"task_id": done.id, "reason": " ", "csrf_token": csrf})
    assert no_reason.status_code == 400 and "Enter the reason for going back" in no_reason.get_data(as_text=True)
    assert admin.post(f"{url}/reset", data={"task_id": done.id, "reason": "x"}).status_code == 400  # no CSRF
    assert rows(db, case.instance_id) == before

    stale = admin.post(f"{url}/reset", data={"task_id": done.id, "reason": "Wrong hub recorded", "csrf_token": csrf,
                                             "version": "1"})
    assert stale.status_code == 409 and rows(db, case.instance_id) == before
    went_back = admin.post(f"{url}/reset", data={"task_id": done.id, "reason": "Wrong hub recorded", "csrf_token": csrf,
                                                 "version": str(runtime.instance_version(db, case.instance_id))})
    assert went_back.status_code == 302
    page = admin.get(url).get_data(as_text=True)
    assert "The case has gone back to the chosen task" in page and "Wrong hub recorded" in page
    assert [t.element_id for t in runtime.tasks(db, business_key="U-BACK")] == ["closing_plan"]


def test_retry_all_incidents(db, app, folder):
    first, second = v.start(db, "U-A"), v.start(db, "U-B")
    for outcome in (first, second):
        runtime.record_incident(db, outcome.instance_id, None, "the records system did not answer", "worker")
    admin = signed_in(app, "admin.lee")
    page = admin.get("/admin/incidents").get_data(as_text=True)
    assert "Retry all 2 open incident(s)" in page and f"/admin/instances/{first.instance_id}" in page
    assert admin.post("/admin/incidents/retry-all").status_code == 400  # no CSRF
    assert len(runtime.incidents(db)) == 2
    response = admin.post("/admin/incidents/retry-all", data={"csrf_token": token(admin, "/admin/incidents")})
    assert response.status_code == 302
    assert "All 2 incident(s) are resolved" in admin.get("/admin/incidents").get_data(as_text=True)
    assert runtime.incidents(db) == []
    assert signed_in(app, "sw.amira").post("/admin/incidents/retry-all", data={"csrf_token": "x"}).status_code in (400, 404)
