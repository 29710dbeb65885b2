"""The documents listener's switch belongs to the `documents_on` / `documents_off` fixtures
(tests/conftest.py): a test that asks gets the listener so for itself alone, and every other test
runs as the product does, documents made, whichever module or test ran before it."""
from __future__ import annotations

from engine.catalog import collect, deploy
from engine.documents import store

from test_documents import PROCESSES, halton_step_down

KEY = "HAL-SWITCH"


def _deployed(db) -> None:
    deploy(db, collect([PROCESSES]), name="all", actor="process.owner")


def test_with_the_listener_off_completions_make_no_document(db, clock, documents_off):
    _deployed(db)
    halton_step_down(db, clock, KEY)
    assert store.documents(db, KEY) == []


def test_a_test_that_leaves_the_switch_alone_gets_documents(db, clock):
    # Runs after test_documents.py and after the test above turned the listener off.
    _deployed(db)
    halton_step_down(db, clock, KEY)
    assert sorted(d.template_id for d in store.documents(db, KEY)) == ["halton_cin_minutes_caf",
                                                                      "halton_ei_step_down_form"]
