"""Admin pages (role `admin`): open incidents with a retry button, API tokens, users and roles
(migration and case repair: admin_repair). Anyone else gets a 404."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import runtime
from engine.runtime import Conflict, NotFound

from . import accounts, database, tokens, users

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


# -- users and roles ---------------------------------------------------------------------------------

def _person_from_form() -> users.Person:
    form = request.form
    other = [r.strip() for r in form.get("other_roles", "").replace(",", " ").split() if r.strip()]
    return users.Person(username=form.get("username", "").strip(), display_name=form.get("display_name", ""),
                        team=form.get("team", ""), locality=form.get("locality", ""),
                        roles=sorted(set(form.getlist("roles")) | set(other)))


@bp.get("/users")
@admin_only
def user_list():
    return render_template("admin_users.html", people=users.people(database(current_app)))


@bp.route("/users/new", methods=["GET", "POST"])
@admin_only
def new_user():
    db = database(current_app)
    person, errors, sign_in = users.Person(), {}, request.form.get("sign_in", "")
    if request.method == "POST":
        person = _person_from_form()
        try:
            account, token = users.create(db, person, current_user.username,
                                          password=request.form.get("password") if sign_in == "password" else None,
                                          invite=sign_in == "invite")
        except users.InvalidAccount as error:
            errors = error.errors
        else:
            if token:
                # Shown once, in this response only (never in a flash message: those travel in the cookie).
                return render_template("admin_invite.html", account=account,
                                       link=url_for("auth.accept_invite", token=token, _external=True))
            flash(f"{account.display_name} ({account.username}) can now sign in.", "success")
            return redirect(url_for("admin.user_list"))
    return render_template("admin_user.html", person=person, errors=errors, sign_in=sign_in, row=None,
                           known=users.known_roles(db)), (400 if errors else 200)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_only
def edit_user(user_id: int):
    db = database(current_app)
    try:
        row = users.get(db, user_id)
    except NotFound:
        abort(404)
    person = users.Person(row.username, row.display_name, row.team or "", row.locality or "", row.role_names)
    errors = {}
    if request.method == "POST":
        person = _person_from_form()
        person.username = row.username
        try:
            users.update_person(db, user_id, person, current_user.username)
        except users.InvalidAccount as error:
            errors = error.errors
        else:
            flash(f"{person.display_name}'s details are saved.", "success")
            return redirect(url_for("admin.user_list"))
    return render_template("admin_user.html", person=person, errors=errors, sign_in="", row=row,
                           known=users.known_roles(db)), (400 if errors else 200)


@bp.post("/users/<int:user_id>/<any(deactivate, reactivate):change>")
@admin_only
def activation(user_id: int, change: str):
    try:
        account = users.set_active(database(current_app), user_id, change == "reactivate", current_user.username)
    except NotFound:
        abort(404)
    except Conflict as error:
        flash(str(error), "error")
        return redirect(url_for("admin.edit_user", user_id=user_id))
    flash(f"{account.display_name} ({account.username}) is {'active' if account.active else 'deactivated'}.", "success")
    return redirect(url_for("admin.user_list"))


@bp.post("/users/<int:user_id>/invite")
@admin_only
def reinvite(user_id: int):
    db = database(current_app)
    try:
        token = users.invite(db, user_id, current_user.username)
    except NotFound:
        abort(404)
    except Conflict as error:
        flash(str(error), "error")
        return redirect(url_for("admin.edit_user", user_id=user_id))
    row = users.get(db, user_id)
    return render_template("admin_invite.html", account=row,
                           link=url_for("auth.accept_invite", token=token, _external=True))


from . import admin_repair  # noqa: E402,F401  (migration and case repair pages on this blueprint)
