"""Every BPMN file reads cleanly in bpmn-js's moddle and passes bpmnlint (issue 3).

`tests/js/lint_bpmn.mjs` (node) parses each ``processes/**/*.bpmn`` with bpmn-moddle and the
Camunda 7 extension (camunda-bpmn-moddle), collecting every import warning (unknown element or
attribute, unresolved reference), and runs bpmnlint with the repository's ``.bpmnlintrc``
(``bpmnlint:recommended``; any rule turned off there is documented in processes/README.md,
"Lint"). The packages come from npm (``npm ci`` at the repository root). Nothing is skipped:
without node or node_modules every test here fails and says what to run.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "js" / "lint_bpmn.mjs"
PROCESSES = ROOT / "processes"
NODE_PACKAGES = ("bpmn-moddle", "camunda-bpmn-moddle", "bpmnlint")
BPMN_FILES = sorted(p.relative_to(ROOT).as_posix() for p in PROCESSES.rglob("*.bpmn"))


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: install Node.js (>= 20), then run `npm ci` at the repository root")
    missing = [name for name in NODE_PACKAGES if not (ROOT / "node_modules" / name / "package.json").is_file()]
    if missing:
        pytest.fail(f"node_modules lacks {', '.join(missing)}: run `npm ci` at the repository root ({ROOT})")
    return node


def run_lint(*files: str | Path) -> tuple[int, dict]:
    """Run the lint script (on ``files``, or on every processes/**/*.bpmn); (exit status, report)."""
    result = subprocess.run(
        [_node(), str(SCRIPT), *map(str, files)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    if result.returncode not in (0, 1):
        pytest.fail(f"lint_bpmn.mjs failed (exit {result.returncode}):\n{result.stderr}")
    return result.returncode, json.loads(result.stdout)


@pytest.fixture(scope="module")
def report() -> dict:
    return run_lint()[1]


def test_lints_every_bpmn_file_with_recommended_rules(report):
    assert BPMN_FILES, "no BPMN files under processes/"
    assert sorted(report["files"]) == BPMN_FILES
    assert report["config"].get("extends") == "bpmnlint:recommended"
    # A rule turned off or changed in .bpmnlintrc is named, with its reason, in processes/README.md.
    readme = (PROCESSES / "README.md").read_text()
    lint_section = readme.split("\n## Lint\n", 1)[1].split("\n## ", 1)[0]
    undocumented = [rule for rule in report["config"].get("rules", {}) if f"`{rule}`" not in lint_section]
    assert undocumented == [], f"rules changed in .bpmnlintrc but not documented in processes/README.md (Lint): {undocumented}"
    # `npx bpmnlint` reads the same file: it must know the Camunda extension too.
    assert report["config"]["moddleExtensions"] == {"camunda": "camunda-bpmn-moddle/resources/camunda.json"}
    assert json.loads((ROOT / ".bpmnlintrc").read_text()) == report["config"]


@pytest.mark.parametrize("bpmn_file", BPMN_FILES)
def test_parses_in_bpmn_moddle_with_camunda_without_warnings(report, bpmn_file):
    found = report["files"][bpmn_file]
    assert found["parse_error"] is None, f"{bpmn_file} does not parse: {found['parse_error']}"
    warnings = [f"{w['id'] or '?'}: {w['message']}" for w in found["moddle_warnings"]]
    assert warnings == [], f"{bpmn_file}: moddle import warnings:\n" + "\n".join(warnings)


@pytest.mark.parametrize("bpmn_file", BPMN_FILES)
def test_passes_bpmnlint(report, bpmn_file):
    findings = [f"{f['category']} {f['rule']} {f['id'] or '?'}: {f['message']}" for f in report["files"][bpmn_file]["lint"]]
    assert findings == [], f"{bpmn_file}: bpmnlint findings:\n" + "\n".join(findings)


# The checks above must be able to fail: the same script on a file with the faults they guard
# against reports each one.

BROKEN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    id="defs" targetNamespace="http://example.org/broken">
  <bpmn:process id="broken" isExecutable="true" camunda:historyTimeToLive="P1D" camunda:formKey2="x">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="lane" name="social_worker">
        <bpmn:flowNodeRef>no_such_task</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="task" camunda:formRef="some_form">
      <bpmn:incoming>f1</bpmn:incoming>
      <camunda:notAnExtension />
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="broken">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="100" y="100" width="36" height="36" /></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def test_lint_script_reports_each_kind_of_fault(tmp_path):
    broken = tmp_path / "broken.bpmn"
    broken.write_text(BROKEN)
    status, out = run_lint(broken)
    assert status == 1
    (found,) = out["files"].values()
    assert found["parse_error"] is None
    messages = {(w["id"], w["message"]) for w in found["moddle_warnings"]}
    assert ("broken", "unknown attribute <camunda:formKey2>") in messages
    assert ("lane", "unresolved reference <no_such_task>") in messages
    assert any("camunda:notAnExtension" in message for _, message in messages)
    rules = {(f["rule"], f["id"]) for f in found["lint"]}
    assert ("label-required", "task") in rules          # a task without a name
    assert ("no-bpmndi", "task") in rules               # a task not drawn
    assert ("end-event-required", "broken") in rules    # a process without an end event
    assert ("no-implicit-end", "task") in rules


def test_lint_script_passes_a_clean_file():
    status, out = run_lint(PROCESSES / "common" / "safeguarding_referral.bpmn")
    assert status == 0
    assert out["files"] == {
        "processes/common/safeguarding_referral.bpmn": {"parse_error": None, "moddle_warnings": [], "lint": []}
    }


def test_lint_script_reports_xml_that_does_not_parse(tmp_path):
    broken = tmp_path / "not_xml.bpmn"
    broken.write_text("<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'><oops")
    status, out = run_lint(broken)
    assert status == 1
    (found,) = out["files"].values()
    assert found["parse_error"]
