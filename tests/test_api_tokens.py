"""API tokens (made and revoked on the admin page, stored as sha256, shown once) and the cache of
verified HTTP Basic credentials, through real HTTP on the real database."""
from __future__ import annotations

import hashlib
import re
import pytest
from sqlalchemy import func, select

from engine.api import credentials
from engine.store import models
from engine.tasklist import accounts, tokens

from test_api import Api, app, basic, deploy_ns, start_case, state  # noqa: F401  (fixture)
from page_helpers import csrf_token, signed_in


@pytest.fixture(autouse=True)
def _empty_cache():
    credentials.cache.clear()
    yield
    credentials.cache.clear()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def make_token(app, client, username="sw.amira", name="Modeler on Amira's laptop"):
    response = client.post("/admin/tokens", data={"username": username, "name": name,
                                                  "csrf_token": csrf_token(client, "/admin/tokens")})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    found = re.findall(r'<code class="app-token">([^<]+)</code>', response.get_data(as_text=True))
    assert len(found) == 1
    return found[0]


def token_rows(db):
    with db.reader() as session:
        return list(session.scalars(select(models.ApiToken).order_by(models.ApiToken.id)))


def test_admin_makes_a_token_shown_once_and_stored_as_its_sha256(db, app, clock):
    admin = signed_in(app, "admin.lee")
    token = make_token(app, admin)
    assert token.startswith("swt_") and len(token) > 40
    (row,) = token_rows(db)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.name == "Modeler on Amira's laptop" and row.created_by == "admin.lee" and row.last_used_at is None
    # The listing shows its prefix and owner but never the token again.
    page = admin.get("/admin/tokens").get_data(as_text=True)
    assert token not in page and row.prefix in page and "sw.amira" in page and "Never" in page
    with db.reader() as session:
        assert session.scalar(select(func.count()).select_from(models.AuditEvent)
                              .where(models.AuditEvent.action == "api_token.created")) == 1


def test_a_bearer_token_acts_with_its_users_roles_and_notes_its_use(db, app, clock):
    deploy_ns(app)
    instance = start_case(app)
    admin = signed_in(app, "admin.lee")
    amira, manager = make_token(app, admin, "sw.amira"), make_token(app, admin, "tm.jones", "manager script")
    client = app.test_client()
    tasks = client.get("/engine-rest/task", headers=bearer(amira))
    assert tasks.status_code == 200 and [t["processInstanceId"] for t in tasks.get_json()] == [instance["id"]]
    assert client.get("/engine-rest/task", headers=bearer(manager)).get_json() == []  # not the manager's role
    # Same role rules as the user: a social worker's token cannot deploy.
    refused = client.post("/engine-rest/deployment/create", headers=bearer(amira), data={"x.bpmn": "<x/>"},
                          content_type="multipart/form-data")
    assert refused.status_code == 403 and refused.get_json()["type"] == "AuthorizationException"
    (row, _other) = token_rows(db)
    assert row.last_used_at == clock.now()
    # A role taken away from the account is taken from its token at once.
    accounts.save_user(db, "sw.amira", "Amira Khan", ["team_manager"])
    assert client.get("/engine-rest/task", headers=bearer(amira)).get_json() == []


def test_a_revoked_or_unknown_token_or_a_deactivated_user_is_refused(db, app, clock):
    admin = signed_in(app, "admin.lee")
    token, other = make_token(app, admin), make_token(app, admin, "tm.jones", "other")
    client = app.test_client()
    assert client.get("/engine-rest/deployment", headers=bearer(token)).status_code == 200
    for wrong in (token + "x", "swt_" + "A" * 43, "not-a-token", ""):
        response = client.get("/engine-rest/deployment", headers=bearer(wrong))
        assert response.status_code == 401 and response.get_json()["type"] == "AuthenticationException", wrong
    (row, other_row) = token_rows(db)
    revoked = admin.post(f"/admin/tokens/{row.id}/revoke", data={"csrf_token": csrf_token(admin, "/admin/tokens")})
    assert revoked.status_code == 302
    assert client.get("/engine-rest/deployment", headers=bearer(token)).status_code == 401
    assert token_rows(db)[0].revoked_by == "admin.lee"
    # Revoking twice is refused and changes nothing.
    before = state(db), token_rows(db)[0].revoked_at
    again = admin.post(f"/admin/tokens/{row.id}/revoke", data={"csrf_token": csrf_token(admin, "/admin/tokens")},
                       follow_redirects=True)
    assert "already revoked" in again.get_data(as_text=True)
    assert (state(db), token_rows(db)[0].revoked_at) == before
    accounts.save_user(db, "tm.jones", "Gareth Jones", ["team_manager"], active=False)
    assert client.get("/engine-rest/deployment", headers=bearer(other)).status_code == 401


def test_a_token_without_a_name_or_for_an_unknown_user_is_refused_and_nothing_is_made(db, app, clock):
    admin = signed_in(app, "admin.lee")
    for data, message in (({"username": "sw.amira", "name": "  "}, "Enter a name"),
                          ({"username": "nobody", "name": "x"}, "Choose an active account"),
                          ({"username": "sw.amira", "name": "n" * 101}, "100 characters")):
        response = admin.post("/admin/tokens", data={**data, "csrf_token": csrf_token(admin, "/admin/tokens")})
        assert response.status_code == 400 and message in response.get_data(as_text=True)
        assert "app-token" not in response.get_data(as_text=True)
    assert token_rows(db) == []


def test_only_admins_reach_the_token_pages(db, app, clock):
    admin = signed_in(app, "admin.lee")
    make_token(app, admin)
    worker = signed_in(app, "sw.amira")
    csrf = csrf_token(worker, "/")
    (row,) = token_rows(db)
    assert worker.get("/admin/tokens").status_code == 404
    assert worker.post("/admin/tokens", data={"username": "sw.amira", "name": "mine", "csrf_token": csrf}).status_code == 404
    assert worker.post(f"/admin/tokens/{row.id}/revoke", data={"csrf_token": csrf}).status_code == 404
    assert len(token_rows(db)) == 1 and token_rows(db)[0].revoked_at is None
    assert app.test_client().get("/admin/tokens").status_code == 302  # to sign in


# -- HTTP Basic: verified credentials are cached briefly -------------------------------------------

def test_basic_credentials_are_verified_once_then_served_from_the_cache(db, app, clock, monkeypatch):
    calls = []
    real = accounts.authenticate
    monkeypatch.setattr(accounts, "authenticate", lambda *a: calls.append(a[1:]) or real(*a))
    api = Api(app, "sw.amira")
    for _ in range(3):
        assert api.get("/task").status_code == 200
    assert len(calls) == 1 and len(credentials.cache) == 1
    # A wrong password is verified every time and never cached.
    wrong = app.test_client()
    for _ in range(2):
        assert wrong.get("/engine-rest/task", headers=basic("sw.amira", "wrong")).status_code == 401
    assert len(calls) == 3 and len(credentials.cache) == 1
    # After the time to live, argon2 again.
    clock.advance(seconds=credentials.TTL.total_seconds() + 1)
    assert api.get("/task").status_code == 200 and len(calls) == 4


def test_a_password_change_or_deactivation_ends_a_cached_credential_at_once(db, app, clock):
    api = Api(app, "sw.amira")
    assert api.get("/task").status_code == 200 and len(credentials.cache) == 1
    accounts.save_user(db, "sw.amira", "Amira Khan", ["social_worker"], password="a new password entirely")
    assert api.get("/task").status_code == 401
    assert app.test_client().get("/engine-rest/task", headers=basic("sw.amira", "a new password entirely")).status_code == 200
    fresh = app.test_client()
    headers = basic("sw.amira", "a new password entirely")
    assert fresh.get("/engine-rest/task", headers=headers).status_code == 200
    accounts.save_user(db, "sw.amira", "Amira Khan", ["social_worker"], active=False)
    assert fresh.get("/engine-rest/task", headers=headers).status_code == 401
