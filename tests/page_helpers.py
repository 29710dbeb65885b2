"""What the page tests share: the test accounts' password, a page's CSRF token, and a Flask test
client signed in through the sign-in form as a browser would be (CSRF token first, then the POST).

`as_user` is a fixture: a module imports it by name and it signs in to that module's `app`."""
from __future__ import annotations

import re

import pytest

PASSWORD = "correct horse battery"  # every page test's accounts are saved with it


def csrf_token(client, path="/") -> str:
    """The CSRF token of the form on the page at `path`, as that client sees it."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def signed_in(app, username: str, password: str = PASSWORD):
    """A new test client of `app`, signed in as `username` (the sign-in must succeed)."""
    client = app.test_client()
    response = client.post("/sign-in", data={"username": username, "password": password,
                                             "csrf_token": csrf_token(client, "/sign-in")})
    assert response.status_code == 302, username
    return client


@pytest.fixture
def as_user(app):
    """as_user("sw.amira") is a client of the module's app signed in as her."""
    def make(username: str, password: str = PASSWORD):
        return signed_in(app, username, password)
    return make
