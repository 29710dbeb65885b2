"""The catalogue check: every name a template reads is provided by a form of a task that
produces it, by an `upstream` form of the same process, or by the case.

    problems = check(templates_dir, processes_dir)   # [] when everything lines up

Each problem names the template and the field (or the process, task or form) that does not line up.
"""
from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from engine.forms import parse_form

from .render import CASE_FIELDS, template_fields

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


def process_library(processes_dir: Path) -> tuple[dict, dict]:
    """({(process, task): (form id, document id)}, {form id: Form}) from a processes folder."""
    forms = {}
    for path in sorted(Path(processes_dir).rglob("*.form")):
        form = parse_form(path.read_text(), str(path))
        forms[form.id] = form
    tasks = {}
    for path in sorted(Path(processes_dir).rglob("*.bpmn")):
        for process in etree.parse(str(path)).iter(f"{{{BPMN}}}process"):
            for task in process.iter(f"{{{BPMN}}}userTask"):
                document = None
                for prop in task.iter(f"{{{CAMUNDA}}}property"):
                    if prop.get("name") == "document":
                        document = prop.get("value")
                tasks[(process.get("id"), task.get("id"))] = (task.get(f"{{{CAMUNDA}}}formRef"), document)
    return tasks, forms


def check(templates_dir: Path, processes_dir: Path) -> list[str]:
    templates_dir = Path(templates_dir)
    tasks, forms = process_library(processes_dir)
    entries = json.loads((templates_dir / "catalogue.json").read_text())["documents"]
    problems: list[str] = []
    named = {doc for _form, doc in tasks.values() if doc}
    listed = {entry["id"] for entry in entries}
    for missing in sorted(named - listed):
        problems.append(f"document '{missing}' is named by a process but has no template in the catalogue")
    for entry in entries:
        tid = entry["id"]
        path = templates_dir / entry.get("file", f"{tid}.docx")
        if not path.exists():
            problems.append(f"template '{tid}': file {path.name} is missing")
            continue
        try:
            used = template_fields(path.read_bytes())
        except Exception as error:  # noqa: BLE001 - a template Jinja cannot parse
            problems.append(f"template '{tid}': cannot be read: {error}")
            continue
        if sorted(used) != sorted(entry.get("fields", [])):
            problems.append(f"template '{tid}': catalogue fields {sorted(entry.get('fields', []))} "
                            f"differ from the template's {sorted(used)}")
        provided: set[str] = set()
        processes = set()
        for producer in entry.get("producers", []):
            found = tasks.get((producer["process"], producer["task"]))
            if found is None:
                problems.append(f"template '{tid}': no task '{producer['task']}' in process '{producer['process']}'")
                continue
            form_id, document = found
            if document != tid:
                problems.append(f"template '{tid}': task '{producer['task']}' names document '{document}'")
            if form_id != producer.get("form") or form_id not in forms:
                problems.append(f"template '{tid}': task '{producer['task']}' has form '{form_id}', "
                                f"catalogue says '{producer.get('form')}'")
                continue
            provided |= forms[form_id].field_keys()
            processes.add(producer["process"])
        producing_forms = {tasks[k][0] for k in tasks if k[0] in processes}
        for name, form_id in (entry.get("upstream") or {}).items():
            if form_id not in producing_forms:
                problems.append(f"template '{tid}': upstream field '{name}': form '{form_id}' is not used in "
                                f"{', '.join(sorted(processes)) or 'its processes'}")
            elif name not in forms[form_id].field_keys():
                problems.append(f"template '{tid}': upstream field '{name}' is not a field of form '{form_id}'")
            else:
                provided.add(name)
        for name in sorted(used - provided - CASE_FIELDS):
            problems.append(f"template '{tid}': field '{name}' is provided by no form of a task that produces it "
                            "nor by the case")
    return problems
