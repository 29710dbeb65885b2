"""`/deployment`: create (exactly as Camunda Modeler sends it), list, one, delete."""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for

from engine.catalog import DeploymentError, SourceFile, deploy
from engine.catalog.undeploy import DeploymentInUse, NoSuchDeployment, undeploy
from engine.tasklist import database

from . import bp, queries
from .auth import account, require_admin
from .definitions import definition_json
from .errors import ApiError, invalid, not_found
from .values import camunda_date, flag, paging

MAX_DEPLOYMENT_BYTES = 50 * 1024 * 1024
# Form parts that are settings, not files (Camunda's names).
SETTINGS = {"deployment-name", "deployment-source", "deploy-changed-only", "enable-duplicate-filtering",
            "tenant-id", "deployment-activation-time"}


def resource_name(field: str, filename: str | None) -> str:
    """The file's name in the deployment. Modeler names a part and its file alike; camunda-deploy
    names the part by the path it was given (`processes/halton/step_down.bpmn`) and the file by its
    base name, and several councils have a `step_down.bpmn`: keep the path then."""
    if filename and field.replace("\\", "/").endswith("/" + filename):
        return field.replace("\\", "/").lstrip("/")
    return filename or field


def deployment_json(row) -> dict:
    return {
        "links": [{"method": "GET", "href": url_for("engine_rest.get_deployment", deployment_id=row.id, _external=True),
                   "rel": "self"}],
        "id": row.id, "name": row.name, "source": row.source, "deploymentTime": camunda_date(row.deployed_at),
        "tenantId": None,
    }


def _parse_error(error: DeploymentError) -> ApiError:
    resource = error.filename or "deployment"
    problem = {"message": error.message, "line": error.line or 0, "column": 0,
               "mainElementId": error.element_id, "elementIds": [error.element_id] if error.element_id else []}
    return ApiError(400, "ParseException", f"ENGINE-09005 Could not parse BPMN process. Errors: * {error}",
                    details={resource: {"errors": [problem], "warnings": []}})


@bp.post("/deployment/create")
def create_deployment():
    who = require_admin()
    if request.content_length and request.content_length > MAX_DEPLOYMENT_BYTES:
        raise ApiError(413, "InvalidRequestException", f"a deployment may be at most {MAX_DEPLOYMENT_BYTES // 2**20} MB")
    if request.mimetype != "multipart/form-data":
        raise invalid("a deployment is a multipart/form-data request (Camunda's deployment-name, "
                      "deployment-source and one part per file)")
    form = request.form
    for name in ("deploy-changed-only", "enable-duplicate-filtering"):
        flag(form.get(name), name)  # refused when not true/false
    if form.get("tenant-id"):
        raise invalid("tenants are not supported: leave tenant-id out")
    files = [SourceFile(resource_name(field, storage.filename), storage.read())
             for field, storage in request.files.items(multi=True) if field not in SETTINGS]
    for field, value in form.items(multi=True):
        # Some clients send a file as a plain part without a file name; its field name is the name.
        if field not in SETTINGS and field.lower().endswith((".bpmn", ".dmn", ".form")):
            files.append(SourceFile(field, value.encode("utf-8")))
    if not files:
        raise invalid("no resources in the deployment: send each .bpmn, .dmn and .form file as a part")
    name = (form.get("deployment-name") or "").strip() or "stepwise"
    source = (form.get("deployment-source") or "").strip()[:200] or None
    db = database(current_app)
    try:
        result = deploy(db, files, name=name[:200], actor=who.username, source=source)
    except DeploymentError as error:
        raise _parse_error(error) from None
    body = deployment_json(queries.deployment(db, result.deployment_id))
    created = queries.definitions(db, ids=[d[2] for d in result.definitions], size=1000) if result.definitions else []
    body.update({
        "deployedProcessDefinitions": {d.id: definition_json(d) for d in created} or None,
        "deployedCaseDefinitions": None, "deployedDecisionDefinitions": None,
        "deployedDecisionRequirementsDefinitions": None,
    })
    return jsonify(body)


@bp.get("/deployment")
def list_deployments():
    account()
    first, size = paging(request.args)
    rows = queries.deployments(database(current_app), name=request.args.get("name"), first=first, size=size)
    return jsonify([deployment_json(row) for row in rows])


@bp.get("/deployment/<deployment_id>")
def get_deployment(deployment_id: str):
    account()
    row = queries.deployment(database(current_app), deployment_id)
    if row is None:
        raise not_found(f"Deployment with id '{deployment_id}' does not exist")
    return jsonify(deployment_json(row))


@bp.delete("/deployment/<deployment_id>")
def delete_deployment(deployment_id: str):
    who = require_admin()
    cascade = flag(request.args.get("cascade"), "cascade")
    for refused in ("skipCustomListeners", "skipIoMappings"):
        flag(request.args.get(refused), refused)  # accepted as Camunda's, and meaningless here
    try:
        undeploy(database(current_app), deployment_id, who.username, cascade=cascade)
    except NoSuchDeployment as error:
        raise not_found(str(error)) from None
    except DeploymentInUse as error:
        # Camunda answers this with a 500 ProcessEngineException; a refusal is not a server fault.
        raise ApiError(409, "ProcessEngineException", str(error), runningInstances=error.running,
                       finishedInstances=error.finished) from None
    return "", 204
