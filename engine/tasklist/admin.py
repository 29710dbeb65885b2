"""Admin pages (role `admin`): open incidents with a retry button, API tokens (migration and case
repair: admin_repair). Anyone else gets a 404."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import runtime
from engine.runtime import Conflict, NotFound

from . import accounts, database, tokens

bp = Blueprint("admin", __name__, url_prefix="/admin")
ADMIN = "admin"


def admin_only(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if ADMIN not in current_user.roles:
            abort(404)  # as for any page outside a person's roles
        return view(*args, **kwargs)
    return wrapper


@bp.get("/incidents")
@admin_only
def incidents():
    return render_template("admin_incidents.html", incidents=runtime.incidents(database(current_app)))


@bp.post("/incidents/<int:incident_id>/retry")
@admin_only
def retry(incident_id: int):
    try:
        outcome = runtime.retry_incident(database(current_app), incident_id, current_user.username)
    except NotFound:
        abort(404)
    except Conflict as error:
        flash(str(error), "error")
    else:
        if outcome.incident_id is not None:
            flash(f"Incident {incident_id} failed again: the attempt is counted on it.", "error")
        else:
            flash(f"Incident {incident_id} is resolved: the procedure has moved on.", "success")
    return redirect(url_for("admin.incidents"))


# -- API tokens --------------------------------------------------------------------------------

def _tokens_page(status: int = 200, *, error: str | None = None, created: str | None = None, form=None):
    db = database(current_app)
    form = form or {}
    user_items = [{"value": u.username, "text": f"{u.display_name} ({u.username})",
                   "selected": u.username == form.get("username")} for u in accounts.colleagues(db)]
    response = current_app.make_response((render_template(
        "admin_tokens.html", tokens=tokens.listing(db), user_items=user_items, error=error, created=created,
        form=form), status))
    response.headers["Cache-Control"] = "no-store"  # the page may show a new token, once
    return response


@bp.get("/tokens")
@admin_only
def api_tokens():
    return _tokens_page()


@bp.post("/tokens")
@admin_only
def create_token():
    try:
        _info, token = tokens.create(database(current_app), request.form.get("username", ""),
                                     request.form.get("name", ""), current_user.username)
    except tokens.TokenError as error:
        return _tokens_page(400, error=str(error), form=request.form)
    # Shown in this response only (never flashed: the session cookie is signed, not encrypted).
    return _tokens_page(created=token)


@bp.post("/tokens/<int:token_id>/revoke")
@admin_only
def revoke_token(token_id: int):
    try:
        info = tokens.revoke(database(current_app), token_id, current_user.username)
    except tokens.TokenError as error:
        flash(str(error), "error")
    else:
        flash(f"Token '{info.name}' of {info.username} is revoked: it no longer works.", "success")
    return redirect(url_for("admin.api_tokens"))


from . import admin_repair  # noqa: E402,F401  (migration and case repair pages on this blueprint)
