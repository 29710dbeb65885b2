"""The REST API in the Camunda 7 dialect through Flask's test client on the real database:
deploy as Camunda Modeler does (multipart, its field names, HTTP Basic), start, list, claim,
complete, correlate; each error case answers with its status and leaves everything as it was."""
from __future__ import annotations

import io
import re
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select

from engine.catalog import collect
from engine.store import models
from engine.tasklist import accounts, create_app
from api_helpers import basic as _basic_header, nullable  # tests/api_helpers.py
from page_helpers import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
KEY = "north_somerset_step_down"
PROPOSAL = {
    "level_of_need_summary": {"value": "CIN plan goals met; school attendance 96%.", "type": "String"},
    "step_down_reason": {"value": "Parents engaging well.", "type": "String"},
    "proposed_fsw_role": {"value": "Weekly home visits for 12 weeks.", "type": "String"},
}
CASE = {"council": "north_somerset", "children": [{"name": "Robin Example", "date_of_birth": "2016-03-14"}]}


@pytest.fixture
def app(db, clock):
    accounts.save_user(db, "admin.lee", "Lee Admin", ["admin"], password=PASSWORD)
    accounts.save_user(db, "sw.amira", "Amira Khan", ["social_worker"], password=PASSWORD)
    accounts.save_user(db, "sw.bob", "Bob Other", ["social_worker"], password=PASSWORD)
    accounts.save_user(db, "tm.jones", "Gareth Jones", ["team_manager"], password=PASSWORD)
    accounts.save_user(db, "fd.chen", "Wei Chen", ["front_door"], password=PASSWORD)
    return create_app({"DATABASE": db, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False})


def basic(username: str, password: str = PASSWORD) -> dict:
    return _basic_header(username, password)


class Api:
    """A client acting as one user, recording each JSON response for the schema check."""

    seen: list = []

    def __init__(self, app, username: str | None):
        self.client, self.headers = app.test_client(), (basic(username) if username else {})

    def call(self, method: str, path: str, *, headers=None, **kwargs):
        response = self.client.open("/engine-rest" + path, method=method, headers={**self.headers, **(headers or {})},
                                    **kwargs)
        Api.seen.append((method.lower(), path.split("?")[0], response))
        return response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)


def modeler_parts(folders, name="north-somerset", **settings) -> dict:
    """The multipart body Camunda Modeler's Deploy button sends: settings, then one part per file."""
    data = {"deployment-name": name, "deployment-source": "Camunda Modeler", "deploy-changed-only": "true",
            "enable-duplicate-filtering": "true", **settings}
    for file in collect(folders):
        data[file.filename] = (io.BytesIO(file.content), file.filename, "application/octet-stream")
    return data


NS = [ROOT / "processes" / "north_somerset", ROOT / "processes" / "common"]


def deploy_ns(app):
    response = Api(app, "admin.lee").post("/deployment/create", data=modeler_parts(NS), content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def state(db) -> dict:
    """Everything an error must leave alone."""
    with db.reader() as session:
        return {
            "deployments": session.scalar(select(func.count()).select_from(models.Deployment)),
            "definitions": session.scalar(select(func.count()).select_from(models.ProcessDefinition)),
            "instances": sorted(session.execute(select(models.ProcessInstance.id, models.ProcessInstance.version,
                                                       models.ProcessInstance.state)).all()),
            "tasks": sorted(session.execute(select(models.HumanTask.id, models.HumanTask.state,
                                                   models.HumanTask.assignee)).all()),
            "audit": session.scalar(select(func.count()).select_from(models.AuditEvent)),
        }


def start_case(app, business_key="NS-API-1", user="sw.amira"):
    response = Api(app, user).post(f"/process-definition/key/{KEY}/start", json={
        "businessKey": business_key, "case": CASE,
        "variables": {"referral_source": {"value": "family_support_and_safeguarding", "type": "String"}}})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def only_task(app, user, **query):
    response = Api(app, user).get("/task", query_string=query)
    assert response.status_code == 200
    (task,) = response.get_json()
    return task


# -- the whole way through ----------------------------------------------------------------------

def test_modeler_deploys_then_a_case_runs_through_the_api(db, app):
    body = deploy_ns(app)
    assert body["name"] == "north-somerset" and body["source"] == "Camunda Modeler"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", body["deploymentTime"])
    definition_id = next(i for i in body["deployedProcessDefinitions"] if i.startswith(KEY + ":"))
    assert body["deployedProcessDefinitions"][definition_id] | {} == {
        **body["deployedProcessDefinitions"][definition_id], "key": KEY, "version": 1, "deploymentId": body["id"]}
    assert {d["key"] for d in body["deployedProcessDefinitions"].values()} >= {KEY, "common_safeguarding_referral"}

    # Deploying the same files again (Modeler's deploy-changed-only): the same deployment, nothing new.
    again = Api(app, "admin.lee").post("/deployment/create", data=modeler_parts(NS), content_type="multipart/form-data")
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    assert again.get_json()["deployedProcessDefinitions"] is None

    reader = Api(app, "sw.amira")
    assert [d["id"] for d in reader.get("/deployment").get_json()] == [body["id"]]
    assert reader.get(f"/deployment/{body['id']}").get_json()["name"] == "north-somerset"
    (latest,) = reader.get("/process-definition", query_string={"key": KEY, "latestVersion": "true"}).get_json()
    assert latest["id"] == definition_id and latest["resource"] == "step_down_to_fwb.bpmn"
    xml = reader.get(f"/process-definition/{definition_id}/xml").get_json()
    assert xml["id"] == definition_id and f'<bpmn:process id="{KEY}"' in xml["bpmn20Xml"]
    assert reader.get("/process-definition/count").get_json()["count"] == len(body["deployedProcessDefinitions"])

    started = start_case(app)
    assert started["definitionId"] == definition_id and started["businessKey"] == "NS-API-1"
    assert started["ended"] is False

    # The task list shows tasks of the caller's roles only.
    task = only_task(app, "sw.amira", processInstanceBusinessKey="NS-API-1")
    assert task["taskDefinitionKey"] == "propose_step_down" and task["processInstanceId"] == started["id"]
    assert task["processDefinitionId"] == definition_id and task["camundaFormRef"]["key"] == "ns_propose_step_down"
    assert Api(app, "tm.jones").get("/task", query_string={"processInstanceBusinessKey": "NS-API-1"}).get_json() == []
    assert Api(app, "sw.amira").get("/task/count", query_string={"candidateGroup": "social_worker"}).get_json() == {"count": 1}
    assert Api(app, "sw.amira").get("/task/count", query_string={"candidateGroup": "team_manager"}).get_json() == {"count": 0}
    form = reader.get(f"/task/{task['id']}/deployed-form").get_json()
    assert form["id"] == "ns_propose_step_down"

    assert reader.post(f"/task/{task['id']}/claim", json={"userId": "sw.amira"}).status_code == 204
    one = reader.get(f"/task/{task['id']}")
    assert one.get_json()["assignee"] == "sw.amira" and one.headers["ETag"] == '"1"'
    assert only_task(app, "sw.amira", assignee="sw.amira")["id"] == task["id"]
    done = reader.post(f"/task/{task['id']}/complete", json={"variables": PROPOSAL}, headers={"If-Match": one.headers["ETag"]})
    assert done.status_code == 204, done.get_json()

    manager = Api(app, "tm.jones")
    agree = only_task(app, "tm.jones", candidateGroup="team_manager", processInstanceId=started["id"])
    assert agree["taskDefinitionKey"] == "tm_agree_step_down"
    submitted = manager.post(f"/task/{agree['id']}/submit-form", json={"variables": {
        "tm_decision": {"value": "agree", "type": "String"}, "tm_rationale": {"value": "Needs now at level 3."}}})
    assert submitted.status_code == 204, submitted.get_json()

    # A safeguarding concern reaches the waiting procedure: the front door gets an urgent referral.
    assert Api(app, "fd.chen").get("/task").get_json() == []
    correlated = Api(app, "sw.bob").post("/message", json={
        "messageName": "safeguarding_concern", "businessKey": "NS-API-1", "resultEnabled": True,
        "processVariables": {"concern": {"value": "Bruising seen at school.", "type": "String"}}})
    assert correlated.status_code == 200, correlated.get_json()
    assert correlated.get_json()[0]["execution"]["processInstanceId"] == started["id"]
    referral = only_task(app, "fd.chen", processInstanceBusinessKey="NS-API-1")
    assert referral["taskDefinitionKey"] == "urgent_referral"

    with db.reader() as session:
        trail = session.execute(select(models.AuditEvent.action, models.AuditEvent.actor)
                                .where(models.AuditEvent.business_key == "NS-API-1")
                                .order_by(models.AuditEvent.id)).all()
    assert ("task.claimed", "sw.amira") in trail and ("task.completed", "sw.amira") in trail
    assert ("task.completed", "tm.jones") in trail and ("message.correlated", "sw.bob") in trail
    with db.reader() as session:
        deployed_by = session.scalar(select(models.Deployment.deployed_by))
    assert deployed_by == "admin.lee"


# -- errors: the right status, Camunda's error body, nothing changed ----------------------------------

def refused(db, response, status: int, type_: str | None = None, before=None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    body = response.get_json()
    assert set(body) >= {"type", "message"} and body["message"]
    if type_:
        assert body["type"] == type_
    if before is not None:
        assert state(db) == before
    return body


def test_authentication_and_deploy_rights(db, app):
    before = state(db)
    data = modeler_parts(NS)
    response = Api(app, None).post("/deployment/create", data=data, content_type="multipart/form-data")
    refused(db, response, 401, "AuthenticationException", before)
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    client = Api(app, None)
    client.headers = basic("admin.lee", "wrong password")
    refused(db, client.post("/deployment/create", data=modeler_parts(NS), content_type="multipart/form-data"),
            401, "AuthenticationException", before)
    refused(db, Api(app, "sw.amira").post("/deployment/create", data=modeler_parts(NS), content_type="multipart/form-data"),
            403, "AuthorizationException", before)
    refused(db, Api(app, None).get("/task"), 401)
    refused(db, Api(app, "admin.lee").get("/no/such/thing"), 404)


def test_bad_multipart_and_invalid_bpmn_deploy_nothing(db, app):
    admin = Api(app, "admin.lee")
    before = state(db)
    refused(db, admin.post("/deployment/create", json={"deployment-name": "x"}), 400, "InvalidRequestException", before)
    refused(db, admin.post("/deployment/create", data={"deployment-name": "x"}, content_type="multipart/form-data"),
            400, "InvalidRequestException", before)
    garbage = admin.post("/deployment/create", data=b"--XYZ\r\nnot a part\r\n", content_type="multipart/form-data; boundary=XYZ")
    refused(db, garbage, 400, before=before)
    refused(db, admin.post("/deployment/create", data=modeler_parts(NS, **{"deploy-changed-only": "maybe"}),
                           content_type="multipart/form-data"), 400, "InvalidRequestException", before)

    # A task naming a form that is not in the deployment: refused whole, naming the element.
    data = modeler_parts(NS)
    content = data["step_down_to_fwb.bpmn"][0].getvalue().replace(
        b'camunda:formRef="ns_propose_step_down"', b'camunda:formRef="ns_no_such_form"')
    data["step_down_to_fwb.bpmn"] = (io.BytesIO(content), "step_down_to_fwb.bpmn")
    body = refused(db, admin.post("/deployment/create", data=data, content_type="multipart/form-data"),
                   400, "ParseException", before)
    assert "propose_step_down" in body["message"] and "ns_no_such_form" in body["message"]
    (problem,) = body["details"]["step_down_to_fwb.bpmn"]["errors"]
    assert problem["mainElementId"] == "propose_step_down" and problem["line"] > 0

    # Not XML at all.
    data = modeler_parts(NS)
    data["step_down_to_fwb.bpmn"] = (io.BytesIO(b"<bpmn:definitions"), "step_down_to_fwb.bpmn")
    refused(db, admin.post("/deployment/create", data=data, content_type="multipart/form-data"), 400, "ParseException", before)


@pytest.fixture
def open_task(db, app):
    deploy_ns(app)
    started = start_case(app)
    return only_task(app, "sw.amira", processInstanceId=started["id"])


def test_unknown_task_and_wrong_user_change_nothing(db, app, open_task):
    task_id = open_task["id"]
    before = state(db)
    amira, bob, manager = Api(app, "sw.amira"), Api(app, "sw.bob"), Api(app, "tm.jones")
    for path in ("/task/no-such-task", "/task/no-such-task/deployed-form"):
        refused(db, amira.get(path), 404, before=before)
    for action in ("claim", "unclaim", "complete", "submit-form"):
        refused(db, amira.post(f"/task/no-such-task/{action}", json={}), 404, before=before)
        # Not one of the manager's roles: the task does not exist for them.
        refused(db, manager.post(f"/task/{task_id}/{action}", json={"variables": PROPOSAL}), 404, before=before)
    refused(db, manager.get(f"/task/{task_id}"), 404, before=before)
    refused(db, amira.post(f"/task/{task_id}/claim", json={"userId": "sw.bob"}), 403, "AuthorizationException", before)

    assert amira.post(f"/task/{task_id}/claim", json={}).status_code == 204
    before = state(db)
    refused(db, bob.post(f"/task/{task_id}/claim", json={}), 409, "Conflict", before)
    refused(db, bob.post(f"/task/{task_id}/unclaim"), 403, "AuthorizationException", before)
    refused(db, bob.post(f"/task/{task_id}/complete", json={"variables": PROPOSAL}), 409, "Conflict", before)


def test_invalid_and_stale_submissions_change_nothing(db, app, open_task):
    task_id = open_task["id"]
    amira = Api(app, "sw.amira")
    before = state(db)
    missing = {k: v for k, v in PROPOSAL.items() if k != "step_down_reason"}
    body = refused(db, amira.post(f"/task/{task_id}/complete", json={"variables": missing}), 400,
                   "InvalidRequestException", before)
    assert set(body["details"]["fields"]) == {"step_down_reason"}
    wrong_type = {**PROPOSAL, "step_down_reason": {"value": 42, "type": "String"}}
    refused(db, amira.post(f"/task/{task_id}/complete", json={"variables": wrong_type}), 400, "InvalidRequestException", before)
    refused(db, amira.post(f"/task/{task_id}/complete", json={"variables": {"x": {"value": "1", "type": "Integer"}}}
                           | {"variables": {"x": {"value": "one", "type": "Integer"}}}), 400, before=before)
    refused(db, amira.post(f"/task/{task_id}/complete", data="{not json", content_type="application/json"), 400,
            before=before)
    stale = refused(db, amira.post(f"/task/{task_id}/complete", json={"variables": PROPOSAL}, headers={"If-Match": '"7"'}),
                    412, "StaleVersion", before)
    assert stale["currentVersion"] == 1
    refused(db, amira.get("/task", query_string={"dueBefore": "next tuesday"}), 400, "InvalidRequestException", before)
    refused(db, amira.get("/task", query_string={"maxResults": "-1"}), 400, before=before)

    assert amira.post(f"/task/{task_id}/complete", json={"variables": PROPOSAL}).status_code == 204
    before = state(db)
    refused(db, amira.post(f"/task/{task_id}/complete", json={"variables": PROPOSAL}), 409, "Conflict", before)
    refused(db, amira.get(f"/task/{task_id}"), 404, before=before)  # done tasks are history, not the task list


def test_start_and_message_errors_change_nothing(db, app, open_task):
    amira = Api(app, "sw.amira")
    before = state(db)
    refused(db, amira.post("/process-definition/key/no_such_process/start", json={"businessKey": "X-1"}), 404, before=before)
    refused(db, amira.post(f"/process-definition/key/{KEY}/start", json={}), 400, "InvalidRequestException", before)
    refused(db, amira.post(f"/process-definition/key/{KEY}/start", json={
        "businessKey": "X-2", "variables": {"n": {"value": "x", "type": "Long"}}}), 400, before=before)
    # A case reference in use that none of your roles can see is not yours to add to.
    refused(db, Api(app, "fd.chen").post(f"/process-definition/key/{KEY}/start", json={"businessKey": "NS-API-1"}),
            400, before=before)
    refused(db, amira.post("/message", json={"messageName": "safeguarding_concern", "businessKey": "NO-SUCH-CASE"}),
            400, "MismatchingMessageCorrelationException", before)
    refused(db, amira.post("/message", json={"businessKey": "NS-API-1"}), 400, before=before)


# -- the OpenAPI document describes what answers --------------------------------------------------------



def _template(document, method, path):
    for template, operations in document["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if method in operations and re.match(pattern, path):
            if template.endswith("/count") or "/key/" in template or path.count("/") == template.count("/"):
                yield template, operations[method]


def test_openapi_document_matches_every_route_and_response(db, app):
    Api.seen = []
    test_modeler_deploys_then_a_case_runs_through_the_api(db, app)
    test_authentication_and_deploy_rights(db, app)
    response = app.test_client().get("/engine-rest/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.0")
    routes = {re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", "{x}", r.rule.removeprefix("/engine-rest").removeprefix("/api"))
              for r in app.url_map.iter_rules()
              # /engine-rest, and the /api routes this document describes too (engine/api/extensions.py)
              if r.endpoint.split(".")[0] in ("engine_rest", "stepwise_api") and "_unknown" not in r.rule}
    documented = {re.sub(r"\{\w+\}", "{x}", p) for p in document["paths"]}
    assert routes == documented
    components = nullable(document["components"])
    checked = 0
    for method, path, answer in Api.seen:
        if path == "/no/such/thing":
            continue  # deliberately not in the API
        matches = list(_template(document, method, path))
        assert matches, f"{method} {path} is not documented"
        template, operation = sorted(matches, key=lambda m: (m[0].count("{"), -len(m[0])))[0]
        documented_answer = operation["responses"].get(str(answer.status_code))
        assert documented_answer, f"{method} {template} answered {answer.status_code}, not documented"
        schema = (documented_answer.get("content") or {}).get("application/json", {}).get("schema")
        if schema is None:
            assert not answer.get_data(), f"{method} {template} {answer.status_code} has an undocumented body"
            continue
        jsonschema.validate(answer.get_json(), {**nullable(schema), "components": components})
        checked += 1
    assert checked > 20
