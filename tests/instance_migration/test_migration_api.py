"""`/api/migration/*`, `/api/process-instance/{id}/reset|history` and `/api/incident/retry` over
real HTTP (Flask's test client), each answer checked against `/api/openapi.json`."""
from __future__ import annotations

import re

import jsonschema

from engine import runtime

from . import versions as v
from .snapshot import rows
from .versions import folder  # noqa: F401 - a fixture
from .web import app  # noqa: F401 - a fixture
from api_helpers import basic as _basic_header, nullable  # tests/api_helpers.py
from page_helpers import PASSWORD


def basic(username: str) -> dict:
    return _basic_header(username, PASSWORD)




class Api:
    def __init__(self, app, username: str | None):
        self.app, self.client = app, app.test_client()
        self.headers = basic(username) if username else {}
        self.document = self.client.get("/api/openapi.json").get_json()

    def call(self, method: str, path: str, **kwargs):
        response = self.client.open("/api" + path, method=method, headers=self.headers, **kwargs)
        self.check(method.lower(), path, response)
        return response

    def check(self, method: str, path: str, response) -> None:
        """The answer's status is documented for that route, and its body matches the schema."""
        for template, operations in self.document["paths"].items():
            if method in operations and re.match("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$", path):
                documented = operations[method]["responses"].get(str(response.status_code))
                assert documented, f"{method} {template} answered {response.status_code}, not documented"
                schema = documented["content"]["application/json"]["schema"]
                jsonschema.validate(response.get_json(), {**nullable(schema),
                                                          "components": nullable(self.document["components"])})
                return
        raise AssertionError(f"{method} {path} is not documented")

    def post(self, path, body=None, **kw):
        return self.call("POST", path, json=body, **kw)

    def get(self, path):
        return self.call("GET", path)


def test_preview_then_execute_over_http(db, app, folder):
    case = v.start(db, "U-SIGN")
    v.closing_plan(db, "U-SIGN")
    v.rename_and_add_check(folder)
    v.deploy_folder(db, folder)
    admin = Api(app, "admin.lee")
    body = {"processDefinitionKey": v.KEY, "fromVersion": 1, "toVersion": 2}

    preview = admin.post("/migration/preview", body)
    assert preview.status_code == 200
    [plan] = preview.get_json()["instances"]
    assert plan["processInstanceId"] == case.instance_id and plan["migratable"] and plan["reasons"] == []
    [task] = [t for t in plan["tasks"] if t["activityId"] == "signposting"]
    assert task["targetActivityId"] == "signposting" and task["targetName"] == "Offer signposting to Family Hub services"

    done = admin.post("/migration/execute", {**body, "expectedVersions": {case.instance_id: plan["version"]}})
    assert done.status_code == 200
    assert done.get_json()["migrated"] == 1 and done.get_json()["results"][0]["version"] == plan["version"] + 1
    assert v.open_task(db, "U-SIGN", "signposting").name == "Offer signposting to Family Hub services"
    assert admin.post("/migration/preview", body).get_json()["instances"] == []


def test_migration_refusals_over_http_change_nothing(db, app, folder):
    case = v.start(db, "U-SIGN")
    v.closing_plan(db, "U-SIGN")
    v.remove_signposting(folder)
    v.deploy_folder(db, folder)
    before = rows(db, case.instance_id)
    body = {"processDefinitionKey": v.KEY, "fromVersion": 1, "toVersion": 2}
    admin = Api(app, "admin.lee")

    refused = admin.post("/migration/execute", body)
    assert refused.status_code == 200 and refused.get_json()["refused"] == 1
    assert "(signposting) is not in version 2" in refused.get_json()["results"][0]["reasons"][0]
    assert Api(app, None).post("/migration/execute", body).status_code == 401
    assert Api(app, "sw.amira").post("/migration/execute", body).status_code == 403
    assert admin.post("/migration/execute", {**body, "toVersion": "2"}).status_code == 400
    assert admin.post("/migration/execute", {**body, "toVersion": 7}).status_code == 404
    assert admin.post("/migration/execute", {**body, "processInstanceIds": "all"}).status_code == 400
    assert admin.post("/migration/preview", data="{not json", content_type="application/json").status_code == 400
    assert rows(db, case.instance_id) == before


def test_reset_history_and_bulk_retry_over_http(db, app, folder):
    case = v.start(db, "U-BACK")
    v.closing_plan(db, "U-BACK")
    done = runtime.tasks(db, business_key="U-BACK", state="completed")[0]
    admin = Api(app, "admin.lee")
    before = rows(db, case.instance_id)
    path = f"/process-instance/{case.instance_id}/reset"
    assert admin.post(path, {"taskId": done.id}).status_code == 400
    assert admin.post(path, {"taskId": done.id, "reason": ""}).status_code == 400
    assert admin.post(path, {"taskId": v.open_task(db, "U-BACK", "signposting").id, "reason": "x"}).status_code == 409
    assert admin.post(path, {"taskId": done.id, "reason": "x", "expectedVersion": 1}).status_code == 412
    assert admin.post("/process-instance/nope/reset", {"taskId": done.id, "reason": "x"}).status_code == 404
    assert Api(app, "sw.amira").post(path, {"taskId": done.id, "reason": "x"}).status_code == 403
    assert rows(db, case.instance_id) == before

    reset = admin.post(path, {"taskId": done.id, "reason": "The family's answer was recorded wrongly"})
    assert reset.status_code == 200 and reset.get_json()["taskId"] == done.id
    assert [t.element_id for t in runtime.tasks(db, business_key="U-BACK")] == ["closing_plan"]
    assert v.closing_plan(db, "U-BACK", engage="no").state == "completed"

    history = admin.get(f"/process-instance/{case.instance_id}/history").get_json()
    reset_row = [a for a in history["audit"] if a["action"] == "instance.reset"][0]
    assert reset_row["userId"] == "admin.lee" and reset_row["details"]["reason"] == "The family's answer was recorded wrongly"
    assert history["state"] == "completed" and {t["activityId"] for t in history["tasks"]} == {"closing_plan", "signposting"}
    assert admin.get("/process-instance/nope/history").status_code == 404

    other = v.start(db, "U-INC")
    incident = runtime.record_incident(db, other.instance_id, None, "the records system did not answer", "worker")
    assert admin.post("/incident/retry", {"incidentIds": ["x"]}).status_code == 400
    retried = admin.post("/incident/retry", {})
    assert retried.status_code == 200
    assert retried.get_json()["results"] == [{"incidentId": incident, "resolved": True, "error": None}]
    assert runtime.incidents(db) == []
