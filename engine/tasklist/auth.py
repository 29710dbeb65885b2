"""Sign-in and sign-out with local accounts (argon2 hashes, Flask-Login sessions)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from engine.runtime import NotFound

from . import accounts, database, users

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no '//' or '\\' tricks)."""
    if not target:
        return url_for("views.task_list")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("views.task_list")
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("views.task_list"))
    errors: dict[str, str] = {}
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not username:
            errors["username"] = "Enter your username"
        if not password:
            errors["password"] = "Enter your password"
        if not errors:
            account = accounts.authenticate(database(current_app), username, password)
            if account is None:
                errors["username"] = "Enter a correct username and password"
            else:
                session.clear()  # a fresh session on sign-in (no fixation)
                login_user(account)
                return redirect(_safe_next(request.args.get("next")))
    status = 400 if errors else 200
    return render_template("sign_in.html", errors=errors, username=username), status


@bp.post("/sign-out")
@login_required
def sign_out():
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    """An invited person sets their password (the link is used up; it expires after a week)."""
    db = database(current_app)
    account = users.invited(db, token)
    if account is None:
        abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            users.accept_invite(db, token, request.form.get("password", ""), request.form.get("confirm", ""))
        except users.InvalidAccount as error:
            errors = error.errors
        except NotFound:
            abort(404)
        else:
            logout_user()
            session.clear()
            flash("Your password is set: sign in with it.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("invite.html", account=account, errors=errors), (400 if errors else 200)
