"""Make the document a completed task names, in the completion's own transaction.

Registered with `engine.runtime.subscribe` when `engine.documents` is imported. For each
`task.completed` event whose element has the `document` property, the template is rendered from
the case (case_record/case_person) and the task's data after completion, stored as the next
version for (case, template) on `unit.conn`, and audited as `document.created`. A template that
cannot be rendered (missing file, unknown field, unsafe or broken Jinja) becomes an incident of
kind "document" on the instance: the completion stands (the worker's form is never lost), nothing
of the document is stored, and `runtime.retry_incident` renders it again once the template is
fixed. A document id the catalogue does not list at all is audited as `document.skipped`.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine import clock
from engine.catalog import specs as catalog_specs
from engine.runtime.errors import RuntimeRefusal
from engine.runtime.events import Event
from engine.store import models

from . import render, store, templates

log = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")
_HUMAN = models.HumanTask.__table__
_CASES = models.Case.__table__
_PEOPLE = models.CasePerson.__table__


class DocumentError(RuntimeRefusal):
    """A document could not be made (nothing of it was stored)."""

    def __init__(self, template_id: str, task_name: str | None, reason: str):
        self.template_id, self.task_name, self.reason = template_id, task_name, reason
        super().__init__(f"document '{template_id}' for task '{task_name or '?'}' could not be made: {reason}")


def case_context(conn, business_key: str) -> dict:
    case = conn.execute(select(_CASES).where(_CASES.c.business_key == business_key)).first()
    people = []
    if case is not None:
        people = [dict(name=p.name, date_of_birth=p.date_of_birth, role=p.role, nhs_number=p.nhs_number,
                       case_system_number=p.case_system_number, relationship_to_child=p.relationship_to_child)
                  for p in conn.execute(select(_PEOPLE).where(_PEOPLE.c.case_id == case.id).order_by(_PEOPLE.c.id))]
    children = [p for p in people if p["role"] == "child"]
    council = case.council if case is not None else None
    return {
        "case_reference": business_key,
        "council": council,
        "council_name": render.COUNCIL_NAMES.get(council or "", council or ""),
        "address": case.address if case is not None else None,
        "locality": case.locality if case is not None else None,
        "children": children,
        "household": [p for p in people if p["role"] != "child"],
        "people": people,
        "child_name": ", ".join(p["name"] for p in children),
        "child_date_of_birth": children[0]["date_of_birth"] if children else None,
    }


def _forms(conn, definition_id: str | None, form_ref: str | None, upstream: dict[str, str]):
    if not definition_id:
        return None, []
    deployment = catalog_specs.deployment_of(conn, definition_id)
    own = catalog_specs.form_for(conn, deployment, form_ref) if form_ref else None
    others = [catalog_specs.form_for(conn, deployment, form_id) for form_id in sorted(set(upstream.values()))]
    return own, [f for f in others if f is not None]


def _plain(value):
    return json.loads(json.dumps(value, default=lambda v: None if v is render.BLANK else str(v)))


def make_document(unit, event, template_id: str):
    conn = unit.conn
    task = conn.execute(select(_HUMAN.c.name, _HUMAN.c.form_ref).where(_HUMAN.c.id == event.task_id)).first()
    task_name = task.name if task is not None else event.details.get("name")
    library = templates.library()
    if template_id not in library.catalogue():
        # A process names a document the catalogue does not know (the catalogue check reports
        # it): the completion goes ahead, and the gap is on the audit trail.
        log.warning("no template '%s' in the catalogue: task %s completed without its document", template_id, event.task_id)
        unit.audit("document.skipped", business_key=event.business_key, instance_id=event.instance_id,
                   task_id=event.task_id, template=template_id, reason="no template in the catalogue")
        return None
    try:
        template = library.get(template_id)
        own_form, upstream_forms = _forms(conn, event.context.get("definition_id"),
                                          task.form_ref if task is not None else None, template.upstream)
        version = store.next_version(conn, event.business_key, template_id)
        now = clock.now().astimezone(LONDON)
        facts = {"generated_on": now.strftime("%d %B %Y %H:%M"), "completed_by": event.actor,
                 "completed_on": now.strftime("%d %B %Y"), "task_name": task_name, "document_id": template_id,
                 "document_title": template.title, "version": version}
        data = event.context.get("data") or {}
        context = render.build_context(
            case=case_context(conn, event.business_key), facts=facts, data=data, fields=template.fields,
            own_keys=own_form.field_keys() if own_form is not None else (),
            labels=render.labels_of([own_form, *upstream_forms]),
        )
        content = render.render(template.content, context)
    except (render.RenderError, templates.TemplateMissing) as error:
        raise DocumentError(template_id, task_name, str(error)) from error
    shown = {k: context[k] for k in template.fields if k in context and k not in render.CASE_FIELDS}
    document = store.insert(
        conn, business_key=event.business_key, instance_id=event.instance_id, task_id=event.task_id,
        template_id=template_id, template_sha256=template.sha256, version=version, title=template.title,
        content=content, fields=_plain(shown), actor=event.actor,
    )
    unit.audit("document.created", business_key=event.business_key, instance_id=event.instance_id,
               task_id=event.task_id, document_id=document.id, template=template_id, version=version,
               sha256=document.sha256, template_sha256=template.sha256)
    return document


def on_events(unit, events) -> None:
    for event in events:
        if event.action != "task.completed":
            continue
        template_id = (event.context.get("properties") or {}).get("document")
        if not template_id:
            continue
        try:
            make_document(unit, event, template_id)
        except DocumentError as error:
            # make_document raises before it writes, so there is nothing to undo here.
            unit.raise_incident(
                instance_id=event.instance_id, business_key=event.business_key,
                element_id=event.details.get("element_id"), error=str(error), kind=INCIDENT_KIND,
                details={"template": template_id, "event": _event_record(event)},
            )


INCIDENT_KIND = "document"
_KEPT_CONTEXT = ("definition_id", "data", "properties")


def _event_record(event) -> dict:
    """What a retry needs to make the document as the completion would have."""
    return {
        "action": event.action, "at": event.at.isoformat(), "actor": event.actor,
        "business_key": event.business_key, "instance_id": event.instance_id, "task_id": event.task_id,
        "details": event.details, "context": {k: event.context.get(k) for k in _KEPT_CONTEXT},
    }


def retry(unit, incident) -> None:
    """Render the document of a failed completion again (raises DocumentError if it still fails)."""
    record = dict(incident.details["event"])
    record["at"] = datetime.fromisoformat(record["at"])
    make_document(unit, Event(**record), incident.details["template"])
