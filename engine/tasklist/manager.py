"""Manager pages (team, service and early help managers, admins): overdue tasks. Anyone else gets
a 404, as for any page outside a person's roles."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from engine import clock

from . import database, overdue

bp = Blueprint("manager", __name__, url_prefix="/manager")
MANAGER_ROLES = frozenset({"team_manager", "service_manager", "early_help_manager", "admin"})
PAGE_SIZE = 50


def is_manager(account) -> bool:
    return bool(MANAGER_ROLES.intersection(account.roles))


def managers_only(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not is_manager(current_user):
            abort(404)
        return view(*args, **kwargs)
    return wrapper


@bp.app_context_processor
def navigation():
    return {"is_manager": is_manager}


@bp.get("/overdue")
@managers_only
def overdue_tasks():
    db, now = database(current_app), clock.now()
    counts = overdue.by_role(db, now)
    role = request.args.get("role") or None
    if role is not None and role not in {c.role for c in counts}:
        role = None  # an unknown or no-longer-overdue role: show them all rather than an empty page
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    rows = overdue.tasks(db, now, role=role, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_template("manager_overdue.html", counts=counts, role=role, rows=rows[:PAGE_SIZE],
                           more=len(rows) > PAGE_SIZE, page=page, now=now)
