"""The app the admin pages' and the API's migration tests share, with an admin and a social worker.
A fixture: a module imports it by name."""
from __future__ import annotations

import pytest

from engine.tasklist import accounts, create_app
from page_helpers import PASSWORD


@pytest.fixture
def app(db, clock, tmp_path):
    accounts.save_user(db, "admin.lee", "Lee Admin", ["admin"], password=PASSWORD)
    accounts.save_user(db, "sw.amira", "Amira Khan", ["social_worker"], password=PASSWORD)
    return create_app({"DATABASE": db, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False})
