"""Admin pages (role `admin`): open incidents with a retry button (migration and case repair: admin_repair).
Anyone else gets a 404."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from engine import runtime
from engine.runtime import Conflict, NotFound

from . import database

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


from . import admin_repair  # noqa: E402,F401  (migration and case repair pages on this blueprint)
