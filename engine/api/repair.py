"""Stepwise's own admin endpoints under `/api/` (Camunda 7 keeps these for its paid edition):
instance migration between versions and case repair. Same style as `/engine-rest`: HTTP Basic,
the error body `{"type", "message"}`, camelCase fields; every route needs the role `admin`.
Described in `/api/openapi.json` (engine/api/index.py).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from engine.runtime import migration, repair
from engine.tasklist import database

from . import index, json_errors
from .auth import require_admin
from .errors import invalid
from .openapi import SCHEMAS as REST_SCHEMAS
from .values import camunda_date, json_body

# The same answers as /engine-rest for refusals, HTTP errors and faults.
bp = json_errors(Blueprint("api_repair", __name__, url_prefix="/api"))


def _version(body: dict, name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid(f"'{name}' must be a version number (1 or more)")
    return value


def _migration_request(body: dict) -> tuple[str, int, int]:
    key = body.get("processDefinitionKey")
    if not isinstance(key, str) or not key.strip():
        raise invalid("'processDefinitionKey' is required")
    return key, _version(body, "fromVersion"), _version(body, "toVersion")


def _plan_json(plan: migration.InstancePlan) -> dict[str, Any]:
    return {
        "processInstanceId": plan.instance_id, "businessKey": plan.business_key, "version": plan.version,
        "state": plan.state, "migratable": plan.migratable, "reasons": plan.reasons,
        "tasks": [{"taskId": t.task_id, "activityId": t.element_id, "name": t.name, "state": t.state,
                   "targetActivityId": t.to_element, "targetName": t.to_name, "changes": t.changes} for t in plan.tasks],
    }


@bp.post("/migration/preview")
def migration_preview():
    require_admin()
    key, source, target = _migration_request(json_body())
    preview = migration.preview(database(current_app), key, source, target)
    return jsonify({
        "processDefinitionKey": preview.key, "fromVersion": preview.from_version, "toVersion": preview.to_version,
        "sourceProcessDefinitionId": preview.from_definition_id, "targetProcessDefinitionId": preview.to_definition_id,
        "instances": [_plan_json(p) for p in preview.instances],
    })


def _ids(body: dict, name: str, kind=str) -> list | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(i, kind) and not isinstance(i, bool) for i in value):
        raise invalid(f"'{name}' must be a list of {'ids' if kind is str else 'whole numbers'}")
    return value


@bp.post("/migration/execute")
def migration_execute():
    who = require_admin()
    body = json_body()
    key, source, target = _migration_request(body)
    instance_ids = _ids(body, "processInstanceIds")
    expected = body.get("expectedVersions")
    if expected is not None and (not isinstance(expected, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in expected.values())):
        raise invalid("'expectedVersions' must map instance ids to versions")
    results = migration.apply(database(current_app), key, source, target, who.username,
                              instance_ids=instance_ids, expected_versions=expected)
    return jsonify({
        "migrated": sum(r.migrated for r in results), "refused": sum(not r.migrated for r in results),
        "results": [{"processInstanceId": r.instance_id, "businessKey": r.business_key, "migrated": r.migrated,
                     "version": r.version, "reasons": r.reasons} for r in results],
    })


@bp.post("/process-instance/<instance_id>/reset")
def reset_instance(instance_id: str):
    who = require_admin()
    body = json_body()
    task_id, reason, expected = body.get("taskId"), body.get("reason"), body.get("expectedVersion")
    if not isinstance(task_id, str) or not task_id:
        raise invalid("'taskId' (the completed task to go back to) is required")
    if not isinstance(reason, str):
        raise invalid("'reason' is required: it is kept in the case's audit trail")
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int)):
        raise invalid("'expectedVersion' must be a whole number")
    outcome = repair.reset(database(current_app), instance_id, task_id, reason, who.username, expected)
    return jsonify({"processInstanceId": outcome.instance_id, "version": outcome.version, "state": outcome.state,
                    "taskId": task_id})


@bp.post("/incident/retry")
def retry_incidents():
    who = require_admin()
    ids = _ids(json_body(), "incidentIds", int)
    results = repair.retry_incidents(database(current_app), who.username, ids)
    return jsonify({"resolved": sum(r.resolved for r in results), "open": sum(not r.resolved for r in results),
                    "results": [{"incidentId": r.incident_id, "resolved": r.resolved, "error": r.error}
                                for r in results]})


@bp.get("/process-instance/<instance_id>/history")
def instance_history(instance_id: str):
    require_admin()
    found = repair.history(database(current_app), instance_id)
    return jsonify({
        "processInstanceId": found.instance_id, "businessKey": found.business_key,
        "processDefinitionKey": found.process_key, "processDefinitionVersion": found.definition_version,
        "state": found.state, "version": found.version, "startTime": camunda_date(found.started_at),
        "startUserId": found.started_by, "endTime": camunda_date(found.ended_at),
        "audit": [{"id": a.id, "time": camunda_date(a.at), "userId": a.actor, "action": a.action, "taskId": a.task_id,
                   "details": a.details} for a in found.audit],
        "tasks": [{"id": t.id, "activityId": t.element_id, "name": t.name, "state": t.state, "assignee": t.assignee,
                   "created": camunda_date(t.created_at), "completed": camunda_date(t.completed_at),
                   "completedBy": t.completed_by} for t in found.tasks],
        "incidents": [{"id": i.id, "activityId": i.element_id, "message": i.error, "created": camunda_date(i.created_at),
                       "attempts": i.attempts, "resolved": camunda_date(i.resolved_at), "resolvedBy": i.resolved_by}
                      for i in found.incidents],
    })


# -- the description ----------------------------------------------------------------------------

_JSON = "application/json"
_STR = {"type": "string"}
_NULL_STR = {"type": "string", "nullable": True}
_INT = {"type": "integer"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def _obj(required: list[str], **properties) -> dict:
    return {"type": "object", "required": required, "properties": properties}


def _strings() -> dict:
    return {"type": "array", "items": _STR}


_ERRORS = {"400": _answer(_ref("Exception"), "Bad body"), "401": _answer(_ref("Exception"), "No or wrong credentials"),
           "403": _answer(_ref("Exception"), "Not an admin")}
_MIGRATION = _obj(["processDefinitionKey", "fromVersion", "toVersion"], processDefinitionKey=_STR,
                  fromVersion={"type": "integer", "minimum": 1}, toVersion={"type": "integer", "minimum": 1})
SCHEMAS = {
    "Exception": REST_SCHEMAS["Exception"],
    "MigrationRequest": _MIGRATION,
    "MigrationExecute": {"allOf": [_MIGRATION, {"type": "object", "properties": {
        "processInstanceIds": _strings(),
        "expectedVersions": {"type": "object", "additionalProperties": _INT,
                             "description": "instance id -> the version seen in the preview"}}}]},
    "TaskMapping": _obj(["taskId", "activityId", "state"], taskId=_STR, activityId=_STR, name=_NULL_STR, state=_STR,
                        targetActivityId=_NULL_STR, targetName=_NULL_STR, changes=_strings()),
    "InstancePlan": _obj(["processInstanceId", "migratable", "reasons", "tasks"], processInstanceId=_STR,
                         businessKey=_STR, version=_INT, state=_STR, migratable={"type": "boolean"},
                         reasons=_strings(), tasks={"type": "array", "items": _ref("TaskMapping")}),
    "MigrationPreview": _obj(["instances"], processDefinitionKey=_STR, fromVersion=_INT, toVersion=_INT,
                             sourceProcessDefinitionId=_STR, targetProcessDefinitionId=_STR,
                             instances={"type": "array", "items": _ref("InstancePlan")}),
    "MigrationResult": _obj(["migrated", "refused", "results"], migrated=_INT, refused=_INT, results={
        "type": "array", "items": _obj(["processInstanceId", "migrated", "reasons"], processInstanceId=_STR,
                                       businessKey=_STR, migrated={"type": "boolean"},
                                       version={"type": "integer", "nullable": True}, reasons=_strings())}),
    "Reset": _obj(["taskId", "reason"], taskId=_STR, reason=_STR, expectedVersion=_INT),
    "ResetResult": _obj(["processInstanceId", "version", "state"], processInstanceId=_STR, version=_INT, state=_STR,
                        taskId=_STR),
    "RetryRequest": {"type": "object", "properties": {"incidentIds": {"type": "array", "items": _INT,
                                                                      "description": "default: every open incident"}}},
    "BulkRetryResult": _obj(["resolved", "open", "results"], resolved=_INT, open=_INT, results={
        "type": "array", "items": _obj(["incidentId", "resolved"], incidentId=_INT, resolved={"type": "boolean"},
                                       error=_NULL_STR)}),
    "History": _obj(["processInstanceId", "audit", "tasks"], processInstanceId=_STR, businessKey=_STR,
                    processDefinitionKey=_STR, processDefinitionVersion=_INT, state=_STR, version=_INT,
                    startTime=_NULL_STR, startUserId=_NULL_STR, endTime=_NULL_STR,
                    audit={"type": "array", "items": _obj(["id", "action"], id=_INT, time=_NULL_STR, userId=_STR,
                                                          action=_STR, taskId=_NULL_STR, details={"type": "object"})},
                    tasks={"type": "array", "items": _obj(["id", "state"], id=_STR, activityId=_STR, name=_NULL_STR,
                                                          state=_STR, assignee=_NULL_STR, created=_NULL_STR,
                                                          completed=_NULL_STR, completedBy=_NULL_STR)},
                    incidents={"type": "array", "items": _obj(["id"], id=_INT, activityId=_NULL_STR, message=_STR,
                                                              created=_NULL_STR, attempts=_INT, resolved=_NULL_STR,
                                                              resolvedBy=_NULL_STR)}),
}
_ID = [{"name": "id", "in": "path", "required": True, "schema": _STR}]


def _body(name: str) -> dict:
    return {"required": True, "content": {_JSON: {"schema": _ref(name)}}}


PATHS = {
    "/migration/preview": {"post": {
        "summary": "Which running instances of a version can move to another, where each waiting task maps, and why "
                   "the others cannot (changes nothing)",
        "requestBody": _body("MigrationRequest"),
        "responses": {"200": _answer(_ref("MigrationPreview")), **_ERRORS,
                      "404": _answer(_ref("Exception"), "No such process version")}}},
    "/migration/execute": {"post": {
        "summary": "Migrate each migratable instance in its own transaction; refused ones are left as they were",
        "requestBody": _body("MigrationExecute"),
        "responses": {"200": _answer(_ref("MigrationResult")), **_ERRORS,
                      "404": _answer(_ref("Exception"), "No such process version")}}},
    "/process-instance/{id}/reset": {"post": {
        "summary": "Go back to a completed user task with a reason (later work is removed from the task list)",
        "parameters": _ID, "requestBody": _body("Reset"),
        "responses": {"200": _answer(_ref("ResetResult")), **_ERRORS,
                      "404": _answer(_ref("Exception"), "No such instance or task"),
                      "409": _answer(_ref("Exception"), "Not a completed user task, or the instance is not running"),
                      "412": _answer(_ref("Exception"), "expectedVersion is no longer current")}}},
    "/process-instance/{id}/history": {"get": {
        "summary": "An instance's audit trail, task trail and incidents", "parameters": _ID,
        "responses": {"200": _answer(_ref("History")), "401": _ERRORS["401"], "403": _ERRORS["403"],
                      "404": _answer(_ref("Exception"), "No such instance")}}},
    "/incident/retry": {"post": {
        "summary": "Retry open incidents (all, or those named), each in its own transaction",
        "requestBody": {"required": False, "content": {_JSON: {"schema": _ref("RetryRequest")}}},
        "responses": {"200": _answer(_ref("BulkRetryResult")), **_ERRORS}}},
}
index.describe(PATHS, SCHEMAS)

