"""Stepwise's own routes, in the REST API's style, under `/api` (Camunda has nothing like them):
a case's documents and their download, and retrying an incident."""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from sqlalchemy import select

from engine import runtime
from engine.documents import store as documents
from engine.store import models
from engine.tasklist import database
from engine.tasklist import queries as page_queries

from . import stepwise_api as api
from .auth import ADMIN_ROLE, account, require_admin
from .errors import not_found
from .values import camunda_date, flag

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _may_see(business_key: str) -> None:
    who = account()
    if ADMIN_ROLE not in who.roles and not page_queries.may_see_case(database(current_app), business_key, who.roles):
        raise not_found(f"No case {business_key}")


def document_json(d: documents.StoredDocument) -> dict:
    return {
        "id": d.id, "businessKey": d.business_key, "processInstanceId": d.instance_id, "taskId": d.task_id,
        "templateId": d.template_id, "title": d.title, "filename": d.filename, "version": d.version,
        "sha256": d.sha256, "size": d.size, "createdBy": d.actor, "created": camunda_date(d.created_at),
        "links": [{"method": "GET", "rel": "content",
                   "href": url_for("stepwise_api.document_content", document_id=d.id, _external=True)}],
    }


@api.get("/case/<path:business_key>/documents")
def case_documents(business_key: str):
    """The case's documents, the newest version of each (`allVersions=true`: every version)."""
    _may_see(business_key)
    every = flag(request.args.get("allVersions"), "allVersions")
    db = database(current_app)
    found = documents.documents(db, business_key, current_only=not every)
    runtime.record_view(db, business_key, account().username, "api:documents")
    return jsonify([document_json(d) for d in found])


@api.get("/document/<int(max=2147483647):document_id>/content")
def document_content(document_id: int):
    account()
    db = database(current_app)
    with db.reader() as session:
        business_key = session.scalar(select(models.Document.business_key).where(models.Document.id == document_id))
    if business_key is None:
        raise not_found(f"No document {document_id}")
    _may_see(business_key)
    listed = next(d for d in documents.documents(db, business_key, current_only=False) if d.id == document_id)
    content = documents.document_content(db, document_id)
    runtime.record_view(db, business_key, account().username, f"api:document:{document_id}")
    response = current_app.response_class(content, mimetype=DOCX)
    response.headers["Content-Disposition"] = f'attachment; filename="{listed.filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["ETag"] = f'"{listed.sha256}"'
    return response


@api.post("/incident/<int(max=2147483647):incident_id>/retry")
def retry_incident(incident_id: int):
    """Run again what failed (admins, as on the incidents page). 404 unknown, 409 already resolved."""
    who = require_admin()
    outcome = runtime.retry_incident(database(current_app), incident_id, who.username)
    return jsonify({"incidentId": incident_id, "resolved": outcome.incident_id is None,
                    "processInstanceId": outcome.instance_id, "state": outcome.state, "version": outcome.version})


@api.route("/<path:_unknown>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def _no_such_resource(_unknown: str):
    raise not_found("no such resource in this API (see /api/openapi.json)")
