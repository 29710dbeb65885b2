"""Documents in a real browser (Debian's chromium via Playwright): a social worker downloads a
case's document from the case page; an admin builds the case pack from the case page, the status
page follows the background build by itself and offers the files, which download and open; the
admin documents page. axe-core on every page (no serious or critical violations)."""
from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from docx import Document
from werkzeug.serving import make_server

from engine import demo
from engine.catalog import collect, deploy
from engine.tasklist import accounts, create_app

from .test_walkthrough import AXE, CHROMIUM, PASSWORD, ClockedApp, check, page, sign_in, sign_out  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(db, clock, monkeypatch, documents_on):
    assert Path(CHROMIUM).exists() and AXE.exists()
    deploy(db, collect([ROOT / "processes"]), name="all", actor="owner")
    monkeypatch.setenv("STEPWISE_DEMO_PASSWORD", PASSWORD)
    demo.load_users(db)
    accounts.save_user(db, "admin.sw", "Sam Admin", ["admin", "social_worker"], password=PASSWORD)
    from test_documents import halton_step_down
    halton_step_down(db, clock, "HAL-BROWSER")
    app = create_app({"DATABASE": db, "SECRET_KEY": "browser-test", "SESSION_COOKIE_SECURE": False, "PACK_PDF": False})
    httpd = make_server("127.0.0.1", 0, ClockedApp(app, clock), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)
    for build in app.extensions.get("stepwise_pack_threads", []):
        build.join(60)


def download(page, link) -> bytes:
    with page.expect_download() as info:
        link.click()
    return Path(info.value.path()).read_bytes()


def test_case_documents_and_a_case_pack_in_the_browser(page):
    sign_in(page, "sw.amira")
    page.goto("/cases/HAL-BROWSER")
    check(page, "documents-case-page")
    documents = page.locator("table", has=page.locator("caption", has_text="Documents of this case"))
    assert documents.get_by_role("link").count() == 2
    content = download(page, documents.get_by_role("link", name="Early Intervention step-down form"))
    assert "Riley Example" in "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs + [
        p for t in Document(io.BytesIO(content)).tables for row in t.rows for c in row.cells for p in c.paragraphs])
    assert page.get_by_role("button", name="Build the case pack").count() == 0
    sign_out(page)

    sign_in(page, "admin.sw")
    page.goto("/cases/HAL-BROWSER")
    page.get_by_role("button", name="Build the case pack").click()
    page.wait_for_url("**/admin/packs/*")
    check(page, "documents-pack-status")
    # The page's script polls and reloads once the background build is done.
    page.get_by_role("heading", name="Download").wait_for(timeout=60_000)
    check(page, "documents-pack-done")
    merged = Document(io.BytesIO(download(page, page.get_by_role("link", name="Merged Word document (.docx)"))))
    assert merged.paragraphs[0].text == "Case pack: HAL-BROWSER"
    assert download(page, page.get_by_role("link", name="Originals and manifest (.zip)")).startswith(b"PK")

    page.get_by_role("link", name="Documents", exact=True).click()
    page.wait_for_url("**/admin/documents")
    check(page, "documents-admin")
    assert page.get_by_role("link", name="Case pack HAL-BROWSER").count() == 1
    page.get_by_role("button", name="Build the case pack").click()  # with no case reference
    check(page, "documents-admin-error")
    assert "Enter the case reference" in page.locator(".govuk-error-summary").inner_text()
