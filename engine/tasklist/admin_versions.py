"""Admin pages for procedures (role `admin`): deployments and definition versions, one version's
diagram and the diff of its BPMN from the previous version, and deploying uploaded files (the same
catalog deploy as the REST API and `stepwise deploy`)."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.catalog import DeploymentError, SourceFile, deploy

from . import database, versions
from .admin import admin_only, bp

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
KINDS = (".bpmn", ".dmn", ".form")


def _page(status: int = 200, *, error: DeploymentError | str | None = None, name: str = ""):
    problem = None
    if isinstance(error, DeploymentError):
        problem = {"message": error.message, "file": error.filename, "line": error.line, "element": error.element_id}
    elif error:
        problem = {"message": error}
    return render_template("admin_deployments.html", deployments=versions.deployments(database(current_app)),
                           problem=problem, name=name), status


@bp.get("/deployments")
@admin_only
def deployments():
    return _page()


@bp.post("/deployments")
@admin_only
def upload():
    name = request.form.get("name", "").strip()
    if request.content_length and request.content_length > MAX_UPLOAD_BYTES:
        return _page(400, error=f"The files must be at most {MAX_UPLOAD_BYTES // 2**20} MB together", name=name)
    uploads = [f for f in request.files.getlist("files") if f.filename]
    if not name:
        return _page(400, error="Enter a deployment name, such as the council's name", name=name)
    if not uploads:
        return _page(400, error="Choose the .bpmn, .dmn and .form files to deploy", name=name)
    wrong = [f.filename for f in uploads if not f.filename.lower().endswith(KINDS)]
    if wrong:
        return _page(400, error=f"{', '.join(wrong)}: only .bpmn, .dmn and .form files can be deployed", name=name)
    # Chosen files arrive by base name; a chosen folder's files by their path in it (several councils
    # have a step_down.bpmn, so a whole processes/ folder keeps its paths, as `stepwise deploy` does).
    files = [SourceFile(f.filename.replace("\\", "/").lstrip("/"), f.read()) for f in uploads]
    names = [f.filename for f in files]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return _page(400, error=f"Two files are named {', '.join(twice)}: deploy one council's files at a time, "
                     "or choose the folder", name=name)
    try:
        result = deploy(database(current_app), files, name=name[:200], actor=current_user.username,
                        source="admin page")
    except DeploymentError as error:
        return _page(400, error=error, name=name)
    if not result.created or not result.definitions:
        flash("Nothing changed: every procedure in these files is already deployed as it is.", "info")
    else:
        made = ", ".join(f"{key} version {number}" for key, number, _id in result.definitions)
        flash(f"Deployed: {made}.", "success")
    return redirect(url_for("admin.deployments"))


@bp.get("/definitions/<definition_id>")
@admin_only
def definition(definition_id: str):
    db = database(current_app)
    current = versions.version(db, definition_id) or abort(404)
    before = versions.previous(db, current)
    lines, cut = [], False
    if before is not None:
        lines, cut = versions.diff(versions.bpmn(db, before) or "", versions.bpmn(db, current) or "")
    return render_template("admin_definition.html", current=current, before=before, lines=lines, cut=cut,
                           others=versions.versions_of(db, current.key))


@bp.get("/definitions/<definition_id>/diagram.bpmn")
@admin_only
def definition_diagram(definition_id: str):
    db = database(current_app)
    current = versions.version(db, definition_id) or abort(404)
    xml = versions.bpmn(db, current) or abort(404)
    return Response(xml, mimetype="application/xml", headers={"Cache-Control": "no-store"})
