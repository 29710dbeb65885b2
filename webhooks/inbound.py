"""Inbound webhooks: verify, refuse stale and replayed requests, then correlate a BPMN message or
complete a waiting external service task.

The JSON body names the message and how to find the waiting case:
    {"message": "lcs_record_closed", "business_key": "CASE-1",          # and/or
     "correlation": {"lcs_id": "L-77"}, "payload": {...}}
or completes a Camunda 7 external task (`camunda:type="external"`) waiting on the case:
    {"action": "complete_external_task", "business_key": "CASE-1",      # or "instance": id
     "topic": "lcs.open_record",                                       # or "element_id"
     "variables": {"lcs_id": "L-77"}}
The accepted request's row is written inside the correlation's own transaction (a listener on the
runtime's events), with a unique (source, webhook id): the message and the replay guard commit
together or not at all, and two copies racing cannot both be accepted. Everything rejected is
logged (Python log and `inbound_webhook`) with its reason and changes no case.
"""
from __future__ import annotations

import contextvars
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import clock, runtime
from engine.store import models
from engine.store.db import Database

from . import signing
from .subscriptions import source_secret

log = logging.getLogger(__name__)

_INBOUND = models.InboundWebhook.__table__
_claim: contextvars.ContextVar[dict | None] = contextvars.ContextVar("stepwise_inbound_claim", default=None)


@dataclass(frozen=True)
class Received:
    status: int  # the HTTP status to answer with
    reason: str
    instance_id: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class _Rejected(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def receive(db: Database, source: str, headers: Mapping[str, str], body: bytes, now: datetime | None = None) -> Received:
    """Handle one inbound request; returns 202 only after the message's transaction committed."""
    moment = now or clock.now()
    webhook_id = {k.lower(): v for k, v in headers.items()}.get("webhook-id")
    try:
        with db.reader() as session:
            secret = source_secret(session, source)
        if secret is None:
            raise _Rejected(401, f"unknown source '{source}'")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _Rejected(400, "body is not UTF-8") from None
        try:
            webhook_id = signing.verify(secret, headers, text, moment)
        except signing.BadSignature as error:
            raise _Rejected(401, str(error)) from None
        message = _parse(text)
        with db.reader() as session:
            seen = session.scalar(select(_INBOUND.c.id).where(_INBOUND.c.source == source,
                                                                _INBOUND.c.accepted_id == webhook_id))
        if seen is not None:
            raise _Rejected(409, f"replay: webhook {webhook_id} was already accepted")
        claim = {"source": source, "webhook_id": webhook_id, "at": moment, "written": False}
        token = _claim.set(claim)
        try:
            outcome = _act(db, message, f"webhook:{source}")
        except IntegrityError:
            raise _Rejected(409, f"replay: webhook {webhook_id} was already accepted") from None
        except runtime.InvalidInput as error:
            raise _Rejected(400, str(error)) from None
        except (runtime.NotFound, runtime.Conflict) as error:
            raise _Rejected(409, str(error)) from None
        finally:
            _claim.reset(token)
        if not claim["written"]:  # correlate always publishes events; this is a guard, not a path
            raise RuntimeError("the inbound webhook listener did not run: is webhooks.inbound imported?")
        log.info("inbound webhook %s from %s accepted: %s to %s", webhook_id, source,
                 message.get("message") or message.get("topic") or message.get("element_id"), outcome.instance_id)
        return Received(202, "accepted", outcome.instance_id)
    except _Rejected as rejected:
        log.warning("inbound webhook %s from %s rejected (%s): %s", webhook_id, source, rejected.status, rejected.reason)
        with db.connection() as conn:
            conn.execute(_INBOUND.insert().values(source=source[:100], webhook_id=(webhook_id or None) and webhook_id[:200],
                                                  accepted_id=None, received_at=moment, outcome="rejected",
                                                  status=rejected.status, reason=rejected.reason))
        return Received(rejected.status, rejected.reason)


CORRELATE = "correlate_message"
COMPLETE_EXTERNAL_TASK = "complete_external_task"


def _act(db: Database, message: dict, actor: str):
    if message.get("action") == COMPLETE_EXTERNAL_TASK:
        return runtime.complete_external_task(
            db, business_key=message.get("business_key"), instance_id=message.get("instance"),
            topic=message.get("topic"), element_id=message.get("element_id"), variables=message.get("variables"),
            actor=actor)
    return runtime.correlate(db, message["message"], business_key=message.get("business_key"),
                             correlation=message.get("correlation"), payload=message.get("payload"), actor=actor)


def _parse(text: str) -> dict:
    try:
        message = json.loads(text)
    except json.JSONDecodeError as error:
        raise _Rejected(400, f"body is not JSON: {error.msg} at column {error.colno}") from None
    if not isinstance(message, dict):
        raise _Rejected(400, "body must be a JSON object")
    action = message.get("action", CORRELATE)
    if action == COMPLETE_EXTERNAL_TASK:
        return _parse_completion(message)
    if action != CORRELATE:
        raise _Rejected(400, f"unknown action {json.dumps(action)}: '{CORRELATE}' (the default) or "
                             f"'{COMPLETE_EXTERNAL_TASK}'")
    name = message.get("message")
    if not isinstance(name, str) or not name:
        raise _Rejected(400, "'message' (the BPMN message name) is required")
    key, correlation, payload = message.get("business_key"), message.get("correlation"), message.get("payload")
    if key is not None and not isinstance(key, str):
        raise _Rejected(400, "'business_key' must be a string")
    for what, value in (("correlation", correlation), ("payload", payload)):
        if value is not None and not isinstance(value, dict):
            raise _Rejected(400, f"'{what}' must be an object")
    if key is None and not correlation:
        raise _Rejected(400, "give 'business_key' or 'correlation' values to find the waiting case")
    return message


def _parse_completion(message: dict) -> dict:
    for name in ("business_key", "instance", "topic", "element_id"):
        if message.get(name) is not None and (not isinstance(message[name], str) or not message[name]):
            raise _Rejected(400, f"'{name}' must be a non-empty string")
    if message.get("business_key") is None and message.get("instance") is None:
        raise _Rejected(400, "give 'business_key' or 'instance' to find the waiting task")
    if message.get("topic") is None and message.get("element_id") is None:
        raise _Rejected(400, "give the external task's 'topic' or 'element_id'")
    if message.get("variables") is not None and not isinstance(message["variables"], dict):
        raise _Rejected(400, "'variables' must be an object")
    return message


_ACCEPTED_ACTIONS = ("message.correlated", "external_task.completed")


@runtime.subscribe
def _accept_in_transaction(unit, events) -> None:
    claim = _claim.get()
    if claim is None or claim["written"]:
        return
    instance_id = next((e.instance_id for e in events if e.action in _ACCEPTED_ACTIONS), None)
    unit.conn.execute(_INBOUND.insert().values(
        source=claim["source"], webhook_id=claim["webhook_id"], accepted_id=claim["webhook_id"], received_at=claim["at"],
        outcome="accepted", status=202, reason=None, instance_id=instance_id))
    claim["written"] = True
