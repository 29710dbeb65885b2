"""`/process-instance`, `/history/process-instance` and `/incident`: instances of the cases you may
see (a case is yours when one of its tasks, open or done, is for one of your roles; admins see all)."""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for

from engine import runtime
from engine.runtime import inspect
from engine.tasklist import database

from . import bp, queries
from .auth import ADMIN_ROLE, account, require_admin
from .errors import conflict, not_found
from .values import camunda_date, flag, json_body, paging


def _roles() -> tuple[str, ...] | None:
    who = account()
    return None if ADMIN_ROLE in who.roles else tuple(who.roles)


def _optional_flag(name: str) -> bool | None:
    value = request.args.get(name)
    return None if value is None else flag(value, name)


def instance_json(i: queries.Instance) -> dict:
    return {
        "links": [{"method": "GET", "href": url_for("engine_rest.get_instance", instance_id=i.id, _external=True),
                   "rel": "self"}],
        "id": i.id, "definitionId": i.definition_id, "businessKey": i.business_key, "caseInstanceId": None,
        "ended": i.ended_at is not None, "suspended": False, "tenantId": None,
    }


_HISTORY_STATE = {"running": "ACTIVE", "incident": "ACTIVE", "completed": "COMPLETED",
                  "cancelled": "EXTERNALLY_TERMINATED"}


def history_json(i: queries.Instance) -> dict:
    duration = int((i.ended_at - i.started_at).total_seconds() * 1000) if i.ended_at else None
    return {
        "id": i.id, "rootProcessInstanceId": i.id, "superProcessInstanceId": None, "superCaseInstanceId": None,
        "caseInstanceId": None, "processDefinitionName": i.name or i.key, "processDefinitionKey": i.key,
        "processDefinitionVersion": i.version, "processDefinitionId": i.definition_id, "businessKey": i.business_key,
        "startTime": camunda_date(i.started_at), "endTime": camunda_date(i.ended_at), "removalTime": None,
        "durationInMillis": duration, "startUserId": i.started_by, "startActivityId": None,
        "deleteReason": "cancelled" if i.state == "cancelled" else None, "tenantId": None,
        "state": _HISTORY_STATE.get(i.state, i.state.upper()),
    }


def _instance(instance_id: str) -> queries.Instance:
    found = queries.instance(database(current_app), instance_id, _roles())
    if found is None:
        raise not_found(f"Process instance with id {instance_id} does not exist")
    return found


def _list_args() -> dict:
    return {"business_key": request.args.get("businessKey"), "key": request.args.get("processDefinitionKey")}


@bp.get("/process-instance")
def list_instances():
    first, size = paging(request.args)
    rows = queries.instances(database(current_app), roles=_roles(), running_only=True, first=first, size=size,
                             **_list_args())
    return jsonify([instance_json(i) for i in rows])


@bp.get("/process-instance/count")
def count_instances():
    return jsonify({"count": queries.instances(database(current_app), roles=_roles(), running_only=True, count=True,
                                               **_list_args())})


@bp.get("/process-instance/<instance_id>")
def get_instance(instance_id: str):
    found = _instance(instance_id)
    if found.ended_at is not None:  # Camunda's runtime API knows running instances only
        raise not_found(f"Process instance with id {instance_id} does not exist (it has ended: see "
                        "/history/process-instance)")
    return jsonify(instance_json(found))


@bp.delete("/process-instance/<instance_id>")
def delete_instance(instance_id: str):
    """Cancel the instance (Stepwise keeps it, and its case history, as cancelled); admins only."""
    who = require_admin()
    found = _instance(instance_id)
    if found.ended_at is not None:
        raise conflict(f"Process instance {instance_id} has already ended ({found.state})")
    reason = request.args.get("deleteReason") or json_body().get("deleteReason") or "deleted through the REST API"
    runtime.cancel(database(current_app), instance_id, who.username, reason=str(reason)[:500])
    return "", 204


@bp.get("/process-instance/<instance_id>/activity-instances")
def activity_instances(instance_id: str):
    found = _instance(instance_id)
    activities = inspect.waiting_activities(database(current_app), found.id) if found.ended_at is None else []
    return jsonify({
        "id": found.id, "parentActivityInstanceId": None, "activityId": found.key, "activityType": "processDefinition",
        "processInstanceId": found.id, "processDefinitionId": found.definition_id, "activityName": found.name,
        "name": found.name, "executionIds": [found.id], "incidentIds": [], "incidents": [],
        "childTransitionInstances": [],
        "childActivityInstances": [{
            "id": f"{a.element_id}:{a.id}", "parentActivityInstanceId": found.id, "activityId": a.element_id,
            "activityType": a.type, "processInstanceId": found.id, "processDefinitionId": found.definition_id,
            "activityName": a.name, "name": a.name, "executionIds": [found.id], "incidentIds": [], "incidents": [],
            "childActivityInstances": [], "childTransitionInstances": [],
        } for a in activities],
    })


@bp.get("/history/process-instance")
def history_instances():
    first, size = paging(request.args)
    rows = queries.instances(database(current_app), roles=_roles(), finished=_optional_flag("finished"),
                             first=first, size=size, **_list_args())
    return jsonify([history_json(i) for i in rows])


@bp.get("/history/process-instance/count")
def count_history_instances():
    return jsonify({"count": queries.instances(database(current_app), roles=_roles(),
                                               finished=_optional_flag("finished"), count=True, **_list_args())})


def incident_json(incident, definition_id: str) -> dict:
    return {
        "id": str(incident.id), "processDefinitionId": definition_id, "processInstanceId": incident.instance_id,
        "executionId": incident.instance_id, "incidentTimestamp": camunda_date(incident.created_at),
        "incidentType": "failedJob" if incident.kind == "engine" else incident.kind,
        "activityId": incident.element_id, "failedActivityId": incident.element_id,
        "causeIncidentId": str(incident.id), "rootCauseIncidentId": str(incident.id), "configuration": None,
        "tenantId": None, "incidentMessage": incident.error, "jobDefinitionId": None, "annotation": None,
        "attempts": incident.attempts,
    }


@bp.get("/incident")
def list_incidents():
    first, size = paging(request.args)
    rows = queries.open_incidents(database(current_app), roles=_roles(),
                                  instance_id=request.args.get("processInstanceId"), first=first, size=size)
    return jsonify([incident_json(incident, definition_id) for incident, definition_id in rows])
