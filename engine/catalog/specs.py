"""Deployed definitions as live SpiffWorkflow specs, parsed once per process (per version)."""
from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import forms
from engine.serializer import spec_from_dict
from engine.store import models

_lock = threading.Lock()
_specs: dict[str, tuple] = {}


def load_spec(session: Session, definition_id: str):
    """(spec, subprocess_specs) for a definition; definitions are immutable, so cache forever."""
    cached = _specs.get(definition_id)
    if cached is None:
        definition = session.get(models.ProcessDefinition, definition_id)
        if definition is None:
            raise LookupError(f"no process definition {definition_id}")
        cached = spec_from_dict(definition.spec)
        with _lock:
            _specs[definition_id] = cached
    return cached


def latest_definition(session: Session, key: str) -> models.ProcessDefinition | None:
    return session.scalar(
        select(models.ProcessDefinition).where(models.ProcessDefinition.key == key)
        .order_by(models.ProcessDefinition.version.desc()).limit(1)
    )


def definition_forms(session: Session, deployment_id: str) -> dict[str, forms.Form]:
    """Forms bind to their own deployment, so a running instance keeps the forms it started with."""
    return dict(_forms_of(session, deployment_id))


def _forms_of(session: Session, deployment_id: str):
    cached = _forms.get(deployment_id)
    if cached is None:
        rows = session.scalars(select(models.FormDefinition).where(models.FormDefinition.deployment_id == deployment_id))
        cached = {row.form_id: forms.parse_form(row.schema, row.filename) for row in rows}
        with _lock:
            _forms[deployment_id] = cached
    return cached.items()


_forms: dict[str, dict[str, forms.Form]] = {}


def form_for(session: Session, deployment_id: str, form_id: str) -> forms.Form | None:
    return dict(_forms_of(session, deployment_id)).get(form_id)
