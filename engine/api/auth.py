"""Who is calling: HTTP Basic with a task-list account (the same accounts and roles as the pages).

A user sees and acts on tasks of their roles only; deploying needs the role `admin`.
"""
from __future__ import annotations

from flask import current_app, g, request

from engine.tasklist import accounts, database

from .errors import ApiError

ADMIN_ROLE = "admin"


def account() -> accounts.Account:
    """The authenticated account of this request, or a 401."""
    found = g.get("api_account")
    if found is not None:
        return found
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or not credentials.username or credentials.password is None:
        raise ApiError(401, "AuthenticationException", "HTTP Basic authentication with a Stepwise account is required")
    found = accounts.authenticate(database(current_app), credentials.username, credentials.password)
    if found is None:
        raise ApiError(401, "AuthenticationException", "unknown user or wrong password")
    g.api_account = found
    return found


def roles() -> tuple[str, ...]:
    return tuple(account().roles)


def require_admin() -> accounts.Account:
    who = account()
    if ADMIN_ROLE not in who.roles:
        raise ApiError(403, "AuthorizationException", f"user '{who.username}' does not have the role '{ADMIN_ROLE}' "
                       "needed to deploy")
    return who
