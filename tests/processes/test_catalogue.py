"""House rules for every process model under processes/, checked per BPMN file.

The deploy check (engine/catalog) refuses what cannot run; these rules are what a process
model must also follow to be one of ours: forms on every user task, lanes and groups that are
known roles, decisions that say which way they go, timers that yield ISO 8601, conditions that
read data something sets, a complete diagram, and the safeguarding override.

A new council's BPMN file is picked up automatically by ``test_every_council_file_follows_the_house_rules``.
``problems(folders)`` runs everything over any list of folders.
"""
from __future__ import annotations

import ast
import builtins
import functools
import re
import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from engine import clock, expressions, forms
from engine.catalog import collect, deploy
from engine.catalog.deploy import DeploymentError, parse

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
OUR_FOLDERS = ("common", "north_somerset")  # the folders this suite's owner keeps green

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "camunda": CAMUNDA}

SAFEGUARDING_MESSAGE = "safeguarding_concern"
SAFEGUARDING_PROCESS = "common_safeguarding_referral"

# Lanes and candidate groups are roles, never people (procedures.md). Keep processes/README.md's
# table in step with this list.
KNOWN_ROLES = frozenset({
    "social_worker", "team_manager", "service_manager", "front_door", "duty_manager",
    "referring_professional", "support_leader", "locality_team_manager", "family_support_worker",
    "early_help_manager", "early_help_worker", "lead_professional", "locality_panel", "mash", "icart",
    "assessment_team_manager", "case_management_manager", "intervention_leader", "family_coordinator",
    # Added because the seeds need them (Halton):
    "edt",  # the emergency duty team, which receives referrals out of hours (seeds/halton.txt 4.1)
    "icart_manager",  # the iCART social care manager who attends the step-up meeting (seeds/halton.txt 3.2)
    # Added because the seeds need them (Shropshire, seeds/shropshire.txt):
    "targeted_eh_operational_manager",  # accept step-downs into targeted early help before the step-down meeting
    "strengthening_families_team",  # the SF team: adds families to ECINS, allocates a locality development officer
    "locality_development_officer",  # supports and monitors 3b/4b cases until outcomes are achieved
    "lead_professional_line_manager",  # monitors the case after step-down until closure
    "early_help_social_worker",  # consultation (via COMPASS) when concerns arise after step-down
})

FLOW_NODE_TAGS = frozenset({
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask", "manualTask",
    "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
})
TIMER_TAGS = {"timeDuration": "duration", "timeDate": "date", "timeCycle": "cycle"}
NOT_DATA = frozenset(expressions.HELPERS) | frozenset(dir(builtins)) | frozenset(expressions.SAFE_BUILTINS)
FIXED_NOW = "2026-11-23T09:00:00+00:00"  # a Monday


def _tag(node) -> str:
    return etree.QName(node).localname


def _bpmn(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


# ------------------------------------------------------------------------------ the deployment

@dataclass
class Deployment:
    """Everything under some folders, parsed the way `stepwise deploy` parses it."""

    folders: tuple[Path, ...]
    error: str | None = None  # why the deployment is refused
    error_file: str | None = None  # the file the refusal names ("<folder>/<file>"), if any
    forms: dict = field(default_factory=dict)  # form id -> engine.forms.Form
    documents: dict[str, etree._Element] = field(default_factory=dict)  # "<folder>/<file>" -> XML root
    bpmn_files: list[str] = field(default_factory=list)

    @functools.cached_property
    def form_fields(self) -> dict[str, list]:
        """data key -> the form fields (engine.forms.Field) that set it."""
        found: dict[str, list] = {}
        for form in self.forms.values():
            for each in form.fields():
                found.setdefault(each.key.split(".", 1)[0].split("[]", 1)[0], []).append(each)
        return found

    @functools.cached_property
    def script_names(self) -> set[str]:
        names: set[str] = set()
        for root in self.documents.values():
            for script in root.iterfind(".//bpmn:scriptTask/bpmn:script", NS):
                names |= assigned_names(script.text or "")
        return names

    @functools.cached_property
    def other_names(self) -> set[str]:
        """Data set by something other than a form or a script."""
        names: set[str] = set()
        for root in self.documents.values():
            # a message's payload lands under camunda:resultVariable
            for node in root.iterfind(".//bpmn:messageEventDefinition", NS):
                if node.get(f"{{{CAMUNDA}}}resultVariable"):
                    names.add(node.get(f"{{{CAMUNDA}}}resultVariable"))
            # a multi-instance's element variable
            for node in root.iterfind(".//bpmn:multiInstanceLoopCharacteristics", NS):
                if node.get(f"{{{CAMUNDA}}}elementVariable"):
                    names.add(node.get(f"{{{CAMUNDA}}}elementVariable"))
            # a decision table's output columns
            for node in root.iter():
                if isinstance(node.tag, str) and _tag(node) == "output" and node.get("name"):
                    names.add(node.get("name"))
        return names


def _folder_label(folders: tuple[Path, ...]) -> str:
    return ", ".join(str(f.relative_to(ROOT)) if f.is_relative_to(ROOT) else str(f) for f in folders)


def _label(path: Path) -> str:
    return path.relative_to(PROCESSES).as_posix() if path.is_relative_to(PROCESSES) else str(path)


@functools.lru_cache(maxsize=None)
def load(folders: tuple[Path, ...]) -> Deployment:
    """Parse and check `folders` as one deployment; the XML and forms are read even when the
    deployment is refused, so every file can still be checked on its own."""
    result = Deployment(folders)
    files = collect(folders)
    labels: dict[str, Path] = {}  # the deploy's file name -> the file
    for folder in folders:
        for file in sorted(folder.rglob("*")):
            if file.is_file() and file.suffix.lower() in (".bpmn", ".dmn", ".form"):
                labels[file.relative_to(folder).as_posix()] = file
    try:
        _specs, result.forms, _form_files = parse(files)
    except DeploymentError as error:
        result.error = f"the deployment of {_folder_label(folders)} is refused: {error}"
        result.error_file = _label(labels[error.filename]) if error.filename in labels else None
        for path in labels.values():
            if path.suffix.lower() == ".form":
                try:
                    form = forms.parse_form(path.read_bytes(), path.name)
                except forms.FormError:
                    continue
                result.forms.setdefault(form.id, form)
    for name, path in labels.items():
        if path.suffix.lower() == ".form":
            continue
        key = _label(path)
        try:
            result.documents[key] = etree.parse(str(path)).getroot()
        except etree.XMLSyntaxError as error:
            result.error = result.error or f"{key}: not well-formed XML: {error}"
            continue
        if path.suffix.lower() == ".bpmn":
            result.bpmn_files.append(key)
    return result


def assigned_names(script: str) -> set[str]:
    """Variables a script task sets (names stored at the script's own level, not in comprehensions)."""
    try:
        tree = ast.parse(textwrap.dedent(script))
    except SyntaxError:
        return set()
    names: set[str] = set()

    def visit(node):
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def read_names(source: str) -> set[str]:
    """Data names an expression reads: Name nodes minus helpers, built-ins and comprehension variables."""
    tree = ast.parse(source.strip(), mode="eval")
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    bound |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.Lambda) for a in n.args.args}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - NOT_DATA - bound


# ------------------------------------------------------------------------------------- the rules

def _processes(root) -> list:
    return root.findall("bpmn:process", NS)


def _where(node) -> str:
    return f"line {node.sourceline} '{node.get('id')}'"


def check_forms(root, deployment: Deployment) -> list[str]:
    found = []
    for task in root.iterfind(".//bpmn:userTask", NS):
        ref = (task.get(f"{{{CAMUNDA}}}formRef") or "").strip()
        if not ref:
            found.append(f"user task {_where(task)} has no camunda:formRef")
        elif ref not in deployment.forms:
            found.append(f"user task {_where(task)}: camunda:formRef '{ref}' names no form in the deployment")
    return found


def check_roles(root, deployment: Deployment) -> list[str]:
    found = []
    for lane in root.iterfind(".//bpmn:lane", NS):
        if (lane.get("name") or "").strip() not in KNOWN_ROLES:
            found.append(f"lane {_where(lane)} is named '{lane.get('name')}', not a known role")
    for task in root.iterfind(".//bpmn:userTask", NS):
        for group in (task.get(f"{{{CAMUNDA}}}candidateGroups") or "").split(","):
            if group.strip() and group.strip() not in KNOWN_ROLES:
                found.append(f"user task {_where(task)}: candidate group '{group.strip()}' is not a known role")
    return found


def check_gateways(root, deployment: Deployment) -> list[str]:
    found = []
    for process in _processes(root):
        flows = list(process.iter(_bpmn("sequenceFlow")))
        for gateway in process.iter(_bpmn("exclusiveGateway"), _bpmn("inclusiveGateway")):
            default = gateway.get("default")
            outgoing = [f for f in flows if f.get("sourceRef") == gateway.get("id")]
            if len(outgoing) < 2:
                continue  # a merge: nothing to decide
            for flow in outgoing:
                if flow.get("id") == default:
                    continue
                condition = flow.find("bpmn:conditionExpression", NS)
                if condition is None or not (condition.text or "").strip():
                    found.append(f"flow {_where(flow)} leaves gateway '{gateway.get('id')}' with no condition "
                                 "and is not its default")
    return found


def _predecessors(process) -> dict[str, set[str]]:
    """Element id -> ids it can be reached from directly (flows, boundary attachment, sub-process start)."""
    before: dict[str, set[str]] = {}
    for flow in process.iter(_bpmn("sequenceFlow")):
        before.setdefault(flow.get("targetRef"), set()).add(flow.get("sourceRef"))
    for boundary in process.iter(_bpmn("boundaryEvent")):
        before.setdefault(boundary.get("id"), set()).add(boundary.get("attachedToRef"))
    for sub in process.iter(_bpmn("subProcess"), _bpmn("transaction"), _bpmn("adHocSubProcess")):
        for start in sub.findall("bpmn:startEvent", NS):
            before.setdefault(start.get("id"), set()).add(sub.get("id"))
    return before


def upstream(process, element_id: str) -> set[str]:
    before = _predecessors(process)
    seen: set[str] = set()
    todo = [element_id]
    while todo:
        for previous in before.get(todo.pop(), ()):
            if previous not in seen:
                seen.add(previous)
                todo.append(previous)
    return seen


_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


def iso_problem(kind: str, value: Any) -> str | None:
    """Why `value` is not an ISO 8601 timer value of this kind, or None."""
    if not isinstance(value, str):
        return f"gives {type(value).__name__} {value!r}, not an ISO 8601 string"
    text = value.strip()
    if kind == "duration":
        return None if _DURATION.match(text.upper()) else f"gives {value!r}, not an ISO 8601 duration such as \"P14D\""
    if kind == "date":
        try:
            datetime.fromisoformat(text)
            return None
        except ValueError:
            return f"gives {value!r}, not an ISO 8601 date-time"
    parts = text.upper().split("/")
    if not (re.match(r"^R\d*$", parts[0]) and len(parts) in (2, 3)):
        return f"gives {value!r}, not an ISO 8601 repeating interval such as \"R3/P7D\""
    for part in parts[1:]:
        if not _DURATION.match(part) and iso_problem("date", part) is not None:
            return f"gives {value!r}: '{part}' is neither a duration nor a date-time"
    return None


def sample(name: str, deployment: Deployment) -> Any:
    """A plausible value for a variable: from the form field that sets it, else from its name."""
    for each in deployment.form_fields.get(name, ()):
        if each.options:
            return each.options[0][0]
        if each.type == "number":
            return 5
        if each.type == "checkbox":
            return True
        if each.type == "datetime":
            return FIXED_NOW if each.component.get("subtype") == "datetime" else FIXED_NOW[:10]
    if name.endswith(("_days", "_weeks", "_count")) or name in ("n", "days", "weeks"):
        return 5
    if name.endswith("_at"):
        return FIXED_NOW
    return FIXED_NOW[:10]


def check_timers(root, deployment: Deployment) -> list[str]:
    found = []
    for process in _processes(root):
        scripts = {s.get("id"): assigned_names(s.findtext("bpmn:script", "", NS)) for s in process.iter(_bpmn("scriptTask"))}
        user_tasks = {t.get("id"): (t.get(f"{{{CAMUNDA}}}formRef") or "").strip() for t in process.iter(_bpmn("userTask"))}
        for timer in process.iter(_bpmn("timerEventDefinition")):
            event = timer.getparent()
            expressions_found = [(TIMER_TAGS[_tag(n)], n) for n in timer if isinstance(n.tag, str) and _tag(n) in TIMER_TAGS]
            if not expressions_found:
                found.append(f"timer {_where(event)} has no timeDuration, timeDate or timeCycle")
            for kind, node in expressions_found:
                source = (node.text or "").strip()
                where = f"timer {_where(event)} ({_tag(node)} {source!r})"
                if source.isidentifier():
                    # A bare variable: something before the timer must set it.
                    before = upstream(process, event.get("id"))
                    by_script = any(source in scripts[s] for s in before if s in scripts)
                    by_form = kind == "date" and any(
                        f.type == "datetime" for t in before if user_tasks.get(t) in deployment.forms
                        for f in deployment.forms[user_tasks[t]].fields() if f.key == source)
                    if not (by_script or by_form):
                        found.append(f"{where}: no script task before the timer sets '{source}'")
                    continue
                try:
                    names = read_names(source)
                    data = {name: sample(name, deployment) for name in names}
                    with clock.using(clock.FixedClock(FIXED_NOW)):
                        value = expressions.evaluate(source, data)
                except Exception as error:  # noqa: BLE001 - report every way it fails
                    found.append(f"{where} does not evaluate: {type(error).__name__}: {error}")
                    continue
                if (problem := iso_problem(kind, value)) is not None:
                    found.append(f"{where} {problem}")
    return found


def check_condition_names(root, deployment: Deployment) -> list[str]:
    known = set(deployment.form_fields) | deployment.script_names | deployment.other_names
    found = []
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        condition = flow.find("bpmn:conditionExpression", NS)
        if condition is None or not (condition.text or "").strip():
            continue
        try:
            names = read_names(condition.text)
        except SyntaxError as error:
            found.append(f"condition on flow {_where(flow)} does not parse: {error.msg}")
            continue
        for name in sorted(names - known):
            found.append(f"condition on flow {_where(flow)} reads '{name}', which no form field, "
                         "script task or decision table in the deployment sets")
    return found


def check_diagram(root, deployment: Deployment) -> list[str]:
    shapes = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    found = []
    for node in root.iter():
        if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN:
            continue
        tag = _tag(node)
        if (tag in FLOW_NODE_TAGS or tag in ("lane", "participant")) and node.get("id") not in shapes:
            found.append(f"{tag} {_where(node)} has no shape in the diagram (BPMN DI)")
        elif tag == "sequenceFlow" and node.get("id") not in edges:
            found.append(f"sequence flow {_where(node)} has no edge in the diagram (BPMN DI)")
    return found


def check_safeguarding(root, deployment: Deployment) -> list[str]:
    messages = {m.get("id"): m.get("name") for m in root.iterfind("bpmn:message", NS)}
    found = []
    for process in _processes(root):
        if process.get("isExecutable") != "true" or process.get("id", "").startswith("common_"):
            continue
        ok = False
        for sub in process.findall("bpmn:subProcess[@triggeredByEvent='true']", NS):
            for start in sub.findall("bpmn:startEvent", NS):
                message = start.find("bpmn:messageEventDefinition", NS)
                if message is None or messages.get(message.get("messageRef")) != SAFEGUARDING_MESSAGE:
                    continue
                if start.get("isInterrupting", "true") != "false":
                    found.append(f"safeguarding start {_where(start)} must be non-interrupting (isInterrupting=\"false\")")
                calls = sub.findall(f"bpmn:callActivity[@calledElement='{SAFEGUARDING_PROCESS}']", NS)
                if not calls:
                    found.append(f"event sub-process {_where(sub)} does not call '{SAFEGUARDING_PROCESS}'")
                ok = True
        if not ok:
            found.append(f"process {_where(process)} has no event sub-process started by the "
                         f"'{SAFEGUARDING_MESSAGE}' message that calls '{SAFEGUARDING_PROCESS}'")
    return found


CHECKS = (check_forms, check_roles, check_gateways, check_timers, check_condition_names, check_diagram, check_safeguarding)


def file_problems(deployment: Deployment, bpmn_file: str) -> list[str]:
    """Every house rule this file breaks; a refused deployment counts against the file it names
    (or against every file when it names none)."""
    found = []
    if deployment.error and deployment.error_file in (None, bpmn_file):
        found.append(deployment.error)
    root = deployment.documents[bpmn_file]
    return found + [f"{bpmn_file}: {problem}" for check in CHECKS for problem in check(root, deployment)]


def problems(folders) -> dict[str, list[str]]:
    """BPMN file -> what breaks the house rules, for the files of `folders` deployed together."""
    deployment = load(tuple(Path(f) for f in folders))
    return {name: file_problems(deployment, name) for name in deployment.bpmn_files}


# ------------------------------------------------------------------------------------------- tests

def _folders(names) -> tuple[Path, ...]:
    return tuple(PROCESSES / name for name in names)


def _our_files() -> list[str]:
    return load(_folders(OUR_FOLDERS)).bpmn_files


def _all_files() -> list[str]:
    return load((PROCESSES,)).bpmn_files


@pytest.mark.parametrize("bpmn_file", _our_files())
@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__.removeprefix("check_") for c in CHECKS])
def test_our_files_follow_the_house_rules(bpmn_file, check):
    deployment = load(_folders(OUR_FOLDERS))
    assert deployment.error is None, deployment.error
    found = check(deployment.documents[bpmn_file], deployment)
    assert not found, "\n".join(found)


def test_our_folders_deploy_together(db, clock):
    result = deploy(db, collect(_folders(OUR_FOLDERS)), name="catalogue")
    assert {"north_somerset_step_down", SAFEGUARDING_PROCESS} <= {key for key, _v, _id in result.definitions}


@pytest.mark.parametrize("bpmn_file", _all_files())
def test_every_council_file_follows_the_house_rules(bpmn_file):
    """Every BPMN file under processes/, with every folder deployed together."""
    found = file_problems(load((PROCESSES,)), bpmn_file)
    assert not found, "\n".join(found)


def test_everything_under_processes_deploys_together(db, clock):
    deploy(db, collect([PROCESSES]), name="catalogue")


# ------------------------------------------------------------------------------ the rules' own tests

BROKEN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="broken" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Jane Smith"><bpmn:flowNodeRef>ask</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="ask" camunda:candidateGroups="nobody_role"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="g" default="f4"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:timerEventDefinition id="t"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">when_due</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="wait2"><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing>
      <bpmn:timerEventDefinition id="t2"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">str(14) + "D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="e"><bpmn:incoming>f5</bpmn:incoming><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="ask" />
    <bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="g" />
    <bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="wait"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">mystery == "x" and any(c == 1 for c in [1])</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="g" targetRef="wait2" />
    <bpmn:sequenceFlow id="f5" sourceRef="wait" targetRef="e" />
    <bpmn:sequenceFlow id="f6" sourceRef="wait2" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_the_rules_catch_what_they_are_for(tmp_path):
    folder = tmp_path / "broken_council"
    folder.mkdir()
    (folder / "broken.bpmn").write_text(BROKEN)
    deployment = load((folder,))
    assert deployment.error is None, deployment.error
    root = next(iter(deployment.documents.values()))
    text = "\n".join(p for check in CHECKS for p in check(root, deployment))
    for expected in ("'ask' has no camunda:formRef", "'Jane Smith', not a known role", "'nobody_role' is not a known role",
                     "no script task before the timer sets 'when_due'", "gives '14D', not an ISO 8601 duration",
                     "reads 'mystery'", "has no shape", "has no edge", "no event sub-process started by"):
        assert expected in text, f"{expected!r} not in:\n{text}"
    assert "reads 'c'" not in text  # comprehension variables are not data
    # A gateway flow with no condition that is not the default (the deploy check refuses it too).
    undecided = etree.fromstring(BROKEN.replace(' default="f4"', "").encode())
    assert [p for p in check_gateways(undecided, deployment) if "'f4'" in p]


def test_timer_values_are_checked_as_iso_8601():
    assert iso_problem("duration", "P14D") is None and iso_problem("duration", "PT90M") is None
    assert iso_problem("duration", "P") and iso_problem("duration", "14D") and iso_problem("duration", 14)
    assert iso_problem("date", "2026-11-25T16:00:00+00:00") is None and iso_problem("date", "next week")
    assert iso_problem("cycle", "R3/P7D") is None and iso_problem("cycle", "R/2026-11-23T09:00:00+00:00/P1W") is None
    assert iso_problem("cycle", "P7D")


def _decision_files() -> list[str]:
    return sorted(name for name in load((PROCESSES,)).documents if name.lower().endswith(".dmn"))


@pytest.mark.parametrize("dmn_file", _decision_files())
def test_decision_inputs_read_named_data(dmn_file):
    """A decision table's input expressions read only what a form, a script or another table sets."""
    deployment = load((PROCESSES,))
    known = set(deployment.form_fields) | deployment.script_names | deployment.other_names
    root = deployment.documents[dmn_file]
    found = []
    for node in root.iter():
        if isinstance(node.tag, str) and etree.QName(node).localname == "inputExpression":
            text = "".join(node.itertext()).strip()
            for name in sorted(read_names(text) - known) if text else []:
                found.append(f"{dmn_file} line {node.sourceline} '{node.get('id')}': input reads '{name}', "
                             "which no form field, script task or decision table sets")
    assert not found, "\n".join(found)
