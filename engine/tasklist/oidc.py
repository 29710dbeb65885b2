"""Single sign-on with the council's OpenID Connect provider (Authlib), when configured.

Settings (Flask config or environment): STEPWISE_OIDC_ISSUER (the provider's issuer URL; its
`/.well-known/openid-configuration` is read), STEPWISE_OIDC_CLIENT_ID, STEPWISE_OIDC_CLIENT_SECRET,
STEPWISE_OIDC_USERNAME_CLAIM (default `preferred_username`), STEPWISE_OIDC_NAME (the button's
words, default "your council account").

The provider only proves who the person is: the signed id_token's claim names a local account,
which an admin created with its roles, team and locality. An unknown or deactivated account is
refused, so single sign-on never grants a role by itself.
"""
from __future__ import annotations

import os

from authlib.common.errors import AuthlibBaseError

try:  # Authlib 1.6+ checks tokens with joserfc, whose errors are its own
    from joserfc.errors import JoseError
except ImportError:  # pragma: no cover - older Authlib
    JoseError = AuthlibBaseError
from flask import Blueprint, Flask, current_app, redirect, render_template, session, url_for
from flask_login import login_user

from . import accounts, database

KEYS = ("STEPWISE_OIDC_ISSUER", "STEPWISE_OIDC_CLIENT_ID", "STEPWISE_OIDC_CLIENT_SECRET",
        "STEPWISE_OIDC_USERNAME_CLAIM", "STEPWISE_OIDC_NAME")
CLIENT = "council"

bp = Blueprint("oidc", __name__)


def settings(app: Flask) -> dict[str, str | None]:
    return {key: app.config.get(key) or os.environ.get(key) for key in KEYS}


def init_app(app: Flask) -> bool:
    """Offer single sign-on when an issuer and a client id are set; True when it is on."""
    found = settings(app)
    if not (found["STEPWISE_OIDC_ISSUER"] and found["STEPWISE_OIDC_CLIENT_ID"]):
        return False
    from authlib.integrations.flask_client import OAuth

    issuer = found["STEPWISE_OIDC_ISSUER"].rstrip("/")
    oauth = OAuth(app)
    oauth.register(CLIENT, client_id=found["STEPWISE_OIDC_CLIENT_ID"],
                   client_secret=found["STEPWISE_OIDC_CLIENT_SECRET"],
                   server_metadata_url=issuer + "/.well-known/openid-configuration",
                   client_kwargs={"scope": "openid profile email"})
    app.extensions["stepwise_oidc"] = {"oauth": oauth, "issuer": issuer,
                                       "claim": found["STEPWISE_OIDC_USERNAME_CLAIM"] or "preferred_username",
                                       "name": found["STEPWISE_OIDC_NAME"] or "your council account"}
    app.register_blueprint(bp)

    @app.context_processor
    def sign_in_button():
        return {"oidc_name": app.extensions["stepwise_oidc"]["name"]}

    return True


def _config() -> dict:
    return current_app.extensions["stepwise_oidc"]


@bp.get("/sign-in/oidc")
def start():
    client = _config()["oauth"].create_client(CLIENT)
    return client.authorize_redirect(url_for("oidc.callback", _external=True))


def _refused(text: str, status: int):
    return render_template("error.html", title="You could not be signed in", text=text), status


@bp.get("/sign-in/oidc/callback")
def callback():
    config = _config()
    client = config["oauth"].create_client(CLIENT)
    try:
        # Checks the state, then the id_token's signature (the provider's JWKS), issuer, audience,
        # expiry and nonce.
        token = client.authorize_access_token(claims_options={"iss": {"essential": True, "value": config["issuer"]}})
    except (AuthlibBaseError, JoseError, KeyError, ValueError):
        return _refused("The sign-in could not be checked. Go back to the sign-in page and try again.", 400)
    claims = token.get("userinfo") or {}
    username = str(claims.get(config["claim"]) or "").strip()
    account = accounts.by_username(database(current_app), username) if username else None
    if account is None or not account.active:
        return _refused("Your council account has no active Stepwise account: ask a Stepwise administrator.", 403)
    session.clear()  # a fresh session on sign-in (no fixation)
    login_user(account)
    return redirect(url_for("views.task_list"))
