"""`/api/webhook-subscriptions`: the admin functions of the webhook pages as a JSON API, in the
style of the REST API (`engine.api`): HTTP Basic with a Stepwise account holding the role `admin`,
Camunda's error body `{"type", "message"}`, camelCase fields, Camunda's date format, paging with
`firstResult`/`maxResults`; described in `/api/openapi.json` (engine/api/index.py).

The secret is in the answer to POST only; nothing reads it back afterwards.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from engine.api import auth, index, json_errors
from engine.api.errors import conflict, forbidden, invalid, not_found
from engine.api.openapi import _array, _error, _ok, _path, _query, _ref
from engine.api.openapi import SCHEMAS as ENGINE_SCHEMAS
from engine.api.values import camunda_date, json_body, paging
from engine.runtime import InvalidInput, NotFound
from engine.tasklist import database

from . import delivery, subscriptions

bp = json_errors(Blueprint("webhooks_api", __name__, url_prefix="/api"))  # /engine-rest's error answers
STATES = ("pending", "delivered", "failed", "cancelled")
REDELIVERABLE = ("delivered", "failed")


def _admin() -> str:
    who = auth.account()
    if auth.ADMIN_ROLE not in who.roles:
        raise forbidden(f"user '{who.username}' does not have the role '{auth.ADMIN_ROLE}' needed to manage webhooks")
    return who.username


def _db():
    return database(current_app)


def _subscription_json(row) -> dict:
    return {"id": row.id, "url": row.url, "eventTypes": list(row.event_types), "description": row.description,
            "active": row.active, "created": camunda_date(row.created_at)}


def _found(subscription_id: int):
    try:
        return subscriptions.subscription(_db(), subscription_id)
    except NotFound as error:
        raise not_found(str(error)) from None


def _delivery_json(item) -> dict:
    row = item.row
    return {"id": row.id, "webhookId": row.webhook_id, "eventType": row.event_type, "state": row.state,
            "attempts": row.attempts, "created": camunda_date(row.created_at),
            "nextAttempt": camunda_date(row.next_attempt_at), "delivered": camunda_date(row.delivered_at),
            "lastError": row.last_error,
            "attemptLog": [{"at": camunda_date(a.at), "statusCode": a.status_code, "error": a.error,
                            "durationMs": a.duration_ms} for a in item.attempts]}


@bp.get("/webhook-subscriptions")
def list_subscriptions():
    _admin()
    return jsonify([_subscription_json(row) for row in subscriptions.subscriptions(_db())])


@bp.post("/webhook-subscriptions")
def create_subscription():
    actor = _admin()
    body = json_body()
    unknown = set(body) - {"url", "eventTypes", "description", "secret"}
    if unknown:
        raise invalid(f"unknown field(s): {', '.join(sorted(unknown))}")
    try:
        sub_id, secret = subscriptions.add_subscription(_db(), body.get("url"), body.get("eventTypes"),
                                                        secret=body.get("secret") or None,
                                                        description=body.get("description"), actor=actor)
    except InvalidInput as error:
        raise invalid(str(error)) from None
    answer = jsonify({**_subscription_json(_found(sub_id)), "secret": secret})
    answer.status_code = 201
    answer.headers["Location"] = f"/api/webhook-subscriptions/{sub_id}"
    answer.headers["Cache-Control"] = "no-store"  # the secret, once
    return answer


@bp.get("/webhook-subscriptions/<int:subscription_id>")
def get_subscription(subscription_id: int):
    _admin()
    return jsonify(_subscription_json(_found(subscription_id)))


@bp.patch("/webhook-subscriptions/<int:subscription_id>")
def update_subscription(subscription_id: int):
    actor = _admin()
    body = json_body()
    if set(body) != {"active"} or not isinstance(body["active"], bool):
        raise invalid('send {"active": false} to pause or {"active": true} to resume; nothing else can change '
                      "(delete and add a subscription to change its URL, types or secret)")
    try:
        subscriptions.set_active(_db(), subscription_id, body["active"], actor=actor)
    except NotFound as error:
        raise not_found(str(error)) from None
    return jsonify(_subscription_json(_found(subscription_id)))


@bp.delete("/webhook-subscriptions/<int:subscription_id>")
def delete_subscription(subscription_id: int):
    actor = _admin()
    try:
        subscriptions.delete_subscription(_db(), subscription_id, actor=actor)
    except NotFound as error:
        raise not_found(str(error)) from None
    return "", 204


@bp.get("/webhook-subscriptions/<int:subscription_id>/deliveries")
def deliveries(subscription_id: int):
    _admin()
    _found(subscription_id)
    state = request.args.get("state")
    if state is not None and state not in STATES:
        raise invalid(f"state must be one of {', '.join(STATES)}")
    first, most = paging(request.args)
    log_rows = subscriptions.delivery_log(_db(), subscription_id, state=state, limit=most, offset=first)
    return jsonify([_delivery_json(item) for item in log_rows])


@bp.post("/webhook-subscriptions/<int:subscription_id>/deliveries/<int:outbox_id>/redeliver")
def redeliver(subscription_id: int, outbox_id: int):
    actor = _admin()
    _found(subscription_id)
    try:
        row = subscriptions.delivery_of(_db(), subscription_id, outbox_id)
    except NotFound as error:
        raise not_found(str(error)) from None
    if row.state not in REDELIVERABLE:
        raise conflict(f"webhook {outbox_id} is {row.state}: only a delivered or failed webhook can be sent again")
    delivery.redeliver(_db(), [outbox_id], actor)
    return "", 204


# -- the description ---------------------------------------------------------------------------------

_AUTH = {"401": _error("No or wrong HTTP Basic credentials"), "403": _error("Not an admin")}
_NULL_STR = {"type": "string", "nullable": True}
_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
SCHEMAS = {
    "Exception": ENGINE_SCHEMAS["Exception"],
    "WebhookSubscription": {"type": "object", "required": ["id", "url", "eventTypes", "active"], "properties": {
        "id": {"type": "integer"}, "url": {"type": "string"},
        "eventTypes": {"type": "array", "items": {"type": "string"}}, "description": _NULL_STR,
        "active": {"type": "boolean", "description": "false: paused (no new webhooks are written for it; waiting ones are held)"},
        "created": {"type": "string"}}},
    "NewWebhookSubscription": {"type": "object", "required": ["url", "eventTypes"], "additionalProperties": False,
                               "properties": {
        "url": {"type": "string", "description": "http(s)://..."},
        "eventTypes": {"type": "array", "items": {"type": "string"},
                       "description": "event types or shell patterns: task.completed, lcs.*, *"},
        "description": {"type": "string"},
        "secret": {"type": "string", "description": "whsec_<base64>; made for you when left out"}}},
    "CreatedWebhookSubscription": {"allOf": [_ref("WebhookSubscription"), {"type": "object", "required": ["secret"],
                                   "properties": {"secret": {"type": "string", "description": "shown this once"}}}]},
    "WebhookSubscriptionUpdate": {"type": "object", "required": ["active"], "additionalProperties": False,
                                  "properties": {"active": {"type": "boolean"}}},
    "WebhookDelivery": {"type": "object", "required": ["id", "webhookId", "eventType", "state", "attempts"], "properties": {
        "id": {"type": "integer"}, "webhookId": {"type": "string", "description": "the webhook-id header"},
        "eventType": {"type": "string"}, "state": {"type": "string", "enum": list(STATES)},
        "attempts": {"type": "integer"}, "created": {"type": "string"}, "nextAttempt": _NULL_STR,
        "delivered": _NULL_STR, "lastError": _NULL_STR,
        "attemptLog": {"type": "array", "items": {"type": "object", "properties": {
            "at": {"type": "string"}, "statusCode": {"type": "integer", "nullable": True}, "error": _NULL_STR,
            "durationMs": {"type": "integer"}}}}}},
}
PATHS = {
    "/webhook-subscriptions": {
        "get": {"summary": "Webhook subscriptions (not deleted), oldest first; never their secrets",
                "responses": {"200": _ok(_array("WebhookSubscription")), **_AUTH}},
        "post": {"summary": "Add a subscription; the answer holds its secret, this once",
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": _ref("NewWebhookSubscription")}}},
                 "responses": {"201": _ok(_ref("CreatedWebhookSubscription"), "Added"),
                               "400": _error("Bad URL, event types, description or secret; nothing added"), **_AUTH}}},
    "/webhook-subscriptions/{id}": {
        "get": {"summary": "One subscription", "parameters": _ID,
                "responses": {"200": _ok(_ref("WebhookSubscription")), "404": _error("No such subscription"), **_AUTH}},
        "patch": {"summary": "Pause (active: false) or resume (active: true)", "parameters": _ID,
                  "requestBody": {"required": True, "content": {"application/json": {
                      "schema": _ref("WebhookSubscriptionUpdate")}}},
                  "responses": {"200": _ok(_ref("WebhookSubscription")), "400": _error("Anything but active"),
                                "404": _error("No such subscription"), **_AUTH}},
        "delete": {"summary": "Delete: nothing is sent to it again, waiting webhooks are cancelled, the log is kept",
                   "parameters": _ID,
                   "responses": {"204": {"description": "Deleted"}, "404": _error("No such subscription"), **_AUTH}}},
    "/webhook-subscriptions/{id}/deliveries": {"get": {
        "summary": "The delivery log: its webhooks, newest first, each with every attempt",
        "parameters": [*_ID, _query("state", {"type": "string", "enum": list(STATES)}),
                       _query("firstResult", {"type": "integer", "minimum": 0}),
                       _query("maxResults", {"type": "integer", "minimum": 0})],
        "responses": {"200": _ok(_array("WebhookDelivery")), "400": _error("Bad state or paging"),
                      "404": _error("No such subscription"), **_AUTH}}},
    "/webhook-subscriptions/{id}/deliveries/{deliveryId}/redeliver": {"post": {
        "summary": "Send a delivered or failed webhook again (fresh back-off; the worker's next pass sends it)",
        "parameters": [*_ID, _path("deliveryId")],
        "responses": {"204": {"description": "Queued"}, "404": _error("No such subscription or webhook of it"),
                      "409": _error("The webhook is waiting or cancelled"), **_AUTH}}},
}
index.describe(PATHS, SCHEMAS)
