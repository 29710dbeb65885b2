"""Documents on the pages, through Flask's test client on the real database: a case's documents
listed and downloaded (who may, the audit), and case / meeting packs asked for by an admin, built
off the request, followed on a status page and downloaded; the bytes are opened with python-docx,
zipfile and openpyxl."""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select

from engine.documents import builds
from engine.store import models
from engine.tasklist import accounts, create_app

from engine.catalog import collect, deploy
from engine.documents import store
from page_helpers import PASSWORD, as_user  # noqa: F401 - as_user is a fixture
from page_helpers import csrf_token as token
from test_documents import PROCESSES, do, docx_text, halton_step_down, spreadsheet, swindon_down_to_spreadsheet


pytestmark = pytest.mark.usefixtures("documents_on")  # tests/conftest.py owns the listener's switch


@pytest.fixture
def app(db, clock):
    deploy(db, collect([PROCESSES]), name="all", actor="process.owner")
    accounts.save_user(db, "sw.priya", "Priya Social", ["social_worker"], password=PASSWORD)
    accounts.save_user(db, "admin.lee", "Lee Admin", ["admin", "social_worker"], password=PASSWORD)
    accounts.save_user(db, "admin.only", "Ola Admin", ["admin"], password=PASSWORD)
    accounts.save_user(db, "fsw.okafor", "Tobi Okafor", ["family_support_worker"], password=PASSWORD)
    return create_app({"DATABASE": db, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False,
                       "PACK_BUILDS": "queue", "PACK_PDF": False})


def audit(db, action):
    with db.reader() as session:
        return list(session.execute(select(models.AuditEvent.actor, models.AuditEvent.business_key,
                                           models.AuditEvent.details).where(models.AuditEvent.action == action)
                                    .order_by(models.AuditEvent.id)))


def build_rows(db) -> int:
    with db.reader() as session:
        return session.scalar(select(func.count()).select_from(models.PackBuild))


def ask_for_pack(client, kind, target):
    return client.post("/admin/packs", data={"kind": kind, "target": target,
                                             "csrf_token": token(client, "/admin/documents")})


# -- a case's documents ------------------------------------------------------------------------------

def test_the_case_page_lists_the_documents_and_each_downloads_as_the_stored_bytes(db, clock, as_user):
    halton_step_down(db, clock, "HAL-WEB")
    halton_step_down(db, clock, "HAL-WEB", ei_form=None)  # a second procedure re-issues both: version 2
    client = as_user("sw.priya")
    page = client.get("/cases/HAL-WEB").get_data(as_text=True)
    section = page[page.index('id="documents"'):page.index("Timeline")]
    for title in ("Early Intervention step-down form", "Final CIN meeting minutes (CAF)"):
        assert section.count(title) == 2, title  # versions 1 and 2
    assert "(replaced)" in section and "Final CIN meeting" in section and "sw.priya" in section
    assert "Build the case pack" not in page  # not an admin
    links = re.findall(r'href="(/cases/HAL-WEB/documents/(\d+))"', section)
    assert len(links) == 4
    docs = {d.id: d for d in runtime_documents(db, "HAL-WEB")}
    for url, document_id in links:
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == builds.FILES["docx"][1]
        assert response.headers["Cache-Control"] == "no-store"
        doc = docs[int(document_id)]
        assert f'filename={doc.filename}' in response.headers["Content-Disposition"]
        assert hashlib.sha256(response.data).hexdigest() == doc.sha256
        assert "Riley Example" in docx_text(response.data)
        Document(io.BytesIO(response.data))  # opens as a Word document
    downloaded = audit(db, "document.downloaded")
    assert [(a, k) for a, k, _ in downloaded] == [("sw.priya", "HAL-WEB")] * 4
    assert {d["document_id"] for _, _, d in downloaded} == {int(i) for _, i in links}


def runtime_documents(db, key):
    return store.documents(db, key, current_only=False)


def test_a_document_is_a_404_outside_the_case_roles_and_under_another_case(db, clock, as_user):
    halton_step_down(db, clock, "HAL-A")
    halton_step_down(db, clock, "HAL-B")
    doc = runtime_documents(db, "HAL-A")[0]
    outsider = as_user("fsw.okafor")
    assert outsider.get(f"/cases/HAL-A/documents/{doc.id}").status_code == 404
    assert outsider.get("/cases/HAL-A").status_code == 404
    worker = as_user("sw.priya")
    assert worker.get(f"/cases/HAL-B/documents/{doc.id}").status_code == 404  # the id belongs to HAL-A
    assert worker.get("/cases/HAL-A/documents/999999").status_code == 404
    assert audit(db, "document.downloaded") == []  # nothing handed out, nothing recorded
    assert as_user("admin.only").get(f"/cases/HAL-A/documents/{doc.id}").status_code == 404  # no case role
    anonymous = worker.application.test_client()
    assert anonymous.get(f"/cases/HAL-A/documents/{doc.id}").status_code == 302


# -- packs ------------------------------------------------------------------------------------------

def test_an_admin_builds_a_case_pack_from_the_case_page_and_downloads_it(db, clock, as_user):
    halton_step_down(db, clock, "HAL-PACK")
    client = as_user("admin.lee")
    page = client.get("/cases/HAL-PACK").get_data(as_text=True)
    assert "Build the case pack" in page
    response = client.post("/admin/packs", data={"kind": "case", "target": "HAL-PACK",
                                                 "csrf_token": token(client, "/cases/HAL-PACK")})
    assert response.status_code == 303
    status_url = response.headers["Location"]
    build_id = int(status_url.rsplit("/", 1)[1])
    queued = client.get(status_url).get_data(as_text=True)
    assert "Waiting to start" in queued and "pack_status.mjs" in queued
    assert client.get(status_url + "?format=json").get_json() == {
        "status": "queued", "steps_done": 0, "steps_total": 0, "step_label": None, "finished": False}
    assert client.get(f"{status_url}/docx").status_code == 404  # not built yet

    assert builds.run_queued(db, pdf=False) == 1  # the background builder's work
    assert builds.run_queued(db, pdf=False) == 0  # built once only
    done = client.get(status_url).get_data(as_text=True)
    assert "pack_status.mjs" not in done and "Download" in done
    build = builds.get(db, build_id)
    assert build.status == "done" and build.steps_done == build.steps_total > 0 and set(build.files) == {"docx", "zip"}

    docx = client.get(f"{status_url}/docx")
    assert docx.status_code == 200 and "filename=case-pack-HAL-PACK.docx" in docx.headers["Content-Disposition"]
    merged = Document(io.BytesIO(docx.data))
    assert merged.paragraphs[0].text == "Case pack: HAL-PACK"
    assert "Book the parenting course" in docx_text(docx.data)
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{status_url}/zip").data))
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    stored = {d.filename: d.sha256 for d in runtime_documents(db, "HAL-PACK")}
    assert {d["file"]: d["sha256"] for d in manifest["documents"]} == stored
    assert hashlib.sha256(docx.data).hexdigest() == build.summary["sha256"]["docx"]
    assert client.get(f"{status_url}/xlsx").status_code == 404  # a case pack has no spreadsheet
    assert client.get(f"{status_url}/other").status_code == 404
    assert [(a, d["kind"], d["target"]) for a, _, d in audit(db, "pack.requested")] == [("admin.lee", "case", "HAL-PACK")]
    assert [d["file"] for _, _, d in audit(db, "pack.downloaded")] == ["docx", "zip"]
    listed = client.get("/admin/documents").get_data(as_text=True)
    assert "Case pack HAL-PACK" in listed and "Done" in listed


def test_a_meeting_pack_is_built_from_the_admin_documents_page(db, clock, as_user):
    for key, child in (("SW-A", "Sam Example"), ("SW-B", "Jo Example")):
        swindon_down_to_spreadsheet(db, key, child)
    clock.set("2026-11-25T11:00:00+00:00")
    do(db, "SW-A", "complete_spreadsheet", spreadsheet("Westlea Primary School"), "sw.priya")
    do(db, "SW-B", "complete_spreadsheet", spreadsheet("Oakfield Primary"), "sw.ali")
    client = as_user("admin.only")
    page = client.get("/admin/documents").get_data(as_text=True)
    assert "Tuesday 1 December 2026, 4pm" in page and "SW-A, SW-B" in page
    assert 'name="target" value="2026-12-01"' in page
    response = ask_for_pack(client, "meeting", "2026-12-01")
    assert response.status_code == 303
    build_id = int(response.headers["Location"].rsplit("/", 1)[1])
    builds.run_queued(db, pdf=False)
    status = client.get(f"/admin/packs/{build_id}").get_data(as_text=True)
    assert "Transfer spreadsheet (.xlsx)" in status and "SW-A, SW-B" in status
    sheet = load_workbook(io.BytesIO(client.get(f"/admin/packs/{build_id}/xlsx").data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert tuple(rows[0]) == tuple(h for h, _ in builds.packs.TRANSFER_HEADINGS)
    assert [r[0] for r in rows[1:]] == ["SW-A", "SW-B"]
    merged = docx_text(client.get(f"/admin/packs/{build_id}/docx").data)
    assert "Sam Example" in merged and "Jo Example" in merged
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/admin/packs/{build_id}/zip").data))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["cases"] == ["SW-A", "SW-B"]
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]


def test_the_web_app_builds_in_a_background_thread(db, clock, as_user, app):
    halton_step_down(db, clock, "HAL-THREAD")
    app.config["PACK_BUILDS"] = "thread"
    client = as_user("admin.lee")
    response = ask_for_pack(client, "case", "HAL-THREAD")
    assert response.status_code == 303
    (thread,) = app.extensions["stepwise_pack_threads"]
    thread.join(timeout=120)
    assert not thread.is_alive()
    build_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert builds.get(db, build_id).status == "done"
    assert client.get(f"/admin/packs/{build_id}/docx").status_code == 200


def test_packs_are_for_admins_only_and_bad_requests_queue_nothing(db, clock, as_user):
    halton_step_down(db, clock, "HAL-ADMIN")
    worker = as_user("sw.priya")
    assert worker.get("/admin/documents").status_code == 404
    csrf = token(worker, "/cases/HAL-ADMIN")
    assert worker.post("/admin/packs", data={"kind": "case", "target": "HAL-ADMIN", "csrf_token": csrf}).status_code == 404
    assert build_rows(db) == 0

    admin = as_user("admin.only")
    for kind, target, message in (("case", "NO-SUCH", "Case NO-SUCH has no documents"),
                                  ("case", "", "Enter the case reference"),
                                  ("meeting", "next-tuesday", "a meeting id is the meeting&#39;s date"),
                                  ("meeting", "2026-12-08", "No case is on the agenda"),
                                  ("other", "HAL-ADMIN", "Choose a case pack or a meeting pack")):
        response = ask_for_pack(admin, kind, target)
        assert response.status_code == 400, (kind, target)
        assert message in response.get_data(as_text=True) and "There is a problem" in response.get_data(as_text=True)
    assert build_rows(db) == 0 and audit(db, "pack.requested") == []
    # A pack another admin built is not handed to a non-admin either.
    build_id = builds.request(db, "case", "HAL-ADMIN", "admin.only")
    builds.run_queued(db, pdf=False)
    assert worker.get(f"/admin/packs/{build_id}").status_code == 404
    assert worker.get(f"/admin/packs/{build_id}/docx").status_code == 404
    assert admin.get("/admin/packs/999999").status_code == 404
    assert audit(db, "pack.downloaded") == []


def test_a_pack_that_fails_says_why_and_a_stalled_build_is_failed(db, clock, as_user, monkeypatch):
    halton_step_down(db, clock, "HAL-FAIL")
    admin = as_user("admin.lee")
    build_id = builds.request(db, "case", "HAL-FAIL", "admin.lee")

    def broken(*_args, **_kwargs):
        raise builds.packs.PackError("the merge broke")
    monkeypatch.setattr(builds.packs, "case_pack", broken)
    assert builds.run(db, build_id, pdf=False).status == "failed"
    page = admin.get(f"/admin/packs/{build_id}").get_data(as_text=True)
    assert "The pack could not be built" in page and "the merge broke" in page
    assert admin.get(f"/admin/packs/{build_id}/docx").status_code == 404

    stalled = builds.request(db, "case", "HAL-FAIL", "admin.lee")
    assert builds._claim(db, stalled)  # a builder took it, then its server stopped
    assert builds.get(db, stalled).status == "building"
    clock.advance(minutes=16)
    assert builds.get(db, stalled).status == "failed"
    assert builds.run(db, stalled, pdf=False) is None  # a failed build is not built again; ask anew
