"""The REST API's later endpoints: deleting a deployment, task sorting, form variables and
assignee, process instances and their history, incidents, and Stepwise's /api routes (documents,
incident retry). Real HTTP through Flask's test client on the real database; every refusal is
checked to change nothing, and every answer against the OpenAPI document."""
from __future__ import annotations

import hashlib

import jsonschema
import sqlalchemy
from sqlalchemy import select

from engine import runtime
from engine.documents import store as documents
from engine.store import models

from api_helpers import nullable  # tests/api_helpers.py
from test_api import (  # noqa: F401  (app is a fixture)
    KEY, PROPOSAL, _template, app, basic, deploy_ns, only_task, start_case, state)

OPENAPI: dict = {}


def conforms(app, method: str, path: str, response, prefix: str = "/engine-rest"):
    """The answer is documented (status and body schema) in /engine-rest/openapi.json."""
    if not OPENAPI:
        OPENAPI.update(app.test_client().get("/engine-rest/openapi.json").get_json())
    matches = list(_template(OPENAPI, method.lower(), path.split("?")[0]))
    assert matches, f"{method} {path} is not documented"
    _template_path, operation = sorted(matches, key=lambda m: (m[0].count("{"), -len(m[0])))[0]
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{method} {path} answered {response.status_code}: not documented"
    schema = (documented.get("content") or {}).get("application/json", {}).get("schema")
    if schema is not None:
        jsonschema.validate(response.get_json(), {**nullable(schema), "components": nullable(OPENAPI["components"])})
    return response


def call(app, user, method, path, prefix="/engine-rest", **kwargs):
    response = app.test_client().open(prefix + path, method=method, headers=basic(user), **kwargs)
    return conforms(app, method, path, response)


def refused(db, response, status, type_=None, before=None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    if type_:
        assert response.get_json()["type"] == type_
    if before is not None:
        assert state(db) == before


def audit_actions(db) -> list[str]:
    with db.reader() as session:
        return list(session.scalars(select(models.AuditEvent.action).order_by(models.AuditEvent.id)))


# -- DELETE /deployment/{id} -------------------------------------------------------------------------

def test_a_deployment_with_instances_is_deleted_only_with_cascade(db, app):
    deployment = deploy_ns(app)
    instance = start_case(app)
    before = state(db)
    refused(db, call(app, "admin.lee", "DELETE", f"/deployment/{deployment['id']}"), 409, "ProcessEngineException",
            before)
    refused(db, call(app, "admin.lee", "DELETE", f"/deployment/{deployment['id']}?cascade=maybe"), 400, before=before)
    refused(db, call(app, "sw.amira", "DELETE", f"/deployment/{deployment['id']}?cascade=true"), 403,
            "AuthorizationException", before)
    refused(db, call(app, "admin.lee", "DELETE", "/deployment/no-such-id?cascade=true"), 404, before=before)
    assert call(app, "admin.lee", "DELETE", f"/deployment/{deployment['id']}?cascade=true").status_code == 204
    after = state(db)
    assert (after["deployments"], after["definitions"], after["instances"], after["tasks"]) == (0, 0, [], [])
    assert after["audit"] == before["audit"] + 1 and audit_actions(db)[-1] == "deployment.deleted"
    assert call(app, "admin.lee", "GET", f"/deployment/{deployment['id']}").status_code == 404
    assert call(app, "sw.amira", "GET", "/history/process-instance?businessKey=NS-API-1").get_json() == []
    assert instance["id"] not in str(call(app, "admin.lee", "GET", "/process-instance").get_json())


def test_an_unused_deployment_is_deleted_without_cascade(db, app):
    deployment = deploy_ns(app)
    assert call(app, "admin.lee", "DELETE", f"/deployment/{deployment['id']}").status_code == 204
    assert state(db)["definitions"] == 0
    deploy_ns(app)  # the same files deploy again afterwards
    assert state(db)["deployments"] == 1


def test_every_foreign_key_to_what_a_cascade_deletes_cascades_too(db):
    """undeploy(cascade=True) deletes instances and the deployment and leaves the rest to the
    database's ON DELETE CASCADE (engine/catalog/undeploy.py): a table added later with a plain
    foreign key to one of them would turn that deletion into an integrity error (a 500)."""
    inspector = sqlalchemy.inspect(db.engine)
    keys = [(table, key) for table in inspector.get_table_names() for key in inspector.get_foreign_keys(table)]
    deleted = {"deployment", "process_instance"}
    while True:  # what goes by cascade from those, and from what goes with them
        more = {table for table, key in keys if key["referred_table"] in deleted
                and (key.get("options") or {}).get("ondelete", "").upper() == "CASCADE"}
        if more <= deleted:
            break
        deleted |= more
    # process_instance's own rows are deleted first, by undeploy itself.
    blocking = [f"{table}.{key['constrained_columns']} -> {key['referred_table']}" for table, key in keys
                if key["referred_table"] in deleted and table != "process_instance"
                and (key.get("options") or {}).get("ondelete", "").upper() not in ("CASCADE", "SET NULL")]
    assert {"process_definition", "human_task", "workflow_task"} <= deleted
    assert blocking == []


# -- tasks: sortBy/sortOrder, form-variables, assignee ----------------------------------------------

def test_tasks_sort_by_camundas_names_and_refuse_others(db, app, clock):
    deploy_ns(app)
    started = []
    for n in range(3):
        started.append(start_case(app, f"NS-SORT-{n}")["id"])
        clock.advance(minutes=5)
    ascending = call(app, "sw.amira", "GET", "/task?sortBy=created&sortOrder=asc").get_json()
    descending = call(app, "sw.amira", "GET", "/task?sortBy=created&sortOrder=desc").get_json()
    assert [t["processInstanceId"] for t in ascending] == started
    assert [t["processInstanceId"] for t in descending] == started[::-1]
    paged = call(app, "sw.amira", "GET", "/task?sortBy=created&sortOrder=desc&firstResult=1&maxResults=1").get_json()
    assert [t["processInstanceId"] for t in paged] == [started[1]]
    for query in ("sortBy=created", "sortOrder=asc", "sortBy=priority&sortOrder=asc", "sortBy=created&sortOrder=up"):
        refused(db, call(app, "sw.amira", "GET", f"/task?{query}"), 400, "InvalidRequestException")


def test_form_variables_are_the_forms_fields_typed(db, app):
    deploy_ns(app)
    start_case(app)
    task = only_task(app, "sw.amira")
    answer = call(app, "sw.amira", "GET", f"/task/{task['id']}/form-variables").get_json()
    assert set(PROPOSAL) <= set(answer) and answer["step_down_reason"] == {"value": None, "type": "Null", "valueInfo": {}}
    named = call(app, "sw.amira", "GET", f"/task/{task['id']}/form-variables?variableNames=referral_source").get_json()
    assert named == {"referral_source": {"value": "family_support_and_safeguarding", "type": "String", "valueInfo": {}}}
    refused(db, call(app, "tm.jones", "GET", f"/task/{task['id']}/form-variables"), 404)
    refused(db, call(app, "sw.amira", "GET", "/task/no-such-task/form-variables"), 404)


def test_assignee_goes_only_to_a_user_holding_a_role_of_the_task(db, app):
    deploy_ns(app)
    start_case(app)
    task = only_task(app, "sw.amira")
    path = f"/task/{task['id']}/assignee"
    before = state(db)
    for body in ({"userId": "tm.jones"}, {"userId": "nobody"}, {}, {"userId": 7}):
        refused(db, call(app, "sw.amira", "POST", path, json=body), 400, "InvalidRequestException", before)
    refused(db, call(app, "tm.jones", "POST", path, json={"userId": "tm.jones"}), 404, before=before)
    assert call(app, "sw.amira", "POST", path, json={"userId": "sw.bob"}).status_code == 204
    assert only_task(app, "sw.bob")["assignee"] == "sw.bob"
    assert audit_actions(db)[-1] == "task.assigned"
    assert call(app, "sw.amira", "POST", path, json={"userId": None}).status_code == 204
    assert only_task(app, "sw.amira")["assignee"] is None


# -- process instances, history, activity instances -------------------------------------------------

def test_process_instances_of_the_cases_you_may_see(db, app, clock):
    deploy_ns(app)
    instance = start_case(app)
    listed = call(app, "sw.amira", "GET", "/process-instance?businessKey=NS-API-1").get_json()
    assert [i["id"] for i in listed] == [instance["id"]] and listed[0]["ended"] is False
    assert call(app, "sw.amira", "GET", f"/process-instance?processDefinitionKey={KEY}").get_json() == listed
    assert call(app, "sw.amira", "GET", "/process-instance?processDefinitionKey=other").get_json() == []
    assert call(app, "sw.amira", "GET", "/process-instance/count").get_json() == {"count": 1}
    assert call(app, "fd.chen", "GET", "/process-instance").get_json() == []  # not a case of their roles
    refused(db, call(app, "fd.chen", "GET", f"/process-instance/{instance['id']}"), 404)
    assert call(app, "sw.amira", "GET", f"/process-instance/{instance['id']}").get_json()["id"] == instance["id"]
    tree = call(app, "sw.amira", "GET", f"/process-instance/{instance['id']}/activity-instances").get_json()
    task = only_task(app, "sw.amira")
    assert tree["activityId"] == KEY and [c["activityId"] for c in tree["childActivityInstances"]] == \
        [task["taskDefinitionKey"]]
    assert tree["childActivityInstances"][0]["activityType"] == "userTask"
    (history,) = call(app, "sw.amira", "GET", "/history/process-instance?businessKey=NS-API-1&finished=false").get_json()
    assert history["state"] == "ACTIVE" and history["endTime"] is None and history["startUserId"] == "sw.amira"
    assert call(app, "sw.amira", "GET", "/history/process-instance?finished=true").get_json() == []
    refused(db, call(app, "sw.amira", "GET", "/history/process-instance?finished=perhaps"), 400)


def test_deleting_a_process_instance_cancels_it_for_admins_only(db, app, clock):
    deploy_ns(app)
    instance = start_case(app)
    path = f"/process-instance/{instance['id']}"
    before = state(db)
    refused(db, call(app, "sw.amira", "DELETE", path), 403, "AuthorizationException", before)
    refused(db, call(app, "admin.lee", "DELETE", "/process-instance/no-such-instance"), 404, before=before)
    assert call(app, "admin.lee", "DELETE", path + "?deleteReason=opened+in+error").status_code == 204
    assert state(db)["instances"] == [(instance["id"], before["instances"][0][1] + 1, "cancelled")]
    assert call(app, "sw.amira", "GET", "/task").get_json() == []
    refused(db, call(app, "sw.amira", "GET", path), 404)
    (history,) = call(app, "sw.amira", "GET", "/history/process-instance?finished=true").get_json()
    assert history["state"] == "EXTERNALLY_TERMINATED" and history["durationInMillis"] == 0
    after = state(db)
    refused(db, call(app, "admin.lee", "DELETE", path), 409, "Conflict", after)


# -- incidents and their retry (/api) --------------------------------------------------------------

def test_incidents_are_listed_and_retried_by_an_admin(db, app, clock):
    deploy_ns(app)
    instance = start_case(app)
    incident_id = runtime.record_incident(db, instance["id"], "propose_step_down", "a test fault", "test")
    (listed,) = call(app, "sw.amira", "GET", "/incident").get_json()
    assert listed["id"] == str(incident_id) and listed["incidentMessage"] == "a test fault"
    assert call(app, "sw.amira", "GET", f"/incident?processInstanceId={instance['id']}").get_json() == [listed]
    assert call(app, "fd.chen", "GET", "/incident").get_json() == []
    before = state(db)
    refused(db, call(app, "sw.amira", "POST", f"/incident/{incident_id}/retry", prefix="/api"), 403, before=before)
    refused(db, call(app, "admin.lee", "POST", "/incident/999/retry", prefix="/api"), 404, before=before)
    done = call(app, "admin.lee", "POST", f"/incident/{incident_id}/retry", prefix="/api").get_json()
    assert done["resolved"] is True and done["processInstanceId"] == instance["id"]
    assert call(app, "admin.lee", "GET", "/incident").get_json() == []
    after = state(db)
    refused(db, call(app, "admin.lee", "POST", f"/incident/{incident_id}/retry", prefix="/api"), 409, before=after)
    unknown = app.test_client().get("/api/no/such/thing", headers=basic("admin.lee"))
    assert unknown.status_code == 404 and unknown.get_json()["type"] == "InvalidRequestException"


# -- documents (/api) ------------------------------------------------------------------------------

def test_a_cases_documents_are_listed_and_downloaded_by_those_who_may_see_it(db, app, clock):
    deploy_ns(app)
    instance = start_case(app)
    content = b"PK\x03\x04 a Word document"
    with db.connection() as conn:
        for version in (1, 2):
            stored = documents.insert(conn, business_key="NS-API-1", instance_id=instance["id"], task_id="t",
                                      template_id="ns_closing_plan", template_sha256="0" * 64, version=version,
                                      title="Closing plan", content=content + bytes([version]), fields={}, actor="x")
    (listed,) = call(app, "sw.amira", "GET", "/case/NS-API-1/documents", prefix="/api").get_json()
    assert (listed["id"], listed["version"]) == (stored.id, 2)
    assert len(call(app, "sw.amira", "GET", "/case/NS-API-1/documents?allVersions=true", prefix="/api").get_json()) == 2
    download = call(app, "sw.amira", "GET", f"/document/{stored.id}/content", prefix="/api")
    assert download.status_code == 200 and download.get_data() == content + b"\x02"
    assert hashlib.sha256(download.get_data()).hexdigest() == listed["sha256"]
    assert "attachment" in download.headers["Content-Disposition"]
    assert audit_actions(db)[-2:] == ["case.viewed", "case.viewed"]
    before = state(db)
    refused(db, call(app, "fd.chen", "GET", "/case/NS-API-1/documents", prefix="/api"), 404, before=before)
    refused(db, call(app, "fd.chen", "GET", f"/document/{stored.id}/content", prefix="/api"), 404, before=before)
    refused(db, call(app, "sw.amira", "GET", "/document/999/content", prefix="/api"), 404, before=before)
    refused(db, call(app, "sw.amira", "GET", "/case/NO-SUCH/documents", prefix="/api"), 404, before=before)
    refused(db, app.test_client().get("/api/case/NS-API-1/documents"), 401)


# -- input PostgreSQL could not store is refused before any query ----------------------------------

def test_nul_characters_and_oversized_ids_are_refused_not_server_errors(db, app):
    deploy_ns(app)
    before = state(db)
    refused(db, call(app, "sw.amira", "GET", "/task?assignee=a%00b"), 400, "InvalidRequestException", before)
    refused(db, call(app, "sw.amira", "GET", "/task/a%00b"), 404, "InvalidRequestException", before)
    refused(db, call(app, "sw.amira", "POST", f"/process-definition/key/{KEY}/start",
                     json={"businessKey": "NS-\u0000-1"}), 400, "InvalidRequestException", before)
    refused(db, call(app, "admin.lee", "GET", f"/document/{2**40}/content", prefix="/api"), 404, before=before)
    refused(db, call(app, "admin.lee", "POST", f"/incident/{2**40}/retry", prefix="/api"), 404, before=before)
