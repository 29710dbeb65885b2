"""`/process-definition`: list, one, its BPMN XML, start an instance."""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from sqlalchemy import select

from engine import runtime
from engine.store import models
from engine.tasklist import database
from engine.tasklist import queries as page_queries

from . import bp, queries
from .auth import account, roles
from .errors import invalid, not_found
from .values import flag, json_body, paging, plain


def definition_json(d: queries.Definition) -> dict:
    return {
        "id": d.id, "key": d.key, "category": None, "description": None, "name": d.name or d.key,
        "version": d.version, "resource": d.resource, "deploymentId": d.deployment_id, "diagram": None,
        "suspended": False, "tenantId": None, "versionTag": None, "historyTimeToLive": None,
        "startableInTasklist": not d.key.startswith("common_"),
    }


def _by_id(definition_id: str) -> queries.Definition:
    found = queries.definition(database(current_app), definition_id)
    if found is None:
        raise not_found(f"No matching definition with id {definition_id}")
    return found


def _by_key(key: str) -> queries.Definition:
    found = queries.latest(database(current_app), key)
    if found is None:
        raise not_found(f"No matching process definition with key: {key}")
    return found


@bp.get("/process-definition")
def list_definitions():
    account()
    first, size = paging(request.args)
    rows = queries.definitions(database(current_app), key=request.args.get("key"),
                               deployment_id=request.args.get("deploymentId"),
                               latest=flag(request.args.get("latestVersion"), "latestVersion"), first=first, size=size)
    return jsonify([definition_json(d) for d in rows])


@bp.get("/process-definition/count")
def count_definitions():
    account()
    rows = queries.definitions(database(current_app), key=request.args.get("key"),
                               deployment_id=request.args.get("deploymentId"),
                               latest=flag(request.args.get("latestVersion"), "latestVersion"), size=10**9)
    return jsonify({"count": len(rows)})


@bp.get("/process-definition/<definition_id>")
def get_definition(definition_id: str):
    account()
    return jsonify(definition_json(_by_id(definition_id)))


@bp.get("/process-definition/key/<key>")
def get_definition_by_key(key: str):
    account()
    return jsonify(definition_json(_by_key(key)))


def _xml(d: queries.Definition):
    content = queries.definition_xml(database(current_app), d)
    if content is None:
        raise not_found(f"the BPMN file of {d.id} is not stored")
    return jsonify({"id": d.id, "bpmn20Xml": content.decode("utf-8")})


@bp.get("/process-definition/<definition_id>/xml")
def definition_xml(definition_id: str):
    account()
    return _xml(_by_id(definition_id))


@bp.get("/process-definition/key/<key>/xml")
def definition_xml_by_key(key: str):
    account()
    return _xml(_by_key(key))


def _start(d: queries.Definition):
    who = account()
    body = json_body()
    business_key = body.get("businessKey")
    if not isinstance(business_key, str) or not business_key.strip():
        raise invalid("businessKey (the case reference) is required to start a procedure in Stepwise")
    variables = plain(body.get("variables"))
    case = body.get("case")  # Stepwise extension: the case's details the first time it is seen
    if case is not None and not isinstance(case, dict):
        raise invalid("case must be an object (council, locality, address, children, household)")
    db = database(current_app)
    with db.reader() as session:
        exists = session.scalar(select(models.Case.id).where(models.Case.business_key == business_key.strip()))
    if exists is not None and not page_queries.may_see_case(db, business_key.strip(), roles()):
        # As on the start page: a case reference you cannot see is not yours to add to.
        raise invalid("This case reference is already in use: check it")
    outcome = runtime.start(db, d.key, business_key, variables, who.username, case=case, version=d.version)
    return jsonify({
        "links": [{"method": "GET", "href": url_for("engine_rest.list_tasks", processInstanceId=outcome.instance_id,
                                                    _external=True), "rel": "tasks"}],
        "id": outcome.instance_id, "definitionId": d.id, "businessKey": business_key.strip(),
        "caseInstanceId": None, "ended": outcome.state not in ("running", "incident"), "suspended": False,
        "tenantId": None,
    })


@bp.post("/process-definition/key/<key>/start")
def start_by_key(key: str):
    account()
    return _start(_by_key(key))


@bp.post("/process-definition/<definition_id>/start")
def start_by_id(definition_id: str):
    account()
    return _start(_by_id(definition_id))
