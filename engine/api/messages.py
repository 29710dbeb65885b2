"""`POST /message`: correlate a message to the one instance waiting for it."""
from __future__ import annotations

from flask import current_app, jsonify

from engine import runtime
from engine.runtime import Conflict, NotFound
from engine.tasklist import database

from . import bp
from .auth import account
from .errors import ApiError, invalid
from .values import flag, json_body, plain


@bp.post("/message")
def correlate_message():
    who = account()
    body = json_body()
    name = body.get("messageName")
    if not isinstance(name, str) or not name.strip():
        raise invalid("No message name supplied")
    if body.get("all") is True:
        raise invalid("correlating to all waiting instances ('all': true) is not supported: correlate one at a time")
    business_key = body.get("businessKey")
    if business_key is not None and not isinstance(business_key, str):
        raise invalid("businessKey must be a string")
    keys = plain(body.get("correlationKeys"), "correlationKeys")
    variables = plain(body.get("processVariables"), "processVariables")
    try:
        outcome = runtime.correlate(database(current_app), name.strip(), business_key=business_key,
                                    correlation=keys or None, payload=variables, actor=who.username)
    except (NotFound, Conflict) as error:
        # Camunda answers a correlation that finds no or several instances with 400.
        raise ApiError(400, "MismatchingMessageCorrelationException", str(error)) from None
    if not flag(str(body.get("resultEnabled", "false")).lower(), "resultEnabled"):
        return "", 204
    return jsonify([{
        "resultType": "Execution",
        "execution": {"id": outcome.instance_id, "processInstanceId": outcome.instance_id,
                      "ended": outcome.state not in ("running", "incident"), "tenantId": None},
        "processInstance": None,
    }])
