"""Who is calling: HTTP Basic with a task-list account (the same accounts and roles as the pages),
or `Authorization: Bearer <token>` with an API token made on the admin page (acting as its account).

A user sees and acts on tasks of their roles only; deploying needs the role `admin`.
"""
from __future__ import annotations

from flask import current_app, g, request

from engine.tasklist import accounts, database, tokens

from .credentials import cache
from .errors import ApiError

ADMIN_ROLE = "admin"


def account() -> accounts.Account:
    """The authenticated account of this request, or a 401."""
    found = g.get("api_account")
    if found is not None:
        return found
    credentials = request.authorization
    db = database(current_app)
    if credentials is not None and credentials.type == "bearer":
        found = tokens.authenticate(db, credentials.token or "")
        if found is None:
            raise ApiError(401, "AuthenticationException", "unknown or revoked API token")
    elif credentials is not None and credentials.type == "basic" and credentials.username \
            and credentials.password is not None:
        found = cache.authenticate(db, credentials.username, credentials.password)
        if found is None:
            raise ApiError(401, "AuthenticationException", "unknown user or wrong password")
    else:
        raise ApiError(401, "AuthenticationException",
                       "HTTP Basic with a Stepwise account, or a Bearer API token, is required")
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
