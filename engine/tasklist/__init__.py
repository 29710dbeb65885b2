"""The task list: Flask pages where staff do their part of a procedure.

    app = create_app({"DATABASE_URL": "sqlite:///var/stepwise.db"})      # or {"DATABASE": db}

Views parse and authorise, then call one `engine.runtime` service function; reads come from
the projection tables (`queries`), never from a deserialised workflow.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, abort, send_from_directory
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from webhooks.http import blueprint as inbound_webhooks
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from engine.store.db import Database, connect

from . import accounts

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

csrf = CSRFProtect()


def _secret_key(config: Mapping[str, Any]) -> str:
    """From the config, $STEPWISE_SECRET_KEY, or var/secret_key (made once; keep it private)."""
    if config.get("SECRET_KEY"):
        return config["SECRET_KEY"]
    if os.environ.get("STEPWISE_SECRET_KEY"):
        return os.environ["STEPWISE_SECRET_KEY"]
    path = Path(config.get("SECRET_KEY_FILE") or ROOT / "var" / "secret_key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """config: DATABASE (a Database) or DATABASE_URL; SECRET_KEY; SESSION_COOKIE_SECURE (default
    True: set False only for plain HTTP on this machine); NODE_MODULES; PAGE_SIZE; any Flask key."""
    config = dict(config or {})
    app = Flask(__name__, static_folder=str(HERE / "static"), static_url_path="/static")
    app.config.update(
        SESSION_COOKIE_NAME="stepwise_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=True,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=True,
        PERMANENT_SESSION_LIFETIME=8 * 3600,  # a working day
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        PAGE_SIZE=25,
        NODE_MODULES=str(ROOT / "node_modules"),
    )
    app.config.update({k: v for k, v in config.items() if k not in ("DATABASE",)})
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    app.config["SECRET_KEY"] = _secret_key(config)
    db = config.get("DATABASE") or connect(config.get("DATABASE_URL"))
    app.extensions["stepwise_db"] = db

    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(HERE / "templates")),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    csrf.init_app(app)
    login = LoginManager(app)
    login.login_view = "auth.sign_in"
    login.login_message = "Sign in to see this page."
    login.login_message_category = "info"
    login.session_protection = "strong"

    @login.user_loader
    def load_user(user_id: str):
        return accounts.load(db, int(user_id)) if user_id.isdigit() else None

    _vendor_routes(app)

    from . import admin, admin_versions, admin_webhooks, auth, documents, manager, views  # noqa: F401  (admin_versions: routes on admin.bp)

    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(manager.bp)
    app.register_blueprint(admin_webhooks.bp)
    from engine.reports.pages import bp as reports  # managers' reports (issue 8)
    app.register_blueprint(reports)
    from . import oidc

    oidc.init_app(app)  # single sign-on, when STEPWISE_OIDC_* is set
    # Signed messages from the councils' case systems: the sender signs them (Standard Webhooks),
    # so they carry no CSRF token.
    app.register_blueprint(inbound_webhooks)
    csrf.exempt(inbound_webhooks)
    from engine.api import bp as engine_rest  # Camunda 7 REST dialect: HTTP Basic, no cookies, so no CSRF
    from engine.api import stepwise_api  # /api: Stepwise's own routes (documents, incident retry)
    from engine.api.index import bp as api_index  # /api/openapi.json for everything under /api
    from engine.api.repair import bp as api_repair  # /api: migration and case repair
    from webhooks.api import bp as webhooks_api  # /api: webhook subscriptions
    # HTTP Basic or bearer tokens, no cookies: no CSRF.
    for api in (engine_rest, stepwise_api, api_repair, webhooks_api, api_index):
        app.register_blueprint(api)
        csrf.exempt(api)

    from flask import render_template, request
    from flask_wtf.csrf import CSRFError

    @app.errorhandler(404)
    def not_found(_error):
        if request.path.startswith(("/engine-rest/", "/api/")):
            # A URL no API route matches at all (e.g. a newline in a path segment): the API's JSON error.
            return {"type": "InvalidRequestException", "message": "no such resource in this API "
                    "(see /engine-rest/openapi.json)"}, 404
        return render_template("error.html", title="Page not found",
                               text="There is nothing here, or it is not for your roles."), 404

    @app.errorhandler(CSRFError)
    def csrf_refused(_error):
        return render_template("error.html", title="Your form has expired",
                               text="For your security the form was not sent. Go back, reload the page and try again."), 400

    @app.errorhandler(400)
    def bad_request(_error):
        return render_template("error.html", title="Something was wrong with that request",
                               text="Go back, reload the page and try again."), 400

    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")  # case data stays off shared caches
        return response

    return app


def database(app: Flask) -> Database:
    return app.extensions["stepwise_db"]


_VENDOR = {
    # url prefix -> folder under node_modules
    "govuk": "govuk-frontend/dist/govuk",
    "bpmn-js": "bpmn-js/dist",
}


def _vendor_routes(app: Flask) -> None:
    """The npm packages' built files, served as they are (installed by `npm ci`)."""
    modules = Path(app.config["NODE_MODULES"])

    @app.get("/assets/<path:filename>")
    def govuk_assets(filename: str):
        return send_from_directory(modules / "govuk-frontend/dist/govuk/assets", filename, max_age=86400)

    @app.get("/vendor/<package>/<path:filename>")
    def vendor(package: str, filename: str):
        folder = _VENDOR.get(package)
        if folder is None:
            abort(404)
        return send_from_directory(modules / folder, filename, max_age=86400)
