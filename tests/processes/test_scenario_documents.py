"""Every council's scenarios, walked end to end, produce their documents with the right content.

Each council's scenarios (the ones its own test module walks for flow coverage) run on one
database with the documents listener on. Then: every completed task whose element names a
document has exactly that document, made from that completion; each document opens with
python-docx, names the case's child, shows every value it was made from (the decision among
them) and has no template code left over; every document the council's processes name was
made at least once; and no completion left a document incident behind.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from engine.catalog import collect, deploy
from engine.documents import store
from engine.documents.listener import INCIDENT_KIND, case_context
from engine.store import models

from . import test_halton, test_north_somerset, test_north_somerset_more, test_shropshire, test_swindon, test_warwickshire

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
CATALOGUE = json.loads((ROOT / "docs_templates" / "catalogue.json").read_text())["documents"]

COUNCILS = {
    "halton": test_halton.ALL,
    # The step-up and universal step-down first: the step-down scenarios fire timers at moments
    # when only their own cases wait.
    "north_somerset": test_north_somerset_more.SCENARIOS + test_north_somerset.SCENARIOS,
    "shropshire": test_shropshire.SCENARIOS,
    "swindon": test_swindon.SCENARIOS,
    "warwickshire": test_warwickshire.STEP_UP_SCENARIOS + test_warwickshire.STEP_DOWN_SCENARIOS,
}


pytestmark = pytest.mark.usefixtures("documents_on")  # tests/conftest.py owns the listener's switch


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    for section in document.sections:
        lines += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    return "\n".join(lines)


def shown_values(value) -> list[str]:
    """The texts a document was made from (its `fields`), as the template prints them."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in shown_values(item)]
    if isinstance(value, list):
        return [text for item in value for text in shown_values(item)]
    if isinstance(value, str) and value.strip():
        return [value.strip()]
    return []


@pytest.mark.parametrize("council", list(COUNCILS))
def test_every_scenario_produces_its_documents_with_the_right_content(db, clock, council):
    deploy(db, collect([PROCESSES / council, PROCESSES / "common"]), name=council, actor="process.owner")
    start_moment = clock.now()
    for scenario in COUNCILS[council]:
        clock.set(start_moment)  # each scenario starts from the same Monday, as in its own module
        scenario(db, clock)

    with db.reader() as session:
        conn = session.connection()
        naming = session.execute(
            select(models.HumanTask.id, models.HumanTask.business_key, models.HumanTask.properties)
            .where(models.HumanTask.state == "completed")).all()
        expected = {(row.business_key, row.id, row.properties["document"]) for row in naming
                    if (row.properties or {}).get("document")}
        docs = list(conn.execute(select(store.DOCUMENTS)))
        children = {key: [c["name"] for c in case_context(conn, key)["children"]] for key in {d.business_key for d in docs}}
        incidents = session.execute(select(models.Incident.error).where(models.Incident.kind == INCIDENT_KIND)).all()

    assert not incidents, f"documents that could not be made: {incidents}"
    assert expected, f"no {council} scenario completes a task that names a document"
    made = {(d.business_key, d.task_id, d.template_id) for d in docs}
    assert made == expected, f"missing: {sorted(expected - made)}; unexpected: {sorted(made - expected)}"

    for doc in docs:
        body = docx_text(bytes(doc.content))
        where = f"{doc.business_key} {doc.template_id} v{doc.version}"
        assert children[doc.business_key], f"{where}: the case has no child"
        for child in children[doc.business_key]:
            assert child in body, f"{where}: no {child!r}"
        for text in shown_values(doc.fields):
            assert text in body, f"{where}: {text!r} is not in the document"
        for leftover in ("{{", "}}", "{%", "%}"):
            assert leftover not in body, f"{where}: leftover {leftover!r}"

    # Its own documents, and the MARF of the common safeguarding referral its safeguarding scenario raises.
    named = {e["id"] for e in CATALOGUE if e["council"] in (council, "common")}
    assert named <= {d.template_id for d in docs}, f"never made: {sorted(named - {d.template_id for d in docs})}"


def test_every_catalogue_document_belongs_to_a_council_walked_here():
    councils = {e["council"] for e in CATALOGUE}
    assert councils - {"common"} == set(COUNCILS)
    # The common safeguarding referral (MARF) is made by every council's safeguarding scenario;
    # each council's run above checks the documents it made, the MARF included.
    assert {e["id"] for e in CATALOGUE if e["council"] == "common"} == {"marf"}
