"""Documents on the pages: a case's Word documents to download (anyone who may see the case,
audited as `document.downloaded`), and packs for admins, built in the background with a status
page that refreshes itself until the files can be downloaded.

`PACK_BUILDS` in the app config: "thread" (default: a background thread per build) or "queue"
(only queue the row; `engine.documents.builds.run_queued` builds it, e.g. from a worker or a
test). `PACK_PDF` (default True): add a PDF when LibreOffice is installed.
"""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from engine.documents import builds, store
from engine.runtime.unit import Unit
from engine.store import models

from . import database
from .admin import admin_only

bp = Blueprint("documents", __name__)
_HUMAN = models.HumanTask.__table__


def case_documents(db, business_key: str) -> list[dict]:
    """Every version of every document of the case, newest first, with the producing task's name."""
    docs = store.documents(db, business_key, current_only=False)
    if not docs:
        return []
    with db.reader() as session:
        names = dict(session.execute(select(_HUMAN.c.id, _HUMAN.c.name)
                                     .where(_HUMAN.c.id.in_({d.task_id for d in docs}))).all())
    newest = {}
    for d in docs:
        newest[d.template_id] = max(newest.get(d.template_id, 0), d.version)
    return [{"doc": d, "task_name": names.get(d.task_id) or d.task_id, "current": newest[d.template_id] == d.version}
            for d in reversed(docs)]


@bp.app_context_processor
def document_helpers():
    return {"case_documents_of": lambda key: case_documents(database(current_app), key)}


@bp.get("/cases/<business_key>/documents/<int:document_id>")
@login_required
def download(business_key: str, document_id: int):
    from .views import _visible_case  # the case page's own rule: outside a person's roles is a 404

    _visible_case(business_key)
    db = database(current_app)
    found = [d for d in store.documents(db, business_key, current_only=False) if d.id == document_id]
    if not found:
        abort(404)
    doc = found[0]
    with db.connection() as conn:
        content = store.content(conn, doc.id)
        unit = Unit(conn, db.url, current_user.username)
        unit.audit("document.downloaded", business_key=business_key, instance_id=doc.instance_id,
                   task_id=doc.task_id, document_id=doc.id, template=doc.template_id, version=doc.version)
        unit.flush_audit()
    response = send_file(io.BytesIO(content), mimetype=builds.FILES["docx"][1], as_attachment=True,
                         download_name=doc.filename)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- packs (admins) ----------------------------------------------------------------------------------

def _admin_page(errors: dict[str, str] | None = None, values: dict[str, str] | None = None, status: int = 200):
    db = database(current_app)
    return render_template("admin_documents.html", meetings=builds.meetings(db), recent=builds.recent(db),
                           errors=errors or {}, values=values or {}), status


@bp.get("/admin/documents")
@admin_only
def admin_documents():
    return _admin_page()


@bp.post("/admin/packs")
@admin_only
def request_pack():
    db = database(current_app)
    kind = request.form.get("kind", "")
    target = request.form.get("target", "")
    try:
        build_id = builds.request(db, kind, target, current_user.username)
    except builds.BuildRefused as error:
        return _admin_page({"target-" + (kind if kind in builds.KINDS else "case"): str(error)}, {kind: target}, 400)
    if current_app.config.get("PACK_BUILDS", "thread") == "thread":
        thread = builds.start_in_background(db, build_id, pdf=current_app.config.get("PACK_PDF", True))
        current_app.extensions.setdefault("stepwise_pack_threads", []).append(thread)
    return redirect(url_for("documents.pack_status", build_id=build_id), 303)


@bp.get("/admin/packs/<int:build_id>")
@admin_only
def pack_status(build_id: int):
    build = builds.get(database(current_app), build_id)
    if build is None:
        abort(404)
    if request.args.get("format") == "json":  # what the page's script polls while the pack builds
        return {"status": build.status, "steps_done": build.steps_done, "steps_total": build.steps_total,
                "step_label": build.step_label, "finished": build.finished}
    return render_template("pack_status.html", build=build, files=builds.FILES)


@bp.get("/admin/packs/<int:build_id>/<name>")
@admin_only
def pack_file(build_id: int, name: str):
    found = builds.file(database(current_app), build_id, name, current_user.username)
    if found is None:
        abort(404)
    filename, media_type, content = found
    response = send_file(io.BytesIO(content), mimetype=media_type, as_attachment=True, download_name=filename)
    response.headers["Cache-Control"] = "no-store"
    return response
