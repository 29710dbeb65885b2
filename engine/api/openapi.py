"""`GET /engine-rest/openapi.json`: an OpenAPI 3.0 description of what this API answers."""
from __future__ import annotations

from flask import jsonify

from . import bp

_JSON = "application/json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict:
    return {"description": description, "content": {_JSON: {"schema": _ref("Exception")}}}


def _ok(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def _array(name: str) -> dict:
    return {"type": "array", "items": _ref(name)}


def _query(name: str, schema: dict | None = None, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema or {"type": "string"},
            "description": description}


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


_AUTH = {"401": _error("No or wrong HTTP Basic credentials or API token")}
_PAGING = [_query("firstResult", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
           _query("maxResults", {"type": "integer", "minimum": 0, "description": "at most 1000 are answered"})]
_TASK_QUERY = [
    _query("assignee"), _query("candidateGroup", description="one of your roles"), _query("processInstanceId"),
    _query("processInstanceBusinessKey"), _query("taskDefinitionKey"),
    _query("dueBefore", {"type": "string", "format": "date-time"}, "e.g. 2026-11-23T09:00:00.000+0000"),
]
_NULL_STR = {"type": "string", "nullable": True}
_SORT_BY = _query("sortBy", {"type": "string", "enum": ["dueDate", "created", "name", "id", "assignee", "instanceId",
                                                       "executionId"]}, "with sortOrder")
_SORT_ORDER = _query("sortOrder", {"type": "string", "enum": ["asc", "desc"]}, "with sortBy")
_FLAG = {"type": "string", "enum": ["true", "false"]}
_VARIABLES = {"type": "object", "additionalProperties": _ref("VariableValue")}

SCHEMAS = {
    "Exception": {"type": "object", "required": ["type", "message"], "properties": {
        "type": {"type": "string"}, "message": {"type": "string"},
        "details": {"type": "object", "description": "ParseException: per resource {errors: [{message, line, column, "
                    "mainElementId, elementIds}], warnings}; a form's validation: {fields: {key: message}}"}}},
    "Link": {"type": "object", "properties": {"method": {"type": "string"}, "href": {"type": "string"},
                                              "rel": {"type": "string"}}},
    "VariableValue": {"type": "object", "properties": {
        "value": {"nullable": True}, "type": {"type": "string", "description":
                                              "String, Boolean, Integer, Short, Long, Double, Date, Json, Object, Null"}}},
    "Count": {"type": "object", "required": ["count"], "properties": {"count": {"type": "integer"}}},
    "Deployment": {"type": "object", "required": ["id"], "properties": {
        "links": {"type": "array", "items": _ref("Link")}, "id": {"type": "string"}, "name": _NULL_STR,
        "source": _NULL_STR, "deploymentTime": {"type": "string"}, "tenantId": _NULL_STR}},
    "DeploymentWithDefinitions": {"allOf": [_ref("Deployment"), {"type": "object", "properties": {
        "deployedProcessDefinitions": {"type": "object", "nullable": True,
                                       "additionalProperties": _ref("ProcessDefinition")},
        "deployedCaseDefinitions": {"type": "object", "nullable": True},
        "deployedDecisionDefinitions": {"type": "object", "nullable": True},
        "deployedDecisionRequirementsDefinitions": {"type": "object", "nullable": True}}}]},
    "ProcessDefinition": {"type": "object", "required": ["id", "key", "version"], "properties": {
        "id": {"type": "string"}, "key": {"type": "string"}, "category": _NULL_STR, "description": _NULL_STR,
        "name": _NULL_STR, "version": {"type": "integer"}, "resource": _NULL_STR, "deploymentId": {"type": "string"},
        "diagram": _NULL_STR, "suspended": {"type": "boolean"}, "tenantId": _NULL_STR, "versionTag": _NULL_STR,
        "historyTimeToLive": {"type": "integer", "nullable": True}, "startableInTasklist": {"type": "boolean"}}},
    "ProcessDefinitionXml": {"type": "object", "properties": {"id": {"type": "string"}, "bpmn20Xml": {"type": "string"}}},
    "StartProcessInstance": {"type": "object", "required": ["businessKey"], "properties": {
        "businessKey": {"type": "string", "description": "the case reference (required in Stepwise)"},
        "variables": _VARIABLES,
        "case": {"type": "object", "description": "Stepwise: the case's details the first time it is seen "
                 "(council, locality, address, children [{name, date_of_birth}], household)"}}},
    "ProcessInstance": {"type": "object", "required": ["id"], "properties": {
        "links": {"type": "array", "items": _ref("Link")}, "id": {"type": "string"},
        "definitionId": {"type": "string"}, "businessKey": _NULL_STR, "caseInstanceId": _NULL_STR,
        "ended": {"type": "boolean"}, "suspended": {"type": "boolean"}, "tenantId": _NULL_STR}},
    "Task": {"type": "object", "required": ["id"], "properties": {
        **{name: _NULL_STR for name in (
            "name", "assignee", "owner", "created", "lastUpdated", "due", "followUp", "delegationState", "description",
            "executionId", "parentTaskId", "processDefinitionId", "processInstanceId", "taskDefinitionKey",
            "caseExecutionId", "caseInstanceId", "caseDefinitionId", "formKey", "tenantId", "businessKey",
            "processDefinitionKey")},
        "id": {"type": "string"}, "priority": {"type": "integer"}, "suspended": {"type": "boolean"},
        "camundaFormRef": {"type": "object", "nullable": True},
        "candidateGroups": {"type": "array", "items": {"type": "string"}}}},
    "UserId": {"type": "object", "properties": {"userId": {"type": "string"}}},
    "CompleteTask": {"type": "object", "properties": {"variables": _VARIABLES,
                                                      "withVariablesInReturn": {"type": "boolean", "enum": [False]}}},
    "CorrelationMessage": {"type": "object", "required": ["messageName"], "properties": {
        "messageName": {"type": "string"}, "businessKey": {"type": "string"}, "correlationKeys": _VARIABLES,
        "processVariables": _VARIABLES, "resultEnabled": {"type": "boolean"}}},
    "UserIdOrNull": {"type": "object", "required": ["userId"], "properties": {"userId": _NULL_STR}},
    "TypedValue": {"type": "object", "properties": {"value": {"nullable": True}, "type": {"type": "string"},
                                                    "valueInfo": {"type": "object"}}},
    "ActivityInstance": {"type": "object", "required": ["id", "activityId"], "properties": {
        "id": {"type": "string"}, "parentActivityInstanceId": _NULL_STR, "activityId": {"type": "string"},
        "activityType": {"type": "string"}, "processInstanceId": {"type": "string"},
        "processDefinitionId": {"type": "string"}, "activityName": _NULL_STR, "name": _NULL_STR,
        "executionIds": {"type": "array", "items": {"type": "string"}},
        "incidentIds": {"type": "array", "items": {"type": "string"}}, "incidents": {"type": "array"},
        "childActivityInstances": {"type": "array", "items": _ref("ActivityInstance")},
        "childTransitionInstances": {"type": "array"}}},
    "HistoricProcessInstance": {"type": "object", "required": ["id", "state"], "properties": {
        **{name: _NULL_STR for name in (
            "rootProcessInstanceId", "superProcessInstanceId", "superCaseInstanceId", "caseInstanceId",
            "processDefinitionName", "businessKey", "endTime", "removalTime", "startActivityId", "deleteReason",
            "tenantId")},
        "id": {"type": "string"}, "processDefinitionKey": {"type": "string"},
        "processDefinitionVersion": {"type": "integer"}, "processDefinitionId": {"type": "string"},
        "startTime": {"type": "string"}, "durationInMillis": {"type": "integer", "nullable": True},
        "startUserId": {"type": "string"},
        "state": {"type": "string", "enum": ["ACTIVE", "COMPLETED", "EXTERNALLY_TERMINATED"]}}},
    "Incident": {"type": "object", "required": ["id"], "properties": {
        **{name: _NULL_STR for name in (
            "processDefinitionId", "processInstanceId", "executionId", "incidentTimestamp", "incidentType",
            "activityId", "failedActivityId", "causeIncidentId", "rootCauseIncidentId", "configuration", "tenantId",
            "incidentMessage", "jobDefinitionId", "annotation")},
        "id": {"type": "string"}, "attempts": {"type": "integer"}}},
    "Document": {"type": "object", "required": ["id", "businessKey", "filename"], "properties": {
        "id": {"type": "integer"}, "businessKey": {"type": "string"}, "processInstanceId": {"type": "string"},
        "taskId": {"type": "string"}, "templateId": {"type": "string"}, "title": {"type": "string"},
        "filename": {"type": "string"}, "version": {"type": "integer"}, "sha256": {"type": "string"},
        "size": {"type": "integer"}, "createdBy": {"type": "string"}, "created": {"type": "string"},
        "links": {"type": "array", "items": _ref("Link")}}},
    "RetryResult": {"type": "object", "required": ["incidentId", "resolved"], "properties": {
        "incidentId": {"type": "integer"}, "resolved": {"type": "boolean"}, "processInstanceId": {"type": "string"},
        "state": {"type": "string"}, "version": {"type": "integer"}}},
    "MessageCorrelationResult": {"type": "object", "properties": {
        "resultType": {"type": "string"}, "execution": {"type": "object", "nullable": True},
        "processInstance": {"type": "object", "nullable": True}}},
}

_TASK_ID = [_path("id")]
_JSON_BODY = lambda name: {"required": False, "content": {_JSON: {"schema": _ref(name)}}}  # noqa: E731
_NO_CONTENT = {"204": {"description": "Done"}}

PATHS = {
    "/deployment/create": {"post": {
        "summary": "Deploy BPMN, DMN and form files (as Camunda Modeler sends them); needs the role admin",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
            "deployment-name": {"type": "string"}, "deployment-source": {"type": "string"},
            "deploy-changed-only": {"type": "string", "enum": ["true", "false"]},
            "enable-duplicate-filtering": {"type": "string", "enum": ["true", "false"]},
            "data": {"type": "string", "format": "binary", "description": "one part per file, any part name"}}}}}},
        "responses": {"200": _ok(_ref("DeploymentWithDefinitions")),
                      "400": _error("Not multipart, no files, or a file refused (ParseException naming the element)"),
                      "403": _error("Not an admin"), "413": _error("Too large"), **_AUTH}}},
    "/deployment": {"get": {"summary": "Deployments, oldest first", "parameters": [_query("name"), *_PAGING],
                            "responses": {"200": _ok(_array("Deployment")), "400": _error("Bad paging"), **_AUTH}}},
    "/deployment/{id}": {"get": {"summary": "One deployment", "parameters": [_path("id")],
                                 "responses": {"200": _ok(_ref("Deployment")), "404": _error("No such deployment"),
                                               **_AUTH}}},
    "/process-definition": {"get": {"summary": "Process definitions", "parameters": [
        _query("key"), _query("deploymentId"), _query("latestVersion", {"type": "string", "enum": ["true", "false"]}),
        *_PAGING], "responses": {"200": _ok(_array("ProcessDefinition")), "400": _error("Bad parameter"), **_AUTH}}},
    "/process-definition/count": {"get": {"summary": "How many process definitions", "parameters": [
        _query("key"), _query("deploymentId"), _query("latestVersion", {"type": "string", "enum": ["true", "false"]})],
        "responses": {"200": _ok(_ref("Count")), "400": _error("Bad parameter"), **_AUTH}}},
    "/process-definition/{id}": {"get": {"summary": "One definition", "parameters": [_path("id")], "responses": {
        "200": _ok(_ref("ProcessDefinition")), "404": _error("No such definition"), **_AUTH}}},
    "/process-definition/key/{key}": {"get": {"summary": "The newest version of a key", "parameters": [_path("key")],
                                              "responses": {"200": _ok(_ref("ProcessDefinition")),
                                                            "404": _error("No such key"), **_AUTH}}},
    "/process-definition/{id}/xml": {"get": {"summary": "The BPMN XML", "parameters": [_path("id")], "responses": {
        "200": _ok(_ref("ProcessDefinitionXml")), "404": _error("No such definition"), **_AUTH}}},
    "/process-definition/key/{key}/xml": {"get": {"summary": "The BPMN XML of the newest version",
                                                  "parameters": [_path("key")], "responses": {
        "200": _ok(_ref("ProcessDefinitionXml")), "404": _error("No such key"), **_AUTH}}},
    "/process-definition/key/{key}/start": {"post": {
        "summary": "Start the newest version for a case", "parameters": [_path("key")],
        "requestBody": _JSON_BODY("StartProcessInstance"),
        "responses": {"200": _ok(_ref("ProcessInstance")), "400": _error("Bad variables or business key"),
                      "404": _error("No such key"), **_AUTH}}},
    "/process-definition/{id}/start": {"post": {
        "summary": "Start this version for a case", "parameters": [_path("id")],
        "requestBody": _JSON_BODY("StartProcessInstance"),
        "responses": {"200": _ok(_ref("ProcessInstance")), "400": _error("Bad variables or business key"),
                      "404": _error("No such definition"), **_AUTH}}},
    "/task": {"get": {"summary": "Open tasks of your roles, soonest due first (or by sortBy and sortOrder)",
                      "parameters": [*_TASK_QUERY, *_PAGING, _SORT_BY, _SORT_ORDER],
                      "responses": {"200": _ok(_array("Task")), "400": _error("Bad parameter"), **_AUTH}}},
    "/task/count": {"get": {"summary": "How many open tasks of your roles match", "parameters": _TASK_QUERY,
                            "responses": {"200": _ok(_ref("Count")), "400": _error("Bad parameter"), **_AUTH}}},
    "/task/{id}": {"get": {"summary": "One open task (ETag: the instance version)", "parameters": _TASK_ID,
                           "responses": {"200": _ok(_ref("Task")), "404": _error("No such open task for your roles"),
                                         **_AUTH}}},
    "/task/{id}/deployed-form": {"get": {"summary": "The task's Camunda Form (form-js JSON)", "parameters": _TASK_ID,
                                         "responses": {"200": _ok({"type": "object"}),
                                                       "404": _error("No such task, or it has no form"), **_AUTH}}},
    "/task/{id}/claim": {"post": {"summary": "Claim for yourself", "parameters": _TASK_ID,
                                  "requestBody": _JSON_BODY("UserId"), "responses": {
        **_NO_CONTENT, "400": _error("Bad body"), "403": _error("userId is someone else"),
        "404": _error("No such task for your roles"), "409": _error("Claimed by someone else, or done"), **_AUTH}}},
    "/task/{id}/unclaim": {"post": {"summary": "Give back a task you hold", "parameters": _TASK_ID, "responses": {
        **_NO_CONTENT, "403": _error("Held by someone else"), "404": _error("No such task for your roles"),
        "409": _error("Already done"), **_AUTH}}},
}
for _action in ("complete", "submit-form"):
    PATHS[f"/task/{{id}}/{_action}"] = {"post": {
        "summary": "Complete with the form's values (validated against the task's form)",
        "parameters": [*_TASK_ID, {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                                   "description": "the ETag of GET /task/{id}: refuse if the case changed since"}],
        "requestBody": _JSON_BODY("CompleteTask"),
        "responses": {**_NO_CONTENT, "400": _error("Invalid values (details.fields)"),
                      "404": _error("No such task for your roles"), "409": _error("Claimed by someone else, or done"),
                      "412": _error("The case changed since the ETag given"), **_AUTH}}}
PATHS["/deployment/{id}"]["delete"] = {
    "summary": "Delete a deployment and its versions; refused while any instance was started on them, unless "
               "cascade=true (then they are deleted too); needs the role admin",
    "parameters": [_path("id"), _query("cascade", _FLAG), _query("skipCustomListeners", _FLAG),
                   _query("skipIoMappings", _FLAG)],
    "responses": {**_NO_CONTENT, "400": _error("Bad parameter"), "403": _error("Not an admin"),
                  "404": _error("No such deployment"), "409": _error("Instances exist and cascade is not true"),
                  **_AUTH}}
PATHS["/task/{id}/form-variables"] = {"get": {
    "summary": "The values of the task's form fields (typed)", "parameters": [
        *_TASK_ID, _query("variableNames", description="comma-separated names instead of the form's fields")],
    "responses": {"200": _ok({"type": "object", "additionalProperties": _ref("TypedValue")}),
                  "404": _error("No such open task for your roles"), **_AUTH}}}
PATHS["/task/{id}/assignee"] = {"post": {
    "summary": "Give the task to a user holding one of its roles (userId null: to nobody)", "parameters": _TASK_ID,
    "requestBody": {"required": True, "content": {_JSON: {"schema": _ref("UserIdOrNull")}}},
    "responses": {**_NO_CONTENT, "400": _error("No userId, or not a user holding a role of the task"),
                  "404": _error("No such task for your roles"), "409": _error("Already done"), **_AUTH}}}
_INSTANCE_QUERY = [_query("businessKey"), _query("processDefinitionKey")]
PATHS["/process-instance"] = {"get": {
    "summary": "Running instances of the cases you may see (admins: all)", "parameters": [*_INSTANCE_QUERY, *_PAGING],
    "responses": {"200": _ok(_array("ProcessInstance")), "400": _error("Bad paging"), **_AUTH}}}
PATHS["/process-instance/count"] = {"get": {
    "summary": "How many running instances match", "parameters": _INSTANCE_QUERY,
    "responses": {"200": _ok(_ref("Count")), **_AUTH}}}
PATHS["/process-instance/{id}"] = {
    "get": {"summary": "One running instance", "parameters": [_path("id")], "responses": {
        "200": _ok(_ref("ProcessInstance")), "404": _error("No such running instance you may see"), **_AUTH}},
    "delete": {"summary": "Cancel the instance (kept as cancelled, with its history); needs the role admin",
               "parameters": [_path("id"), _query("deleteReason"), _query("skipCustomListeners", _FLAG)],
               "responses": {**_NO_CONTENT, "403": _error("Not an admin"), "404": _error("No such instance"),
                             "409": _error("Already ended"), **_AUTH}}}
PATHS["/process-instance/{id}/activity-instances"] = {"get": {
    "summary": "The elements the instance waits in now (a flat tree under the process)", "parameters": [_path("id")],
    "responses": {"200": _ok(_ref("ActivityInstance")), "404": _error("No such instance you may see"), **_AUTH}}}
_HISTORY_QUERY = [*_INSTANCE_QUERY, _query("finished", _FLAG)]
PATHS["/history/process-instance"] = {"get": {
    "summary": "Instances, running and ended, of the cases you may see", "parameters": [*_HISTORY_QUERY, *_PAGING],
    "responses": {"200": _ok(_array("HistoricProcessInstance")), "400": _error("Bad parameter"), **_AUTH}}}
PATHS["/history/process-instance/count"] = {"get": {
    "summary": "How many instances match", "parameters": _HISTORY_QUERY,
    "responses": {"200": _ok(_ref("Count")), "400": _error("Bad parameter"), **_AUTH}}}
PATHS["/incident"] = {"get": {
    "summary": "Open incidents of the cases you may see", "parameters": [_query("processInstanceId"), *_PAGING],
    "responses": {"200": _ok(_array("Incident")), "400": _error("Bad paging"), **_AUTH}}}
# Stepwise's own routes live under /api (the path's `servers` says so).
_STEPWISE = [{"url": "/api", "description": "Stepwise's own routes, beside /engine-rest"}]
STEPWISE_PATHS = {
    "/case/{businessKey}/documents": {"servers": _STEPWISE, "get": {
        "summary": "Stepwise: the case's documents, newest version of each (allVersions=true: all)",
        "parameters": [_path("businessKey"), _query("allVersions", _FLAG)],
        "responses": {"200": _ok(_array("Document")), "400": _error("Bad parameter"),
                      "404": _error("No case you may see"), **_AUTH}}},
    "/document/{id}/content": {"servers": _STEPWISE, "get": {
        "summary": "Stepwise: a document's .docx", "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}}],
        "responses": {"200": {"description": "The Word document", "content": {
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
                "schema": {"type": "string", "format": "binary"}}}},
            "404": _error("No document of a case you may see"), **_AUTH}}},
    "/incident/{id}/retry": {"servers": _STEPWISE, "post": {
        "summary": "Stepwise: run again what failed; needs the role admin", "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}}],
        "responses": {"200": _ok(_ref("RetryResult")), "403": _error("Not an admin"),
                      "404": _error("No such incident"), "409": _error("Already resolved"), **_AUTH}}},
}
PATHS.update(STEPWISE_PATHS)
PATHS["/message"] = {"post": {
    "summary": "Correlate a message to the one instance waiting for it", "requestBody": {
        "required": True, "content": {_JSON: {"schema": _ref("CorrelationMessage")}}},
    "responses": {**_NO_CONTENT, "200": _ok(_array("MessageCorrelationResult"), "With resultEnabled"),
                  "400": _error("No messageName, or no / several instances wait for it"), **_AUTH}}}
PATHS["/openapi.json"] = {"get": {"summary": "This document", "security": [],
                                  "responses": {"200": _ok({"type": "object"})}}}

for _operations in PATHS.values():
    for _method, _operation in _operations.items():
        if _method == "servers":
            continue
        takes_input = _operation.get("requestBody") or any(p["in"] == "query" for p in _operation.get("parameters", []))
        if takes_input and "400" not in _operation["responses"]:
            # Any query parameter or body can be refused (e.g. a NUL character, which PostgreSQL cannot store).
            _operation["responses"]["400"] = _error("Bad parameter")
        if any(p["in"] == "path" for p in _operation.get("parameters", [])) and "404" not in _operation["responses"]:
            _operation["responses"]["404"] = _error("No such resource")

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {"title": "Stepwise REST API (Camunda 7 dialect)", "version": "1",
             "description": "The parts of Camunda 7's REST API that Stepwise answers. HTTP Basic with a Stepwise "
                            "account or a bearer API token; you see and act on tasks of your roles only; deploying needs the role admin."},
    "servers": [{"url": "/engine-rest"}],
    "security": [{"basic": []}, {"bearer": []}],
    "paths": PATHS,
    "components": {"schemas": SCHEMAS, "securitySchemes": {
        "basic": {"type": "http", "scheme": "basic"},
        "bearer": {"type": "http", "scheme": "bearer", "description": "an API token from the admin page"}}},
}


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(DOCUMENT)
