"""Documents: templates and their catalogue, rendering (sandboxed, autoescaped), the listener that
stores a document in the completion's transaction, and case / meeting packs. Real scenarios are
driven through the runtime; every document is read back with python-docx (openpyxl for the
spreadsheet)."""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from engine import documents, runtime
from engine.catalog import collect, deploy
from engine.documents import check, packs, render, store, templates
from engine.forms import parse_form
from engine.runtime import repository
from engine.store import models

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ROOT / "processes"
TEMPLATES = ROOT / "docs_templates"
CATALOGUE = json.loads((TEMPLATES / "catalogue.json").read_text())["documents"]
HALTON_CASE = {"council": "halton", "children": [{"name": "Riley Example", "date_of_birth": "2015-06-02"}],
               "household": [{"name": "Sam Example", "relationship_to_child": "Mother"}],
               "locality": "widnes", "address": "1 Example Street, Widnes"}


pytestmark = pytest.mark.usefixtures("documents_on")  # tests/conftest.py owns the listener's switch


@pytest.fixture
def deployed(db, clock):
    deploy(db, collect([PROCESSES]), name="all", actor="process.owner")
    return db


# -- reading documents back -------------------------------------------------------------------------

def docx_text(content: bytes) -> str:
    """Every paragraph, table cell, header and footer of a .docx, one per line."""
    document = Document(io.BytesIO(content))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    for section in document.sections:
        lines += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    return "\n".join(lines)


def table_rows(content: bytes, first_heading: str) -> list[list[str]]:
    for table in Document(io.BytesIO(content)).tables:
        if table.rows[0].cells[0].text == first_heading:
            return [[c.text for c in row.cells] for row in table.rows[1:]]
    raise AssertionError(f"no table starting with {first_heading!r}")


def assert_clean(body: str) -> None:
    for leftover in ("{{", "}}", "{%", "%}"):
        assert leftover not in body, f"leftover {leftover!r} in:\n{body}"


# -- driving scenarios ------------------------------------------------------------------------------

def the_task(db, key, element_id):
    found = [t for t in runtime.tasks(db, business_key=key) if t.element_id == element_id]
    assert len(found) == 1, [t.element_id for t in runtime.tasks(db, business_key=key)]
    return found[0]


def do(db, key, element_id, data, actor):
    repository.cache.clear()
    return runtime.complete(db, the_task(db, key, element_id).id, data, actor)


def fire_at(db, clock, moment):
    clock.set(moment)
    return runtime.fire_due_timers(db, clock.now())


def halton_to_ei_form(db, clock, key):
    """Halton step-down up to (not including) the Early Intervention step-down form."""
    clock.set("2026-11-23T09:00:00+00:00")
    runtime.start(db, "halton_step_down", key, {"cin_plan_reviewed": True}, "sw.priya", case=HALTON_CASE)
    do(db, key, "invite_ei_team", {
        "locality": "widnes", "meeting_date": "2026-12-01", "meeting_time": "10:00", "venue": "Widnes children's centre",
        "synopsis_of_work": "12 weeks of CIN work on routines and school attendance.",
        "outstanding_actions": [{"action": "Referral to the parenting course", "owner": "Social worker", "due": "2026-12-05"}],
        "suggested_lead_professional": "Example Primary learning mentor", "invite_sent_on": "2026-11-23"}, "sw.priya")
    assert fire_at(db, clock, "2026-12-01T10:00:01+00:00").fired == 1
    do(db, key, "final_cin_meeting", {
        "meeting_held_on": "2026-12-01", "attendees": ["social_worker", "ei_representative", "parent_carer", "school"],
        "outstanding_needs": "Support with morning routines; a parenting course.",
        "family_views": "Mum wants help to keep things going.", "cin_outcome": "step_down_caf",
        "outcome_rationale": "Agreed with the family and partners at the meeting.",
        "first_caf_review_date": "2027-01-12", "lead_professional": "Learning mentor, Example Primary"}, "sw.priya")


EI_FORM = {
    "outcome_confirmed": True, "ei_overview": "Final CIN meeting held; plan agreed with the family.",
    "actions_agreed": [{"action": "Book the parenting course", "owner": "EI worker", "due": "2026-12-10"},
                       {"action": "Morning routine chart", "owner": "Mum", "due": "2026-12-14"}],
    "ei_form_completed_on": "2026-12-01"}
CAF_MINUTES = {
    "cin_minutes": "Outstanding needs shared; step-down to CAF agreed.",
    "cin_plan": "Parenting course; morning routine chart; attendance reviewed fortnightly.",
    "step_up_indicators": "Attendance below 85% or any new domestic abuse incident.",
    "forwarded_to_ei_on": "2026-12-03"}


def halton_step_down(db, clock, key="HAL-DOCS-1", ei_form=None):
    halton_to_ei_form(db, clock, key)
    do(db, key, "ei_step_down_form", ei_form or EI_FORM, "ei.jordan")
    do(db, key, "sw_cin_minutes_caf", CAF_MINUTES, "sw.priya")


def case_documents(db, key, **kwargs):
    return store.documents(db, key, **kwargs)


# == the catalogue ==================================================================================

def test_the_catalogue_lists_every_document_a_process_names_and_every_template_file():
    tasks, _forms = check.process_library(PROCESSES)
    named = {doc for _form, doc in tasks.values() if doc}
    assert {e["id"] for e in CATALOGUE} == named
    for entry in CATALOGUE:
        assert (TEMPLATES / entry["file"]).exists(), entry["file"]
        assert entry["title"] and entry["council"] and entry["process"] and entry["task"] and entry["fields"]
        for producer in entry["producers"]:
            assert tasks[(producer["process"], producer["task"])] == (producer["form"], entry["id"])


def test_every_field_a_template_uses_is_provided_by_its_form_or_the_case():
    assert check.check(TEMPLATES, PROCESSES) == []


def test_the_check_names_the_template_and_the_field_no_form_provides(tmp_path):
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    path = folder / "halton_ei_step_down_form.docx"
    document = Document(path)
    document.add_paragraph("Favourite colour: {{ favourite_colour }}")
    document.save(path)
    problems = check.check(folder, PROCESSES)
    assert any("'halton_ei_step_down_form'" in p and "'favourite_colour'" in p and "provided by no form" in p
               for p in problems), problems


# == rendering =====================================================================================

def sample_value(field, index=0):
    if field.type == "checkbox":
        return True
    if field.type == "datetime":
        return "2026-12-0%d" % (index + 1)
    if field.type == "number":
        return 3
    if field.options:
        return [field.options[0][0]] if field.type == "checklist" else field.options[-1][0]
    return f"Sample {field.key} {index}"


def sample_data(form):
    """Data as a worker would submit it: every field filled, two items in every list."""
    data = {}
    for field in form.fields():
        if "[]" in field.key:
            continue
        if field.type == "dynamiclist":
            children = [f for f in form.fields() if f.key.startswith(field.key + "[].")]
            data[field.key] = [{c.key.split("[].", 1)[1]: sample_value(c, i) for c in children} for i in range(2)]
        else:
            data[field.key] = sample_value(field)
    return data


def sample_context(entry, producer, form, template, data, case_reference: str) -> dict:
    """The rendering context a completion of `producer`'s task would give, for a sample child."""
    return render.build_context(
        case={"case_reference": case_reference, "council": entry["council"], "council_name": "A Council",
              "address": "2 Sample Road", "locality": "north", "children": [], "household": [],
              "people": [{"name": "Alex Sample", "date_of_birth": "2016-01-01", "role": "child",
                          "relationship_to_child": None}], "child_name": "Alex Sample",
              "child_date_of_birth": "2016-01-01"},
        facts={"generated_on": "23 November 2026", "completed_by": "sw.test", "completed_on": "23 November 2026",
               "task_name": producer["task"], "document_id": entry["id"], "document_title": entry["title"],
               "version": 1},
        data=data, fields=template.fields, own_keys=form.field_keys(), labels=render.labels_of([form]))


@pytest.mark.parametrize("entry", CATALOGUE, ids=[e["id"] for e in CATALOGUE])
def test_every_template_renders_from_its_forms_data(entry):
    forms = {f.stem: parse_form(f.read_text(), str(f)) for f in PROCESSES.rglob("*.form")}
    template = templates.Library(TEMPLATES).get(entry["id"])
    for producer in entry["producers"]:
        form = forms[producer["form"]]
        data = sample_data(form)
        context = sample_context(entry, producer, form, template, data, "CASE-9")
        body = docx_text(render.render(template.content, context))
        assert_clean(body)
        assert "Alex Sample" in body and "CASE-9" in body and entry["title"] in body
        for key, value in data.items():
            if key not in template.fields:
                continue
            if isinstance(value, list) and value and isinstance(value[0], dict):
                for item in value:
                    for sub, text_value in item.items():
                        assert str(text_value) in body, (entry["id"], key, sub)
            elif isinstance(value, str) and form.component(key).options:
                assert dict(form.component(key).options)[value] in body, (entry["id"], key)
            elif isinstance(value, str):
                assert value in body, (entry["id"], key)


def test_ampersands_angle_brackets_and_quotes_come_out_intact(deployed, clock):
    text_with_markup = 'Tom & Jerry <b>not bold</b> said "no" & left; 5 < 7 > 2'
    halton_step_down(deployed, clock, "HAL-ESCAPE", ei_form={**EI_FORM, "ei_overview": text_with_markup})
    ei = [d for d in case_documents(deployed, "HAL-ESCAPE") if d.template_id == "halton_ei_step_down_form"][0]
    body = docx_text(store.document_content(deployed, ei.id))
    assert text_with_markup in body
    assert "&amp;" not in body and "&lt;" not in body


def test_a_template_reaching_for_python_internals_fails_safely(tmp_path):
    document = Document()
    document.add_paragraph("{{ ''.__class__.__mro__ }}")
    document.add_paragraph("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    buffer = io.BytesIO()
    document.save(buffer)
    with pytest.raises(render.RenderError) as refused:
        render.render(buffer.getvalue(), {})
    assert "unsafe" in str(refused.value) or "SecurityError" in str(refused.value)


# == the listener: same transaction, immutable versions ================================================

def test_a_halton_step_down_produces_its_documents_with_the_right_content(deployed, clock):
    halton_step_down(deployed, clock, "HAL-DOCS-1")
    docs = case_documents(deployed, "HAL-DOCS-1")
    assert [d.template_id for d in docs] == ["halton_ei_step_down_form", "halton_cin_minutes_caf"]
    ei, minutes = docs
    assert ei.version == 1 and ei.actor == "ei.jordan" and ei.title == "Early Intervention step-down form"
    content = store.document_content(deployed, ei.id)
    assert hashlib.sha256(content).hexdigest() == ei.sha256 and len(content) == ei.size
    assert ei.template_sha256 == hashlib.sha256((TEMPLATES / "halton_ei_step_down_form.docx").read_bytes()).hexdigest()
    body = docx_text(content)
    assert_clean(body)
    assert "Riley Example" in body and "Sam Example" in body and "HAL-DOCS-1" in body
    assert "Halton Borough Council" in body
    assert "Outcome of the final CIN meeting: (ii) Outstanding needs: step down to early intervention / CAF" in body
    assert table_rows(content, "Action") == [["Book the parenting course", "EI worker", "2026-12-10"],
                                              ["Morning routine chart", "Mum", "2026-12-14"]]
    assert "Outcome agreed at the meeting confirmed: Yes" in body
    minutes_body = docx_text(store.document_content(deployed, minutes.id))
    assert_clean(minutes_body)
    assert "Outstanding needs shared; step-down to CAF agreed." in minutes_body
    attendees = dict(parse_form((PROCESSES / "halton/forms/halton_final_cin_meeting.form").read_text())
                     .component("attendees").options)
    assert table_rows(store.document_content(deployed, minutes.id), "Attendee") == [
        [attendees[v]] for v in ("social_worker", "ei_representative", "parent_carer", "school")]
    assert ["Locality EI team representative"] in table_rows(store.document_content(deployed, minutes.id), "Attendee")
    with deployed.reader() as session:
        audit = session.execute(select(models.AuditEvent.action, models.AuditEvent.details)
                                .where(models.AuditEvent.action == "document.created")
                                .order_by(models.AuditEvent.id)).all()
    assert [a.details["template"] for a in audit] == ["halton_ei_step_down_form", "halton_cin_minutes_caf"]
    assert audit[0].details["sha256"] == ei.sha256 and audit[0].details["version"] == 1


def test_the_decision_label_is_shown(deployed, clock):
    halton_step_down(deployed, clock, "HAL-DECISION")
    form = parse_form((PROCESSES / "halton/forms/halton_final_cin_meeting.form").read_text())
    label = dict(form.component("cin_outcome").options)["step_down_caf"]
    ei = case_documents(deployed, "HAL-DECISION")[0]
    assert f"Outcome of the final CIN meeting: {label}" in docx_text(store.document_content(deployed, ei.id))


def test_a_reissue_is_a_new_version_and_the_old_one_is_kept_unchanged(deployed, clock):
    halton_step_down(deployed, clock, "HAL-REISSUE")
    first = case_documents(deployed, "HAL-REISSUE")[0]
    first_content = store.document_content(deployed, first.id)
    # The same case goes through the step-down again: the form is issued a second time.
    halton_step_down(deployed, clock, "HAL-REISSUE", ei_form={**EI_FORM, "ei_overview": "Second meeting: plan revised."})
    every = case_documents(deployed, "HAL-REISSUE", current_only=False)
    ei_versions = [d for d in every if d.template_id == "halton_ei_step_down_form"]
    assert [d.version for d in ei_versions] == [1, 2]
    assert store.document_content(deployed, first.id) == first_content
    current = [d for d in case_documents(deployed, "HAL-REISSUE") if d.template_id == "halton_ei_step_down_form"]
    assert [d.version for d in current] == [2]
    assert "Second meeting: plan revised." in docx_text(store.document_content(deployed, current[0].id))
    # Stored documents cannot be changed or removed, even with SQL.
    for statement in ("UPDATE document SET sha256 = 'x' WHERE id = :id", "DELETE FROM document WHERE id = :id"):
        with pytest.raises(Exception, match="immutable"):
            with deployed.engine.begin() as conn:
                conn.execute(text(statement), {"id": first.id})


def _state(db, key):
    with db.reader() as session:
        return (
            session.scalar(select(models.ProcessInstance.version).where(models.ProcessInstance.business_key == key)),
            session.scalar(select(func.count()).select_from(models.Document)),
            session.scalar(select(func.count()).select_from(models.AuditEvent)),
            [(t.element_id, t.state) for t in runtime.tasks(db, business_key=key, state=None)],
        )


def _broken_templates(tmp_path, paragraph: str) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    path = folder / "halton_ei_step_down_form.docx"
    document = Document(path)
    document.add_paragraph(paragraph)
    document.save(path)
    return folder


@pytest.mark.parametrize("paragraph, reason", [
    ("Favourite colour: {{ favourite_colour }}", "favourite_colour"),
    ("{{ ''.__class__.__mro__ }}", "unsafe"),
    ("{% for a in %}", "TemplateSyntaxError"),
], ids=["missing field", "unsafe template", "broken template"])
def test_a_document_that_cannot_be_made_becomes_an_incident_and_a_retry_makes_it(deployed, clock, tmp_path,
                                                                                   paragraph, reason):
    halton_to_ei_form(deployed, clock, "HAL-BROKEN")
    task = the_task(deployed, "HAL-BROKEN", "ei_step_down_form")
    with templates.using(_broken_templates(tmp_path, paragraph)):
        repository.cache.clear()
        runtime.complete(deployed, task.id, EI_FORM, "ei.jordan")
        # The worker's completion stands; the document is an incident, and nothing of it is stored.
        done = runtime.tasks(deployed, business_key="HAL-BROKEN", state="completed")
        assert task.id in {t.id for t in done}
        assert case_documents(deployed, "HAL-BROKEN") == []
        [incident] = runtime.incidents(deployed, instance_id=task.instance_id)
        assert incident.kind == "document" and incident.element_id == "ei_step_down_form"
        assert "halton_ei_step_down_form" in incident.error and reason in incident.error
        # Retrying with the template still broken counts an attempt and changes nothing else.
        assert runtime.retry_incident(deployed, incident.id, "admin").incident_id == incident.id
        assert runtime.incidents(deployed, instance_id=task.instance_id)[0].attempts == 2
        assert case_documents(deployed, "HAL-BROKEN") == []
    # With the template fixed, the retry makes the document from the completion's own data.
    assert runtime.retry_incident(deployed, incident.id, "admin").incident_id is None
    assert runtime.incidents(deployed, instance_id=task.instance_id) == []
    [document] = case_documents(deployed, "HAL-BROKEN")
    assert document.template_id == "halton_ei_step_down_form" and document.task_id == task.id


def test_north_somerset_meeting_notes_carry_the_decision_attendees_and_actions(deployed, clock):
    key = "NS-DOCS"
    runtime.start(deployed, "north_somerset_step_down", key, {"referral_source": "family_support_and_safeguarding"},
                  "sw.amira", case={"council": "north_somerset", "children": [{"name": "Robin Example",
                                                                                 "date_of_birth": "2016-03-14"}]})
    do(deployed, key, "propose_step_down", {
        "level_of_need_summary": "CIN plan goals met.", "step_down_reason": "Parents engaging well.",
        "proposed_fsw_role": "Weekly home visits for 12 weeks."}, "sw.amira")
    do(deployed, key, "tm_agree_step_down", {"tm_decision": "agree", "tm_rationale": "Needs are now at level 3."}, "tm.jones")
    do(deployed, key, "seek_consent", {"family_discussed_on": "2026-11-23", "children_views": "Robin is happy.",
                                       "consent": "given", "consent_decided_by": "Mother", "consent_date": "2026-11-23"},
       "sw.amira")
    do(deployed, key, "book_slot", {"locality": "east", "support_leader_contacted_on": "2026-11-23",
                                    "cover_contacted": False, "reasons_for_step_down": "CIN goals met."}, "sw.amira")
    assert fire_at(deployed, clock, "2026-11-25T16:00:01+00:00").fired == 1
    do(deployed, key, "conversation_outcome", {"conversation_held_on": "2026-11-25", "conversation_outcome": "fsw_agreed",
                                               "conversation_notes": "Discussed.", "estimated_allocation": "3 weeks"},
       "sl.north")
    do(deployed, key, "arrange_meeting", {"meeting_date": "2026-12-03", "venue": "family_hub", "final_cin_meeting": True,
                                          "invites_sent": True, "fsw_available": "yes"}, "sw.amira")
    actions = [{"action": "Step the record down on LCS", "owner": "Social worker", "due": "2026-12-04"},
               {"action": "First home visit", "owner": "FSW", "due": "2026-12-10"}]
    do(deployed, key, "record_meeting", {
        "meeting_held_on": "2026-12-03", "attendees": ["social_worker", "support_leader", "fsw", "parent_carer"],
        "meeting_notes": "Step-down plan agreed; family plan written with the family.",
        "step_down_plan": "Step down to FWB intensive family support.", "family_plan": "Morning routine chart.",
        "support_leader_name": "Support leader (North)", "fsw_name": "FSW Kit Example", "actions": actions}, "sw.amira")
    [notes] = case_documents(deployed, key)
    assert notes.template_id == "ns_step_down_meeting_notes"
    content = store.document_content(deployed, notes.id)
    body = docx_text(content)
    assert_clean(body)
    decision = dict(parse_form((PROCESSES / "north_somerset/forms/ns_tm_agree_step_down.form").read_text())
                    .component("tm_decision").options)["agree"]
    assert "Robin Example" in body and f"Team manager's decision: {decision}" in body
    assert table_rows(content, "Action") == [[a["action"], a["owner"], a["due"]] for a in actions]
    assert len(table_rows(content, "Attendee")) == 4
    assert "North Somerset Council" in body


# == packs ========================================================================================

def test_a_case_pack_merges_every_current_document_in_order_with_a_manifest(deployed, clock, tmp_path):
    halton_step_down(deployed, clock, "HAL-PACK")
    steps = []
    pack = packs.case_pack(deployed, "HAL-PACK", tmp_path, pdf=False, progress=lambda d, t, label: steps.append((d, t)))
    docs = case_documents(deployed, "HAL-PACK")
    assert steps[-1][0] == steps[-1][1] and [d for d, _ in steps] == list(range(1, len(steps) + 1))
    merged = Document(pack.docx)
    paragraphs = [p.text for p in merged.paragraphs]
    assert paragraphs[0] == "Case pack: HAL-PACK"
    contents = paragraphs.index("Contents")
    assert paragraphs[contents + 1].startswith("1. Early Intervention step-down form")
    assert paragraphs[contents + 2].startswith("2. Final CIN meeting minutes (CAF)")
    titles = [i for i, p in enumerate(paragraphs) if p in {d.title for d in docs} and i > contents + 2]
    assert [paragraphs[i] for i in titles] == [d.title for d in docs]
    assert_clean("\n".join(paragraphs))
    assert "Book the parenting course" in docx_text(pack.docx.read_bytes())
    with zipfile.ZipFile(pack.zip) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert [d["template"] for d in manifest["documents"]] == [d.template_id for d in docs]
        for entry in manifest["files"]:
            assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
        for doc in docs:
            assert hashlib.sha256(archive.read(doc.filename)).hexdigest() == doc.sha256
        assert pack.docx.name in archive.namelist()


def swindon_down_to_spreadsheet(db, key, child):
    runtime.start(db, "swindon_step_down", key, {"referral_source": "cin_team"}, "sw.priya",
                  case={"council": "swindon", "children": [{"name": child, "date_of_birth": "2017-01-20"}]})
    do(db, key, "identify_need", {"trigger": "cin_review", "sw_team": "cp_family_safeguarding",
                                  "needs_identified": "Support with routines.", "cin_review_chaired_by_line_manager": True},
       "sw.priya")
    do(db, key, "tm_agree", {"tm_decision": "agree", "tm_rationale": "CIN plan outcomes achieved."}, "tm.okafor")


def spreadsheet(school):
    return {"child_locality": "west", "school_or_setting": school,
            "reason_for_step_down": "CIN plan achieved; needs now at early intervention level.",
            "agencies_involved": "School & school nurse.", "proposed_plan": "family_worker",
            "risks_and_contingency": "Any new domestic abuse incident: step back up.", "spreadsheet_updated_on": "2026-11-25"}


def test_a_meeting_pack_holds_the_cases_on_that_tuesdays_agenda_and_the_spreadsheet(deployed, clock, tmp_path):
    for key, child in (("SW-A", "Sam Example"), ("SW-B", "Jo Example"), ("SW-LATE", "Kim Example")):
        swindon_down_to_spreadsheet(deployed, key, child)
    clock.set("2026-11-25T11:00:00+00:00")  # Wednesday: in time for Tuesday 1 December
    do(deployed, "SW-A", "complete_spreadsheet", spreadsheet("Westlea Primary School"), "sw.priya")
    do(deployed, "SW-B", "complete_spreadsheet", spreadsheet("Oakfield Primary"), "sw.ali")
    clock.set("2026-11-26T16:30:00+00:00")  # after the Thursday 4pm deadline: the following Tuesday
    late = the_task(deployed, "SW-LATE", "complete_spreadsheet")
    repository.cache.clear()
    runtime.complete(deployed, late.id, spreadsheet("Late Primary"), "sw.priya")

    pack = packs.meeting_pack(deployed, "2026-12-01", tmp_path, pdf=False)
    assert pack.cases == ["SW-A", "SW-B"]
    book = load_workbook(pack.xlsx)
    sheet = book.active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert tuple(rows[0]) == tuple(h for h, _ in packs.TRANSFER_HEADINGS)
    form = parse_form((PROCESSES / "swindon/forms/swindon_complete_spreadsheet.form").read_text())
    assert {f.label for f in form.fields()} <= set(rows[0])  # every heading of the form is a column
    assert [r[0] for r in rows[1:]] == ["SW-A", "SW-B"]
    assert rows[1][1] == "Sam Example" and rows[1][4] == "Westlea Primary School" and rows[2][11] == "sw.ali"
    assert all(value not in (None, "") for row in rows[1:] for value in row)  # every heading completed
    assert "School & school nurse." in rows[1]
    merged = docx_text(pack.docx.read_bytes())
    assert "Sam Example" in merged and "Jo Example" in merged and "Kim Example" not in merged
    with zipfile.ZipFile(pack.zip) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["cases"] == ["SW-A", "SW-B"]
        for entry in manifest["files"]:
            assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    # The late case is on the following Tuesday's agenda.
    assert packs.meeting_pack(deployed, "2026-12-08", tmp_path / "next", pdf=False).cases == ["SW-LATE"]
    # Once the meeting's timer has fired, its task opened that day keeps the case on that agenda.
    assert fire_at(deployed, clock, "2026-12-01T16:00:01+00:00").fired == 2
    with deployed.reader() as session:
        assert [d.business_key for d in packs.meeting_agenda(session.connection(), "2026-12-01")] == ["SW-A", "SW-B"]


def test_a_meeting_with_no_cases_and_a_bad_meeting_id_are_refused(deployed, tmp_path):
    with pytest.raises(packs.PackError, match="no case"):
        packs.meeting_pack(deployed, "2026-12-01", tmp_path)
    with pytest.raises(packs.PackError, match="meeting id"):
        packs.meeting_pack(deployed, "next-tuesday", tmp_path)


def test_the_pack_command_builds_a_case_pack(deployed, clock, tmp_path, capsys):
    from engine.cli import main

    halton_step_down(deployed, clock, "HAL-CLI")
    assert main(["--database-url", deployed.url, "pack", "case", "HAL-CLI", "--out", str(tmp_path), "--no-pdf"]) == 0
    out = capsys.readouterr().out
    assert "2 document(s) from 1 case(s)" in out
    assert (tmp_path / "case-pack-HAL-CLI.docx").exists() and (tmp_path / "case-pack-HAL-CLI.zip").exists()
    assert main(["--database-url", deployed.url, "pack", "case", "NO-SUCH", "--out", str(tmp_path)]) == 1


@pytest.mark.skipif(not (shutil.which("libreoffice") or shutil.which("soffice")) or not shutil.which("pdftoppm"),
                    reason="LibreOffice and pdftoppm are not installed (see README, Documents)")
def test_a_document_renders_to_pdf_and_png(deployed, clock, tmp_path):
    halton_step_down(deployed, clock, "HAL-PDF")
    pack = packs.case_pack(deployed, "HAL-PDF", tmp_path, pdf=True)
    assert pack.pdf is not None and pack.pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "2", str(pack.pdf), str(tmp_path / "page")], check=True)
    assert sorted(tmp_path.glob("page*.png"))


@pytest.mark.skipif(not (shutil.which("libreoffice") or shutil.which("soffice")) or not shutil.which("pdftotext"),
                    reason="LibreOffice and poppler-utils are not installed (see README, Documents)")
def test_every_template_opens_in_libreoffice_with_its_content(tmp_path):
    """One document per template, rendered from its form's data, converted to PDF by headless
    LibreOffice (one call for all, its own profile); each PDF's text has the child, the case
    reference, the title and the form's first answer."""
    forms = {f.stem: parse_form(f.read_text(), str(f)) for f in PROCESSES.rglob("*.form")}
    library = templates.Library(TEMPLATES)
    expected = {}
    for entry in CATALOGUE:
        producer = entry["producers"][0]
        form = forms[producer["form"]]
        data = sample_data(form)
        template = library.get(entry["id"])
        context = sample_context(entry, producer, form, template, data, "CASE-PDF")
        (tmp_path / f"{entry['id']}.docx").write_bytes(render.render(template.content, context))
        typed = [v for k, v in data.items() if k in template.fields and isinstance(v, str) and v.startswith("Sample ")]
        expected[entry["id"]] = ["Alex Sample", "CASE-PDF", entry["title"], *typed[:1]]
    office = shutil.which("libreoffice") or shutil.which("soffice")
    out = tmp_path / "pdf"
    subprocess.run([office, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out), *sorted(str(p) for p in tmp_path.glob("*.docx"))],
                   check=True, capture_output=True, timeout=600)
    for template_id, texts in expected.items():
        pdf = out / f"{template_id}.pdf"
        assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF"), template_id
        text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                                       text=True).stdout.split())
        for wanted in texts:
            assert " ".join(wanted.split()) in text, (template_id, wanted)


def test_a_document_the_catalogue_does_not_know_is_skipped_on_the_audit_trail(deployed, clock, tmp_path):
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    catalogue = json.loads((folder / "catalogue.json").read_text())
    catalogue["documents"] = [e for e in catalogue["documents"] if e["id"] != "halton_ei_step_down_form"]
    (folder / "catalogue.json").write_text(json.dumps(catalogue))
    halton_to_ei_form(deployed, clock, "HAL-UNKNOWN")
    with templates.using(folder):
        outcome = do(deployed, "HAL-UNKNOWN", "ei_step_down_form", EI_FORM, "ei.jordan")
    assert outcome.state == "running" and case_documents(deployed, "HAL-UNKNOWN") == []
    with deployed.reader() as session:
        skipped = session.execute(select(models.AuditEvent.details).where(
            models.AuditEvent.action == "document.skipped")).scalars().all()
    assert skipped == [{"template": "halton_ei_step_down_form", "reason": "no template in the catalogue"}]
