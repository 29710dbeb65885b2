"""The index of Stepwise's own endpoints under `/api` (what Camunda 7 lacks: migration, case
repair, webhook subscriptions, ...): one OpenAPI document gathered from the modules that serve
them (a path none of them serves gets the JSON 404 of engine/api/extensions.py).

A module that serves routes under `/api` calls `describe(paths, schemas)` when imported.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from . import json_errors

bp = json_errors(Blueprint("api_index", __name__, url_prefix="/api"))

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


def _describe_extensions() -> None:
    """engine/api/extensions.py's routes are also in /engine-rest/openapi.json (each path with
    `servers: /api`), where the REST API's schemathesis run covers them; here they join the rest of /api."""
    from .openapi import SCHEMAS, STEPWISE_PATHS

    paths = {path: {k: v for k, v in item.items() if k != "servers"} for path, item in STEPWISE_PATHS.items()}
    describe(paths, {name: SCHEMAS[name] for name in ("Document", "Exception", "RetryResult")})


_describe_extensions()
