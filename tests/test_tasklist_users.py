"""Admin pages for users and roles through Flask's test client: only admins (others get a 404);
create with a password or a one-time invite link; set roles, team and locality; deactivate (the
person's session ends). Each change is audited; each refusal changes nothing."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.store import models
from engine.tasklist import accounts, create_app

from page_helpers import PASSWORD, as_user  # noqa: F401 - as_user is a fixture
from page_helpers import csrf_token as token


@pytest.fixture
def app(db, clock):
    accounts.save_user(db, "admin.lee", "Lee Admin", ["admin"], password=PASSWORD)
    accounts.save_user(db, "sw.amira", "Amira Khan", ["social_worker"], password=PASSWORD, team="CIN", locality="Weston")
    return create_app({"DATABASE": db, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False})


def snapshot(db):
    """Everything the user pages may change, to prove a refusal changed nothing."""
    with db.reader() as session:
        users = session.execute(select(models.UserAccount.username, models.UserAccount.display_name,
                                       models.UserAccount.team, models.UserAccount.locality, models.UserAccount.active,
                                       models.UserAccount.password_hash).order_by(models.UserAccount.username)).all()
        roles = session.execute(select(models.UserRole.user_id, models.UserRole.role).order_by(models.UserRole.user_id,
                                                                                                models.UserRole.role)).all()
        audit = session.scalar(select(func.count()).select_from(models.AuditEvent))
        invites = session.scalar(select(func.count()).select_from(models.AccountInvite))
    return users, roles, audit, invites


def user_id(db, username):
    with db.reader() as session:
        return session.scalar(select(models.UserAccount.id).where(models.UserAccount.username == username))


def test_user_pages_are_for_admins_only(db, app, as_user):
    amira = as_user("sw.amira")
    amira_id = user_id(db, "sw.amira")
    before = snapshot(db)
    csrf = token(amira)
    assert "/admin/users" not in amira.get("/").get_data(as_text=True)
    for path in ("/admin/users", "/admin/users/new", f"/admin/users/{amira_id}"):
        assert amira.get(path).status_code == 404, path
    for path, data in [("/admin/users/new", {"username": "x.y", "display_name": "X", "sign_in": "invite"}),
                       (f"/admin/users/{amira_id}", {"display_name": "Amira", "roles": ["admin"]}),
                       (f"/admin/users/{amira_id}/deactivate", {}), (f"/admin/users/{amira_id}/invite", {})]:
        assert amira.post(path, data={**data, "csrf_token": csrf}).status_code == 404, path
    assert app.test_client().get("/admin/users").status_code == 302  # not signed in: to sign-in
    admin = as_user("admin.lee")
    assert admin.post(f"/admin/users/{amira_id}/deactivate").status_code == 400  # no CSRF token
    assert admin.get("/admin/users/999").status_code == 404
    assert snapshot(db) == before


def test_an_admin_adds_a_person_with_a_password_and_sets_their_roles(db, as_user):
    admin = as_user("admin.lee")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "sw.amira" in page and "Add a person" in page
    csrf = token(admin, "/admin/users/new")
    done = admin.post("/admin/users/new", data={
        "username": "tm.new", "display_name": "Terry New", "team": "CIN", "locality": "Weston",
        "roles": ["team_manager", "social_worker"], "other_roles": "duty_manager", "sign_in": "password",
        "password": "a long enough password", "csrf_token": csrf})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/users"
    person = accounts.by_username(db, "tm.new")
    assert (person.display_name, person.team, person.locality) == ("Terry New", "CIN", "Weston")
    assert person.roles == ("duty_manager", "social_worker", "team_manager")
    assert as_user("tm.new", "a long enough password").get("/").status_code == 200

    new_id = user_id(db, "tm.new")
    edit = admin.post(f"/admin/users/{new_id}", data={"display_name": "Terry Newer", "team": "CIN East", "locality": "",
                                                      "roles": ["team_manager"], "csrf_token": csrf})
    assert edit.status_code == 302
    person = accounts.by_username(db, "tm.new")
    assert (person.display_name, person.team, person.locality, person.roles) == ("Terry Newer", "CIN East", None,
                                                                                  ("team_manager",))
    with db.reader() as session:
        rows = session.execute(select(models.AuditEvent.action, models.AuditEvent.actor, models.AuditEvent.details)
                               .where(models.AuditEvent.action.like("user.%")).order_by(models.AuditEvent.id)).all()
    assert [(r.action, r.actor) for r in rows] == [("user.created", "admin.lee"), ("user.updated", "admin.lee")]
    assert rows[1].details["roles"] == ["team_manager"] and "a long enough password" not in str(rows)


def test_bad_input_is_refused_with_reasons_and_nothing_changes(db, as_user):
    admin = as_user("admin.lee")
    csrf = token(admin, "/admin/users/new")
    before = snapshot(db)
    for data, message in [
        ({"username": "Bad Name", "display_name": "X", "sign_in": "invite"}, "Enter a username"),
        ({"username": "sw.amira", "display_name": "X", "sign_in": "invite"}, "That username is taken"),
        ({"username": "new.one", "display_name": "", "sign_in": "invite"}, "Enter the person&#39;s name"),
        ({"username": "new.one", "display_name": "X"}, "Choose how the person will sign in"),
        ({"username": "new.one", "display_name": "X", "sign_in": "password", "password": "short"}, "at least 12"),
        ({"username": "new.one", "display_name": "X", "sign_in": "invite", "other_roles": "Not-A-Role"}, "Role names"),
    ]:
        response = admin.post("/admin/users/new", data={**data, "csrf_token": csrf})
        assert response.status_code == 400 and message in response.get_data(as_text=True), data
        assert "govuk-error-summary" in response.get_data(as_text=True)
    admin_id = user_id(db, "admin.lee")
    refused = admin.post(f"/admin/users/{admin_id}", data={"display_name": "Lee", "roles": ["social_worker"],
                                                           "csrf_token": csrf})
    assert refused.status_code == 400 and "cannot take the admin role from yourself" in refused.get_data(as_text=True)
    own = admin.post(f"/admin/users/{admin_id}/deactivate", data={"csrf_token": csrf}, follow_redirects=True)
    assert "You cannot deactivate your own account" in own.get_data(as_text=True)
    assert snapshot(db) == before


def test_an_invite_link_works_once_and_expires(db, app, clock, as_user):
    admin = as_user("admin.lee")
    csrf = token(admin, "/admin/users/new")
    shown = admin.post("/admin/users/new", data={"username": "fsw.new", "display_name": "Frankie New",
                                                 "roles": ["family_support_worker"], "sign_in": "invite", "csrf_token": csrf})
    assert shown.status_code == 200
    link = re.search(r'<code id="invite-link">http://localhost(/invite/[^<]+)</code>', shown.get_data(as_text=True)).group(1)
    with db.reader() as session:
        stored = session.scalar(select(models.AccountInvite.token_sha256))
    assert link.rsplit("/", 1)[1] not in stored  # only the hash is kept
    person = app.test_client()
    assert person.post("/sign-in", data={"username": "fsw.new", "password": "", "csrf_token": token(person, "/sign-in")}).status_code == 400
    page = person.get(link)
    assert page.status_code == 200 and "fsw.new" in page.get_data(as_text=True)
    csrf_p = token(person, link)
    mismatch = person.post(link, data={"password": "a long enough password", "confirm": "different password!",
                                       "csrf_token": csrf_p})
    assert mismatch.status_code == 400 and "not the same" in mismatch.get_data(as_text=True)
    assert person.post(link, data={"password": "a long enough password", "confirm": "a long enough password"}).status_code == 400
    assert accounts.authenticate(db, "fsw.new", "a long enough password") is None  # nothing set yet
    ok = person.post(link, data={"password": "a long enough password", "confirm": "a long enough password",
                                 "csrf_token": csrf_p})
    assert ok.status_code == 302 and ok.headers["Location"] == "/sign-in"
    assert accounts.authenticate(db, "fsw.new", "a long enough password") is not None
    assert person.get(link).status_code == 404  # used up

    # A new link for a forgotten password; it expires after 7 days.
    again = admin.post(f"/admin/users/{user_id(db, 'fsw.new')}/invite", data={"csrf_token": csrf})
    second = re.search(r'http://localhost(/invite/[^<]+)</code>', again.get_data(as_text=True)).group(1)
    assert app.test_client().get(second).status_code == 200
    clock.advance(days=7, minutes=1)
    assert app.test_client().get(second).status_code == 404


def test_deactivating_ends_the_persons_session(db, as_user):
    amira = as_user("sw.amira")
    assert amira.get("/").status_code == 200
    admin = as_user("admin.lee")
    amira_id = user_id(db, "sw.amira")
    done = admin.post(f"/admin/users/{amira_id}/deactivate", data={"csrf_token": token(admin, "/admin/users")})
    assert done.status_code == 302
    assert amira.get("/").status_code == 302  # back to sign-in
    assert accounts.authenticate(db, "sw.amira", PASSWORD) is None
    assert "Deactivated" in admin.get("/admin/users").get_data(as_text=True)
    admin.post(f"/admin/users/{amira_id}/reactivate", data={"csrf_token": token(admin, "/admin/users")})
    assert accounts.authenticate(db, "sw.amira", PASSWORD) is not None
    with db.reader() as session:
        actions = list(session.scalars(select(models.AuditEvent.action).where(models.AuditEvent.action.like("user.%"))
                                       .order_by(models.AuditEvent.id)))
    assert actions == ["user.deactivated", "user.reactivated"]
