"""The index of Stepwise's own endpoints under `/api` (what Camunda 7 lacks: migration, case
repair, webhook subscriptions, ...): one OpenAPI document gathered from the modules that serve
them, and one JSON answer for a path none of them serves.

A module that serves routes under `/api` calls `describe(paths, schemas)` when imported.
"""
from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.exceptions import HTTPException

from engine.runtime import RuntimeRefusal

from . import _api_error, _http_error, _refusal, _unexpected
from .errors import ApiError

bp = Blueprint("api_index", __name__, url_prefix="/api")
for _kind, _handler in ((ApiError, _api_error), (RuntimeRefusal, _refusal), (HTTPException, _http_error),
                        (Exception, _unexpected)):
    bp.register_error_handler(_kind, _handler)

_PATHS: dict[str, dict] = {
    "/openapi.json": {"get": {"summary": "This document", "security": [],
                              "responses": {"200": {"description": "OK", "content": {
                                  "application/json": {"schema": {"type": "object"}}}}}}},
}
_SCHEMAS: dict[str, dict] = {}


def describe(paths: dict[str, dict], schemas: dict[str, dict]) -> None:
    """Add a module's paths and schemas; two modules may share a schema only if it is the same."""
    for name, schema in schemas.items():
        if _SCHEMAS.get(name, schema) != schema:
            raise ValueError(f"two /api modules describe the schema '{name}' differently")
    taken = set(paths) & set(_PATHS)
    if taken and any(_PATHS[p] != paths[p] for p in taken):
        raise ValueError(f"two /api modules describe {sorted(taken)}")
    _PATHS.update(paths)
    _SCHEMAS.update(schemas)


@bp.get("/openapi.json")
def openapi_document():
    return jsonify({
        "openapi": "3.0.3",
        "info": {"title": "Stepwise API", "version": "1",
                 "description": "Stepwise's own endpoints beside the Camunda 7 dialect of /engine-rest: the "
                                "same HTTP Basic accounts and error body ({\"type\", \"message\"})."},
        "servers": [{"url": "/api"}],
        "security": [{"basic": []}],
        "paths": _PATHS,
        "components": {"schemas": _SCHEMAS, "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}}},
    })


@bp.route("/<path:_unknown>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def _no_such_resource(_unknown: str):
    raise ApiError(404, "NotFound", "no such resource in this API (see /api/openapi.json)")
