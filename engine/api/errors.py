"""Errors in the Camunda 7 REST shape: `{"type": ..., "message": ...}` with an HTTP status.

Status choices (Camunda 7 answers many engine refusals with 500; Stepwise keeps 500 for its own
faults and uses the codes Camunda's reference also lists):
400 InvalidRequestException (bad input, a form's validation errors in `details.fields`),
400 ParseException (a refused deployment, Camunda's `details` per resource with `mainElementId`),
400 MismatchingMessageCorrelationException (no or several instances wait for the message),
401 AuthenticationException, 403 AuthorizationException, 404 (no such thing, or not for your
roles), 409 Conflict (task already done or claimed by someone else), 412 StaleVersion (an
`If-Match` instance version that is no longer current).
"""
from __future__ import annotations

from typing import Any

from flask import jsonify


class ApiError(Exception):
    def __init__(self, status: int, type_: str, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.type, self.message, self.extra = status, type_, message, extra

    def response(self):
        body = {"type": self.type, "message": self.message, **self.extra}
        response = jsonify(body)
        response.status_code = self.status
        if self.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="stepwise"'
        return response


def invalid(message: str, **extra: Any) -> ApiError:
    return ApiError(400, "InvalidRequestException", message, **extra)


def not_found(message: str) -> ApiError:
    return ApiError(404, "InvalidRequestException", message)


def conflict(message: str) -> ApiError:
    return ApiError(409, "Conflict", message)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "AuthorizationException", message)
