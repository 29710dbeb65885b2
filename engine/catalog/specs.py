"""Deployed definitions as live SpiffWorkflow specs and forms, parsed once and cached.

Definitions and their deployments never change once stored, so the caches never go stale.
Each function takes a SQLAlchemy Session or Connection.
"""
from __future__ import annotations

import threading

from sqlalchemy import select

from engine import forms
from engine.serializer import spec_from_dict
from engine.store import models

_lock = threading.Lock()
_specs: dict[str, tuple] = {}
_deployment_of: dict[str, str] = {}
_forms: dict[str, dict[str, forms.Form]] = {}

_DEFINITIONS = models.ProcessDefinition.__table__
_FORMS = models.FormDefinition.__table__


def load_spec(conn, definition_id: str):
    """(spec, subprocess_specs) for a definition."""
    cached = _specs.get(definition_id)
    if cached is None:
        stored = conn.execute(select(_DEFINITIONS.c.spec).where(_DEFINITIONS.c.id == definition_id)).scalar()
        if stored is None:
            raise LookupError(f"no process definition {definition_id}")
        cached = spec_from_dict(stored)
        with _lock:
            _specs[definition_id] = cached
    return cached


def latest_definition(session, key: str) -> models.ProcessDefinition | None:
    return session.scalar(
        select(models.ProcessDefinition).where(models.ProcessDefinition.key == key)
        .order_by(models.ProcessDefinition.version.desc()).limit(1)
    )


def deployment_of(conn, definition_id: str) -> str:
    found = _deployment_of.get(definition_id)
    if found is None:
        found = conn.execute(select(_DEFINITIONS.c.deployment_id).where(_DEFINITIONS.c.id == definition_id)).scalar()
        if found is None:
            raise LookupError(f"no process definition {definition_id}")
        with _lock:
            _deployment_of[definition_id] = found
    return found


def _deployment_forms(conn, deployment_id: str) -> dict[str, forms.Form]:
    cached = _forms.get(deployment_id)
    if cached is None:
        rows = conn.execute(select(_FORMS.c.form_id, _FORMS.c.filename, _FORMS.c.schema)
                            .where(_FORMS.c.deployment_id == deployment_id))
        cached = {row.form_id: forms.parse_form(row.schema, row.filename) for row in rows}
        with _lock:
            _forms[deployment_id] = cached
    return cached


def definition_forms(conn, deployment_id: str) -> dict[str, forms.Form]:
    """Forms bind to their own deployment, so a running instance keeps the forms it started with."""
    return dict(_deployment_forms(conn, deployment_id))


def form_for(conn, deployment_id: str, form_id: str) -> forms.Form | None:
    return _deployment_forms(conn, deployment_id).get(form_id)
