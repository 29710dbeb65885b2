"""OIDC sign-in against a tiny provider served over real HTTP on 127.0.0.1: discovery document,
JWKS, an authorization endpoint that hands back a code, and a token endpoint issuing an RS256
id_token. The id_token's claim names the local account; a forged signature, a wrong nonce or
issuer, or an unknown or deactivated account signs nobody in. The provider's keys and tokens are
joserfc's (Authlib's own `authlib.jose` is deprecated in its favour)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from engine.tasklist import accounts, create_app

CLIENT_ID, CLIENT_SECRET = "stepwise-test", "provider-secret"


def signing_key() -> RSAKey:
    """A fresh RS256 key under the one key id the provider publishes."""
    return RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)


class Provider:
    """Just enough of an OpenID Connect provider: it signs whoever `self.user` names in."""

    def __init__(self):
        self.key = signing_key()
        self.user = {"preferred_username": "sw.amira", "name": "Amira Khan"}
        self.codes: dict[str, dict] = {}
        self.tamper = None  # a function changing the id_token's claims or the token, for refusals
        self.url = ""

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path == "/.well-known/openid-configuration":
            body = {"issuer": self.url, "authorization_endpoint": self.url + "/authorize",
                    "token_endpoint": self.url + "/token", "jwks_uri": self.url + "/jwks",
                    "response_types_supported": ["code"], "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"]}
        elif request.path == "/jwks":
            body = {"keys": [self.key.as_dict(private=False)]}
        elif request.path == "/authorize":
            args = request.args
            assert args["client_id"] == CLIENT_ID and args["response_type"] == "code"
            code = f"code-{len(self.codes)}"
            self.codes[code] = {"nonce": args.get("nonce")}
            target = args["redirect_uri"] + "?" + urlencode({"code": code, "state": args["state"]})
            return Response(status=302, headers={"Location": target})(environ, start_response)
        elif request.path == "/token":
            form = request.form
            assert request.authorization.username == CLIENT_ID and request.authorization.password == CLIENT_SECRET
            grant = self.codes.pop(form["code"])
            now = int(time.time())
            claims = {"iss": self.url, "aud": CLIENT_ID, "sub": "user-1", "iat": now, "exp": now + 300,
                      "nonce": grant["nonce"], **self.user}
            key = self.key
            if self.tamper:
                claims, key = self.tamper(claims, key)
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
            body = {"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token}
        else:
            body, status = {"error": "not_found"}, 404
            return Response(json.dumps(body), status, mimetype="application/json")(environ, start_response)
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)


@pytest.fixture
def provider():
    provider = Provider()
    server = make_server("127.0.0.1", 0, provider, threaded=True)
    provider.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield provider
    server.shutdown()
    thread.join(5)


@pytest.fixture
def app(db, clock, provider):
    accounts.save_user(db, "sw.amira", "Amira Khan", ["social_worker"])  # no password: single sign-on only
    accounts.save_user(db, "sw.gone", "Gone Worker", ["social_worker"], active=False)
    return create_app({"DATABASE": db, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False,
                       "STEPWISE_OIDC_ISSUER": provider.url, "STEPWISE_OIDC_CLIENT_ID": CLIENT_ID,
                       "STEPWISE_OIDC_CLIENT_SECRET": CLIENT_SECRET, "STEPWISE_OIDC_NAME": "Test Council"})


def sign_in(client):
    """Browser steps: our redirect to the provider, the provider's redirect back, our callback."""
    to_provider = client.get("/sign-in/oidc")
    assert to_provider.status_code == 302
    location = to_provider.headers["Location"]
    assert location.startswith(client.application.config["STEPWISE_OIDC_ISSUER"] + "/authorize?")
    back = httpx.get(location, follow_redirects=False)
    assert back.status_code == 302
    parts = urlsplit(back.headers["location"])
    return client.get(parts.path + "?" + parts.query)


def test_the_sign_in_page_offers_single_sign_on_and_it_signs_the_named_account_in(app):
    client = app.test_client()
    assert "Sign in with Test Council" in client.get("/sign-in").get_data(as_text=True)
    done = sign_in(client)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert "Amira Khan" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("change, status", [
    (lambda claims, key: ({**claims, "preferred_username": "nobody"}, key), 403),
    (lambda claims, key: ({**claims, "preferred_username": "sw.gone"}, key), 403),
    (lambda claims, key: ({**claims, "nonce": "replayed"}, key), 400),
    (lambda claims, key: ({**claims, "iss": "http://evil.example"}, key), 400),
    (lambda claims, key: ({**claims, "aud": "another-client"}, key), 400),
    (lambda claims, key: (claims, signing_key()), 400),
], ids=["unknown account", "deactivated", "wrong nonce", "wrong issuer", "wrong audience", "forged signature"])
def test_a_bad_id_token_or_account_signs_nobody_in(app, provider, change, status):
    provider.tamper = change
    client = app.test_client()
    refused = sign_in(client)
    assert refused.status_code == status
    assert client.get("/").status_code == 302  # still signed out


def test_a_callback_without_the_sign_in_state_is_refused(app, provider):
    client = app.test_client()
    assert client.get("/sign-in/oidc/callback?code=code-0&state=made-up").status_code == 400
    assert client.get("/").status_code == 302


def test_without_settings_there_is_no_single_sign_on(db, clock):
    app = create_app({"DATABASE": db, "SECRET_KEY": "x", "SESSION_COOKIE_SECURE": False})
    client = app.test_client()
    assert "Sign in with" not in client.get("/sign-in").get_data(as_text=True)
    assert client.get("/sign-in/oidc").status_code == 404


def test_this_module_imports_nothing_deprecated():
    # Authlib sets its deprecation warnings to "always" when it is imported, ahead of any -W option,
    # so only a filter put in front of its own (after importing it) turns them into errors.
    code = "import warnings, authlib.deprecate\nwarnings.simplefilter('error', DeprecationWarning)\nimport test_oidc\n"
    here = Path(__file__).parent
    path = os.pathsep.join(filter(None, [str(here.parent), os.environ.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", code], cwd=here, env={**os.environ, "PYTHONPATH": path},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
