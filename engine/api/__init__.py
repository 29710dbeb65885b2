"""The REST API in the Camunda 7 dialect, under `/engine-rest` (see README "REST API").

    app.register_blueprint(engine.api.bp)

Modules: `auth` (HTTP Basic against the task list's accounts), `errors` (Camunda's error body and
the status codes chosen), `values` (typed variables, dates, paging), `queries` (reads),
`deployments`, `definitions`, `tasks`, `instances`, `messages` (the routes), `extensions` (Stepwise's own
routes under `/api`: documents, incident retry), `openapi` (the description). Bearer tokens:
`engine.tasklist.tokens`; the cache of verified Basic credentials: `credentials`.
Views parse and authorise, then call one `engine.runtime` / `engine.catalog` function.
"""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

from engine.runtime import Conflict, Forbidden, InvalidInput, InvalidSubmission, NotFound, RuntimeRefusal, StaleVersion

from .errors import ApiError

log = logging.getLogger(__name__)

bp = Blueprint("engine_rest", __name__, url_prefix="/engine-rest")


def _api_error(error: ApiError):
    return error.response()


def _refusal(error: RuntimeRefusal):
    if isinstance(error, NotFound):
        return ApiError(404, "InvalidRequestException", str(error)).response()
    if isinstance(error, StaleVersion):
        return ApiError(412, "StaleVersion", str(error), expectedVersion=error.expected,
                        currentVersion=error.actual).response()
    if isinstance(error, Conflict):
        return ApiError(409, "Conflict", str(error)).response()
    if isinstance(error, Forbidden):
        return ApiError(403, "AuthorizationException", str(error)).response()
    if isinstance(error, InvalidSubmission):
        return ApiError(400, "InvalidRequestException", str(error), details={"fields": error.errors}).response()
    if isinstance(error, InvalidInput):
        return ApiError(400, "InvalidRequestException", str(error)).response()
    return ApiError(400, "ProcessEngineException", str(error)).response()


def _http_error(error: HTTPException):
    response = jsonify({"type": error.__class__.__name__, "message": error.description or error.name})
    response.status_code = error.code or 500
    return response


def _unexpected(error: Exception):
    log.exception("unexpected error in the REST API")
    response = jsonify({"type": "ProcessEngineException", "message": "an unexpected error occurred; it is logged"})
    response.status_code = 500
    return response


def _refuse_nul() -> None:
    """PostgreSQL text cannot hold NUL characters: refuse them in any parameter before they reach a query."""
    if any(isinstance(v, str) and "\x00" in v for v in (request.view_args or {}).values()):
        raise ApiError(404, "InvalidRequestException", "no such resource (a path with a NUL character)")
    values = [*request.args.keys(), *request.args.values()]
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        values += [*request.form.keys(), *request.form.values()]
    if any("\x00" in v for v in values):
        raise ApiError(400, "InvalidRequestException", "parameters must not contain NUL characters")


def json_errors(blueprint: Blueprint) -> Blueprint:
    """Answer every error of the blueprint with Camunda's JSON error body."""
    blueprint.before_request(_refuse_nul)
    blueprint.register_error_handler(ApiError, _api_error)
    blueprint.register_error_handler(RuntimeRefusal, _refusal)
    blueprint.register_error_handler(HTTPException, _http_error)
    blueprint.register_error_handler(Exception, _unexpected)
    return blueprint


json_errors(bp)
# Stepwise's own additions (documents, incident retry...) in the same style, outside Camunda's path.
stepwise_api = json_errors(Blueprint("stepwise_api", __name__, url_prefix="/api"))


from . import deployments, definitions, extensions, instances, messages, openapi, tasks  # noqa: E402,F401  (routes)


@bp.route("/<path:_unknown>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def _no_such_resource(_unknown: str):
    raise ApiError(404, "NotFound", "no such resource in this API (see /engine-rest/openapi.json)")
