"""A real process in two versions: North Somerset's step-down to universal services copied to a
temporary folder, then edited the way a process owner would in Camunda Modeler and deployed again."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree

from engine import runtime
from engine.catalog import collect, deploy
from engine.runtime import repository

ROOT = Path(__file__).resolve().parents[2]
KEY = "north_somerset_step_down_universal"
BPMN = "north_somerset/step_down_to_universal.bpmn"


def copy_processes(tmp_path: Path) -> Path:
    folder = tmp_path / "processes"
    for name in ("north_somerset", "common"):
        shutil.copytree(ROOT / "processes" / name, folder / name)
    return folder


def deploy_folder(db, folder: Path):
    return deploy(db, collect([folder / "north_somerset", folder / "common"]), name="north_somerset", actor="owner")


@pytest.fixture
def folder(db, clock, tmp_path):
    """A fixture: the processes copied to a temporary folder and deployed (version 1)."""
    folder = copy_processes(tmp_path)
    deploy_folder(db, folder)
    return folder


def _edit(folder: Path, *replacements: tuple[str, str]) -> None:
    path = folder / BPMN
    text = path.read_text()
    for old, new in replacements:
        assert text.count(old) == 1, f"expected exactly one {old!r} in {path.name}"
        text = text.replace(old, new)
    path.write_text(text)


def rename_and_add_check(folder: Path) -> None:
    """Version 2: the signposting task renamed, and a manager's check added after it."""
    _edit(folder,
          ('name="Offer signposting to Family Hub or Children\'s Centre services"',
           'name="Offer signposting to Family Hub services"'),
          ('<bpmn:outgoing>flow_to_support_gw</bpmn:outgoing>\n    </bpmn:userTask>',
           '<bpmn:outgoing>flow_to_check</bpmn:outgoing>\n    </bpmn:userTask>\n'
           '    <bpmn:userTask id="check_signposting" name="Check the family reached the service" '
           'camunda:candidateGroups="team_manager">\n'
           '      <bpmn:incoming>flow_to_check</bpmn:incoming>\n'
           '      <bpmn:outgoing>flow_to_support_gw</bpmn:outgoing>\n    </bpmn:userTask>'),
          ('<bpmn:sequenceFlow id="flow_to_support_gw" sourceRef="signposting" targetRef="gw_low_level" />',
           '<bpmn:sequenceFlow id="flow_to_check" sourceRef="signposting" targetRef="check_signposting" />\n'
           '    <bpmn:sequenceFlow id="flow_to_support_gw" sourceRef="check_signposting" targetRef="gw_low_level" />'),
          ('<bpmn:flowNodeRef>gw_low_level</bpmn:flowNodeRef>',
           '<bpmn:flowNodeRef>gw_low_level</bpmn:flowNodeRef>\n        <bpmn:flowNodeRef>check_signposting</bpmn:flowNodeRef>'))


def remove_signposting(folder: Path) -> None:
    """Version 2: signposting dropped; a family that wants universal services goes straight to the
    question of low-level support."""
    path = folder / BPMN
    text = path.read_text()
    start = text.index('<bpmn:userTask id="signposting"')
    end = text.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    text = text[:start] + text[end:]
    path.write_text(text)
    _edit(folder,
          ('sourceRef="gw_engage" targetRef="signposting"', 'sourceRef="gw_engage" targetRef="gw_low_level"'),
          ('<bpmn:sequenceFlow id="flow_to_support_gw" sourceRef="signposting" targetRef="gw_low_level" />', ''),
          ('<bpmn:incoming>flow_to_support_gw</bpmn:incoming>', '<bpmn:incoming>flow_engage</bpmn:incoming>'),
          ('<bpmn:flowNodeRef>signposting</bpmn:flowNodeRef>', ''))
    # Its diagram shape and edge go too, or the file names an element that is not there.
    root = etree.fromstring(path.read_bytes())
    for node in root.iter("{*}BPMNShape", "{*}BPMNEdge"):
        if node.get("bpmnElement") in ("signposting", "flow_to_support_gw"):
            node.getparent().remove(node)
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


# -- moving a case along, with realistic data ------------------------------------------------------

def start(db, key: str):
    return runtime.start(db, KEY, key, {"referral_source": "family_wellbeing_service"}, "sw.amira",
                         case={"council": "north_somerset", "children": [{"name": "Alex Sample", "date_of_birth": "2018-07-02"}]})


def open_task(db, key: str, element_id: str):
    found = [t for t in runtime.tasks(db, business_key=key) if t.element_id == element_id]
    assert len(found) == 1, f"expected one open {element_id}: {[t.element_id for t in runtime.tasks(db, business_key=key)]}"
    return found[0]


def do(db, key: str, element_id: str, data: dict, actor: str = "sw.amira"):
    repository.cache.clear()  # as a fresh server process would
    return runtime.complete(db, open_task(db, key, element_id).id, data, actor)


def closing_plan(db, key: str, engage: str = "yes"):
    return do(db, key, "closing_plan", {
        "stepping_down_from": "cin", "closing_plan_discussed_on": "2026-11-23",
        "closing_plan": "CIN plan ends at the review on 1 December; family to use stay and play.",
        "universal_services_highlighted": "Stay and play; parenting group.",
        "family_hub": "Weston Family Hub", "family_wish_to_engage": engage,
    })


def signposting(db, key: str, support: str):
    return do(db, key, "signposting", {"signposted_on": "2026-11-24",
                                       "services_signposted": "Stay and play (Tuesdays); parenting group (Thursdays).",
                                       "low_level_support_needed": support})


def contact_fwil(db, key: str):
    return do(db, key, "contact_fwil", {"area": "north", "fwil_contacted_on": "2026-11-24",
                                        "unmet_needs": "Mother anxious about groups; no transport."})


def fwil_decides(db, key: str, decision: str = "introduction_meeting"):
    data = {"fwil_decision": decision, "fwil_rationale": "Mother needs a familiar face to start attending."}
    if decision == "introduction_meeting":
        data.update(named_worker_role="childrens_centre_worker", named_worker_name="Children's Centre worker Pat Example")
    return do(db, key, "fwil_unmet_needs", data, "fwil.north")


def arrange_introduction(db, key: str):
    return do(db, key, "arrange_introduction", {"introduction_meeting_date": "2026-12-02", "introduction_venue": "family_hub",
                                                "introduction_venue_name": "Weston Family Hub",
                                                "introduction_invites_sent": True})


def introduction_meeting(db, key: str):
    return do(db, key, "introduction_meeting", {
        "introduction_held_on": "2026-12-02", "introduction_attendees": ["lead_worker", "named_worker", "parent_carer"],
        "introduction_notes": "Shown the hub and met the staff team.", "involvement_ended": True})


def signposting_becomes_manual(folder: Path) -> None:
    """Version 2: signposting is modelled as a manual task (done outside the system)."""
    path = folder / BPMN
    text = path.read_text()
    start = text.index('<bpmn:userTask id="signposting"')
    end = text.index("</bpmn:userTask>", start)
    text = text[:start] + '<bpmn:manualTask id="signposting"' + text[start + len('<bpmn:userTask id="signposting"'):end] \
        + "</bpmn:manualTask>" + text[end + len("</bpmn:userTask>"):]
    path.write_text(text)
