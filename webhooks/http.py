"""`POST /webhooks/in/<source>`: the inbound receiver as a Flask blueprint.

Register on the task-list app (which keeps the Database in `app.extensions["stepwise_db"]`):
    from webhooks.http import blueprint as inbound_webhooks
    app.register_blueprint(inbound_webhooks)
    csrf.exempt(inbound_webhooks)   # signed by the sender, not a browser form
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from . import inbound

blueprint = Blueprint("webhooks_inbound", __name__)

MAX_BODY = 1024 * 1024


@blueprint.post("/webhooks/in/<source>")
def receive(source: str):
    if (request.content_length or 0) > MAX_BODY:
        return jsonify({"status": "rejected", "reason": "body larger than 1 MiB"}), 413
    body = request.get_data(cache=False, as_text=False)
    result = inbound.receive(current_app.extensions["stepwise_db"], source, dict(request.headers), body)
    answer = {"status": "accepted" if result.ok else "rejected", "reason": result.reason}
    if result.instance_id:
        answer["instance_id"] = result.instance_id
    return jsonify(answer), result.status
