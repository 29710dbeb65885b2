"""The deployment catalog: collecting files, parsing and checking them, versioning processes.

Every refusal must name the file (and the line and element where there is one) and leave the
database exactly as it was; redeploying what is already deployed must write nothing.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import expressions, runtime
from engine.catalog import (
    DeploymentError,
    DeployResult,
    SourceFile,
    collect,
    definition_forms,
    deploy,
    latest_definition,
    load_spec,
)
from engine.catalog.deploy import parse
from engine.catalog.parser import ASSIGNEE, CANDIDATE_GROUPS, DUE_DATE, FORM_REF, RESERVED_EXTENSION_KEYS
from engine.store import models

deploy_module = importlib.import_module("engine.catalog.deploy")  # the module, not the function

ENGINE_PROCESSES = ["meeting", "panel", "review", "routing", "visits"]
ENGINE_FILES = ["decision.form", "loop_and_script.bpmn", "message.bpmn", "review.bpmn", "route.dmn", "routing.bpmn", "timers.bpmn"]


# ------------------------------------------------------------------------------------ helpers

def bpmn(process_id: str, body: str, *, name: str | None = None, executable: bool = True, before: str = "") -> str:
    """A one-process BPMN document; `body` goes inside <bpmn:process>, `before` in front of it."""
    name_attr = f' name="{name}"' if name else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' id="Definitions_{process_id}" targetNamespace="http://stepwise.test/{process_id}">\n'
        + textwrap.indent(textwrap.dedent(before).strip("\n"), "  ") + ("\n" if before.strip() else "")
        + f'  <bpmn:process id="{process_id}"{name_attr} isExecutable="{"true" if executable else "false"}">\n'
        + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n"
        + "  </bpmn:process>\n"
        + "</bpmn:definitions>\n"
    )


def one_task(process_id: str = "intake", task_name: str = "Check the referral", attrs: str = "", *, task_id: str = "check",
             padding: int = 0) -> str:
    """start -> one user task -> end; `padding` blank lines push the elements further down."""
    return bpmn(process_id, "<!-- padding -->\n" * padding + f"""
        <bpmn:startEvent id="start" />
        <bpmn:userTask id="{task_id}" name="{task_name}"{(" " + attrs) if attrs else ""} />
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="{task_id}" />
        <bpmn:sequenceFlow id="f2" sourceRef="{task_id}" targetRef="end" />
    """)


def form(form_id: str, label: str = "Notes", component_type: str = "textfield") -> str:
    return json.dumps({
        "components": [{"type": component_type, "key": "notes", "label": label, "id": "Field_notes"}],
        "type": "default",
        "id": form_id,
        "schemaVersion": 16,
    }, indent=2)


def dmn(input_expression: str = "level", input_entry: str = '"high"', output_entry: str = '"duty"') -> str:
    return textwrap.dedent(f"""\
        <?xml version="1.0" encoding="UTF-8"?>
        <definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Definitions_team" name="Team" namespace="http://camunda.org/schema/1.0/dmn">
          <decision id="team_decision" name="Which team">
            <decisionTable id="DecisionTable_team" hitPolicy="FIRST">
              <input id="Input_level" label="Level">
                <inputExpression id="InputExpression_level" typeRef="string">
                  <text>{input_expression}</text>
                </inputExpression>
              </input>
              <output id="Output_team" label="Team" name="team" typeRef="string" />
              <rule id="Rule_duty">
                <inputEntry id="In_duty"><text>{input_entry}</text></inputEntry>
                <outputEntry id="Out_duty"><text>{output_entry}</text></outputEntry>
              </rule>
            </decisionTable>
          </decision>
        </definitions>
    """)


def src(filename: str, text: str | bytes) -> SourceFile:
    return SourceFile(filename, text.encode() if isinstance(text, str) else text)


def line_of(text: str | bytes, needle: str) -> int:
    """1-based number of the first line of `text` containing `needle`."""
    if isinstance(text, bytes):
        text = text.decode()
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")


def counts(db) -> dict[str, int]:
    with db.reader() as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in models.Base.metadata.sorted_tables
        }


def snapshot(db) -> dict[str, list]:
    """Every row of every table, for "nothing was written" checks stronger than counts."""
    with db.reader() as session:
        return {
            table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
            for table in models.Base.metadata.sorted_tables
        }


def with_file(files: list[SourceFile], filename: str, transform) -> list[SourceFile]:
    """A copy of `files` with one file's bytes passed through `transform` (which must change them)."""
    out = []
    for file in files:
        if file.filename == filename:
            changed = transform(file.content)
            assert changed != file.content, f"the change to {filename} did not apply"
            file = SourceFile(filename, changed)
        out.append(file)
    return out


def assert_refused(db, files, *, filename: str | None, line: int | None = None, element_id: str | None = None,
                   contains: tuple[str, ...] = ()) -> DeploymentError:
    """deploy() refuses with a DeploymentError locating the problem and writes nothing."""
    before_counts, before_rows = counts(db), snapshot(db)
    with pytest.raises(DeploymentError) as caught:
        deploy(db, files, name="bad", actor="tester")
    error = caught.value
    text = str(error)
    assert error.message and error.message in text
    if filename is not None:
        assert error.filename == filename, text
        assert filename in text
    if line is not None:
        assert error.line == line, text
        assert f"{filename}:{line}" in text
    if element_id is not None:
        assert error.element_id == element_id, text
        assert f"'{element_id}'" in text
    for part in contains:
        assert part in text, text
    assert counts(db) == before_counts
    assert snapshot(db) == before_rows
    return error


@pytest.fixture
def engine_files(fixtures) -> list[SourceFile]:
    return collect([fixtures / "engine"])


@pytest.fixture
def deployed(db, clock, engine_files) -> DeployResult:
    """The engine fixtures deployed once, so refusals are checked against a non-empty database."""
    result = deploy(db, engine_files, name="baseline", actor="setup")
    assert result.created
    return result


# ------------------------------------------------------------------------- small value types

def test_source_file_kind_and_sha256():
    assert SourceFile("a/b/review.bpmn", b"x").kind == "bpmn"
    assert SourceFile("Route.DMN", b"x").kind == "dmn"
    assert SourceFile("decision.form", b"x").kind == "form"
    assert SourceFile("notes.txt", b"x").kind is None
    assert SourceFile("review.bpmn.bak", b"x").kind is None
    assert SourceFile("f.bpmn", b"content").sha256 == hashlib.sha256(b"content").hexdigest()


def test_deployment_error_text_and_fields():
    error = DeploymentError("it is broken", filename="review.bpmn", line=12, element_id="approve")
    assert (error.message, error.filename, error.line, error.element_id) == ("it is broken", "review.bpmn", 12, "approve")
    assert str(error) == "review.bpmn:12 element 'approve': it is broken"
    assert str(DeploymentError("just a message")) == "just a message"
    assert str(DeploymentError("no line", filename="f.form")) == "f.form: no line"


# ---------------------------------------------------------------------------- a first deploy

def test_deploy_engine_fixtures(db, clock, fixtures, engine_files):
    assert sorted(f.filename for f in engine_files) == ENGINE_FILES

    result = deploy(db, engine_files, name="engine fixtures", actor="alice", source="tests")

    assert result.created is True
    assert result.unchanged == []
    assert sorted(result.definitions) == [
        (key, 1, f"{key}:1:{result.deployment_id}") for key in ENGINE_PROCESSES
    ]
    with db.reader() as session:
        deployments = session.scalars(select(models.Deployment)).all()
        assert [d.id for d in deployments] == [result.deployment_id]
        deployment = deployments[0]
        assert (deployment.name, deployment.source, deployment.deployed_by) == ("engine fixtures", "tests", "alice")
        assert deployment.deployed_at == clock.now()
        assert len(deployment.content_hash) == 64

        stored = {f.filename: f for f in session.scalars(select(models.DeploymentFile))}
        assert sorted(stored) == ENGINE_FILES
        for filename, row in stored.items():
            on_disk = (fixtures / "engine" / filename).read_bytes()
            assert row.deployment_id == result.deployment_id
            assert row.content == on_disk
            assert row.sha256 == hashlib.sha256(on_disk).hexdigest()
            assert row.kind == Path(filename).suffix[1:]

        definitions = {d.key: d for d in session.scalars(select(models.ProcessDefinition))}
        assert sorted(definitions) == ENGINE_PROCESSES
        resources = {"meeting": "timers.bpmn", "panel": "message.bpmn", "review": "review.bpmn",
                     "routing": "routing.bpmn", "visits": "loop_and_script.bpmn"}
        for key, definition in definitions.items():
            assert definition.version == 1
            assert definition.id == f"{key}:1:{result.deployment_id}"
            assert definition.deployment_id == result.deployment_id
            assert definition.resource == resources[key]
            assert definition.created_at == clock.now()
            assert len(definition.content_hash) == 64
            assert definition.spec  # the serialized spec is stored with the version
        assert definitions["review"].name == "Step-down review"
        assert latest_definition(session, "review").id == definitions["review"].id

        form_rows = session.scalars(select(models.FormDefinition)).all()
        assert [(f.form_id, f.filename, f.deployment_id) for f in form_rows] == [
            ("decision_form", "decision.form", result.deployment_id)
        ]
        assert form_rows[0].schema == json.loads((fixtures / "engine" / "decision.form").read_bytes())
        assert set(definition_forms(session, result.deployment_id)) == {"decision_form"}

        events = session.scalars(select(models.AuditEvent)).all()
        assert [(e.action, e.actor) for e in events] == [("deployment.created", "alice")]
        assert events[0].at == clock.now()
        details = events[0].details
        assert details["deployment_id"] == result.deployment_id
        assert details["name"] == "engine fixtures"
        assert sorted(details["files"]) == ENGINE_FILES
        assert sorted(details["definitions"]) == sorted(d[2] for d in result.definitions)

        # The stored spec comes back as a live spec, with the Camunda attributes on the user task.
        spec, _subprocesses = load_spec(session, definitions["review"].id)
        record = spec.task_specs["record_decision"]
        assert record.extensions[FORM_REF] == "decision_form"
        assert record.extensions[DUE_DATE] == "working_days_after(2)"
        assert record.extensions["document"] == "decision_record"
        assert spec.task_specs["approve"].extensions[CANDIDATE_GROUPS] == ["team_manager", "service_manager"]

    counted = counts(db)
    assert counted["deployment"] == 1
    assert counted["deployment_file"] == len(ENGINE_FILES)
    assert counted["process_definition"] == len(ENGINE_PROCESSES)
    assert counted["form_definition"] == 1
    assert counted["audit_event"] == 1
    assert all(n == 0 for table, n in counted.items()
               if table not in {"deployment", "deployment_file", "process_definition", "form_definition", "audit_event"})


def test_redeploying_unchanged_files_writes_nothing(db, clock, engine_files):
    first = deploy(db, engine_files, name="first", actor="alice")
    before_counts, before_rows = counts(db), snapshot(db)
    clock.advance(hours=1)

    # Same bytes, other order and actor, same deployment name: still the same deployment
    # (Camunda's duplicate filtering is per deployment name too).
    again = deploy(db, list(reversed(engine_files)), name="first", actor="bob")

    assert again.deployment_id == first.deployment_id
    assert again.created is False
    assert again.definitions == []
    assert sorted(again.unchanged) == ENGINE_PROCESSES
    assert counts(db) == before_counts
    assert snapshot(db) == before_rows


def test_redeploying_collected_folder_again_is_a_no_op(db, clock, fixtures):
    first = deploy(db, collect([fixtures / "engine"]))
    before = snapshot(db)
    second = deploy(db, collect([fixtures / "engine"]))
    assert (second.deployment_id, second.created) == (first.deployment_id, False)
    assert snapshot(db) == before


# ------------------------------------------------------------------------------- new versions

def test_changed_bpmn_file_versions_only_its_process(db, clock, engine_files):
    first = deploy(db, engine_files, actor="alice")
    clock.advance(days=1)
    changed = with_file(engine_files, "review.bpmn",
                        lambda b: b.replace(b'name="Inform the family"', b'name="Tell the family"'))

    second = deploy(db, changed, actor="bob")

    assert second.created is True
    assert second.deployment_id != first.deployment_id
    assert second.definitions == [("review", 2, f"review:2:{second.deployment_id}")]
    assert sorted(second.unchanged) == [k for k in ENGINE_PROCESSES if k != "review"]
    with db.reader() as session:
        versions = sorted((d.key, d.version, d.deployment_id) for d in session.scalars(select(models.ProcessDefinition)))
        assert versions == sorted(
            [(k, 1, first.deployment_id) for k in ENGINE_PROCESSES] + [("review", 2, second.deployment_id)]
        )
        latest = latest_definition(session, "review")
        assert (latest.version, latest.created_at) == (2, clock.now())
        spec, _ = load_spec(session, latest.id)
        assert spec.task_specs["inform_family"].bpmn_name == "Tell the family"
        old_spec, _ = load_spec(session, f"review:1:{first.deployment_id}")
        assert old_spec.task_specs["inform_family"].bpmn_name == "Inform the family"
        for key in ENGINE_PROCESSES:
            if key != "review":
                assert latest_definition(session, key).version == 1
        # A deployment is a full snapshot of the files it was given.
        new_files = session.scalars(select(models.DeploymentFile).where(
            models.DeploymentFile.deployment_id == second.deployment_id)).all()
        assert sorted(f.filename for f in new_files) == ENGINE_FILES
        review_file = next(f for f in new_files if f.filename == "review.bpmn")
        assert b"Tell the family" in review_file.content
        events = session.scalars(select(models.AuditEvent).order_by(models.AuditEvent.id)).all()
        assert [(e.action, e.actor) for e in events] == [("deployment.created", "alice"), ("deployment.created", "bob")]
        assert events[1].details["definitions"] == [f"review:2:{second.deployment_id}"]

    # And that change, deployed again, is a no-op.
    before = snapshot(db)
    third = deploy(db, changed)
    assert (third.deployment_id, third.created) == (second.deployment_id, False)
    assert snapshot(db) == before


def test_changed_form_versions_the_process_that_uses_it(db, clock, engine_files):
    first = deploy(db, engine_files)
    changed = with_file(engine_files, "decision.form", lambda b: b.replace(b'"label": "Rationale"', b'"label": "Why"'))

    second = deploy(db, changed)

    assert second.created is True
    assert second.definitions == [("review", 2, f"review:2:{second.deployment_id}")]
    assert sorted(second.unchanged) == [k for k in ENGINE_PROCESSES if k != "review"]
    with db.reader() as session:
        assert latest_definition(session, "review").version == 2
        # Forms bind to their deployment: version 1 keeps the old label, version 2 has the new one.
        old = definition_forms(session, first.deployment_id)["decision_form"].schema
        new = definition_forms(session, second.deployment_id)["decision_form"].schema
        assert [c["label"] for c in old["components"]] == ["Decision", "Rationale"]
        assert [c["label"] for c in new["components"]] == ["Decision", "Why"]


def test_changed_dmn_versions_the_process_that_calls_it(db, clock, engine_files):
    deploy(db, engine_files)
    changed = with_file(engine_files, "route.dmn", lambda b: b.replace(b'"universal"</text>', b'"universal_plus"</text>'))
    second = deploy(db, changed)
    assert second.definitions == [("routing", 2, f"routing:2:{second.deployment_id}")]
    assert sorted(second.unchanged) == [k for k in ENGINE_PROCESSES if k != "routing"]


def test_new_unused_form_makes_a_deployment_without_new_versions(db, clock, engine_files):
    first = deploy(db, engine_files)
    second = deploy(db, [*engine_files, src("extra.form", form("extra_form"))])
    assert second.created is True and second.deployment_id != first.deployment_id
    assert second.definitions == []
    assert sorted(second.unchanged) == ENGINE_PROCESSES
    with db.reader() as session:
        assert set(definition_forms(session, second.deployment_id)) == {"decision_form", "extra_form"}
        assert {d.version for d in session.scalars(select(models.ProcessDefinition))} == {1}


def test_only_the_changed_process_of_a_two_process_file_is_versioned(db, clock):
    def two(first_name: str) -> str:
        return bpmn("alpha", f"""
            <bpmn:startEvent id="a_start" />
            <bpmn:userTask id="a_task" name="{first_name}" />
            <bpmn:endEvent id="a_end" />
            <bpmn:sequenceFlow id="a_f1" sourceRef="a_start" targetRef="a_task" />
            <bpmn:sequenceFlow id="a_f2" sourceRef="a_task" targetRef="a_end" />
        """).replace("</bpmn:definitions>", """  <bpmn:process id="beta" isExecutable="true">
    <bpmn:startEvent id="b_start" />
    <bpmn:userTask id="b_task" name="Beta task" />
    <bpmn:endEvent id="b_end" />
    <bpmn:sequenceFlow id="b_f1" sourceRef="b_start" targetRef="b_task" />
    <bpmn:sequenceFlow id="b_f2" sourceRef="b_task" targetRef="b_end" />
  </bpmn:process>
</bpmn:definitions>""")

    first = deploy(db, [src("both.bpmn", two("Alpha task"))])
    assert sorted(d[:2] for d in first.definitions) == [("alpha", 1), ("beta", 1)]
    second = deploy(db, [src("both.bpmn", two("Alpha task, renamed"))])
    assert second.definitions == [("alpha", 2, f"alpha:2:{second.deployment_id}")]
    assert second.unchanged == ["beta"]


def test_changing_a_called_process_versions_its_caller_too(db, clock):
    caller = bpmn("main", """
        <bpmn:startEvent id="start" />
        <bpmn:callActivity id="call_sub" calledElement="sub" />
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call_sub" />
        <bpmn:sequenceFlow id="f2" sourceRef="call_sub" targetRef="end" />
    """)
    deploy(db, [src("main.bpmn", caller), src("sub.bpmn", one_task("sub", "Sub task"))])
    second = deploy(db, [src("main.bpmn", caller), src("sub.bpmn", one_task("sub", "Sub task renamed"))])
    # The caller embeds the called spec, so running "main" v1 keeps the old "sub".
    assert sorted(d[:2] for d in second.definitions) == [("main", 2), ("sub", 2)]
    with db.reader() as session:
        _spec, subprocesses = load_spec(session, latest_definition(session, "main").id)
        assert subprocesses["sub"].task_specs["check"].bpmn_name == "Sub task renamed"


def test_redeploying_earlier_files_after_a_change_brings_them_back(db, clock):
    v1 = [src("intake.bpmn", one_task(task_name="First name"))]
    v2 = [src("intake.bpmn", one_task(task_name="Second name"))]
    deploy(db, v1)
    deploy(db, v2)

    back = deploy(db, v1)

    assert back.created is True
    assert [d[:2] for d in back.definitions] == [("intake", 3)]
    runtime.start(db, "intake", "CASE-9", {}, "tester")
    assert [t.name for t in runtime.tasks(db, business_key="CASE-9")] == ["First name"]


def test_deploy_is_one_transaction(db, clock, engine_files, monkeypatch):
    """A failure half-way through the writes leaves no deployment, file, definition or event behind."""
    deployed_before = deploy(db, [src("intake.bpmn", one_task())])
    before = snapshot(db)
    real = deploy_module.spec_to_dict
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(deploy_module, "spec_to_dict", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        deploy(db, engine_files)
    assert snapshot(db) == before
    monkeypatch.undo()
    result = deploy(db, engine_files)
    assert result.created and result.deployment_id != deployed_before.deployment_id


# ------------------------------------------------------------- instances keep their version

def test_instances_stay_on_the_version_they_started_with(db, clock):
    deploy(db, [src("intake.bpmn", one_task(task_name="Check the referral"))])
    first = runtime.start(db, "intake", "CASE-1", {}, "tester")

    v2 = deploy(db, [src("intake.bpmn", one_task(task_name="Check the referral again"))])
    assert [d[:2] for d in v2.definitions] == [("intake", 2)]
    second = runtime.start(db, "intake", "CASE-2", {}, "tester")

    with db.reader() as session:
        assert session.get(models.ProcessInstance, first.instance_id).definition.version == 1
        assert session.get(models.ProcessInstance, second.instance_id).definition.version == 2

    [old_task] = runtime.tasks(db, business_key="CASE-1")
    [new_task] = runtime.tasks(db, business_key="CASE-2")
    assert (old_task.name, old_task.element_id) == ("Check the referral", "check")
    assert new_task.name == "Check the referral again"

    outcome = runtime.complete(db, old_task.id, {}, "tester")
    assert outcome.instance_id == first.instance_id
    assert outcome.state == "completed"
    assert runtime.tasks(db, business_key="CASE-1") == []
    assert [t.name for t in runtime.tasks(db, business_key="CASE-2")] == ["Check the referral again"]

    # Asking for version 1 explicitly still works after version 2 was deployed.
    runtime.start(db, "intake", "CASE-3", {}, "tester", version=1)
    assert [t.name for t in runtime.tasks(db, business_key="CASE-3")] == ["Check the referral"]


def test_instance_keeps_the_form_of_its_version(db, clock):
    files = [src("intake.bpmn", one_task(attrs='camunda:formRef="notes_form"')), src("notes.form", form("notes_form", "Notes"))]
    deploy(db, files)
    runtime.start(db, "intake", "CASE-1", {}, "tester")
    deploy(db, [files[0], src("notes.form", form("notes_form", "Case notes"))])
    runtime.start(db, "intake", "CASE-2", {}, "tester")

    [old_task] = runtime.tasks(db, business_key="CASE-1")
    [new_task] = runtime.tasks(db, business_key="CASE-2")
    assert old_task.form_ref == new_task.form_ref == "notes_form"
    assert runtime.task_form(db, old_task.id).schema["components"][0]["label"] == "Notes"
    assert runtime.task_form(db, new_task.id).schema["components"][0]["label"] == "Case notes"


# ------------------------------------------------------------------------------------ refusals

def test_refuses_malformed_xml_with_its_line(db, deployed):
    text = bpmn("broken", """
        <bpmn:startEvent id="start">
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end" />
    """)
    error = assert_refused(db, [src("broken.bpmn", text)], filename="broken.bpmn", contains=("XML",))
    assert isinstance(error.line, int)
    assert line_of(text, '<bpmn:startEvent id="start">') <= error.line <= len(text.splitlines())
    assert f"broken.bpmn:{error.line}" in str(error)


def test_refuses_a_file_that_is_not_xml(db, deployed):
    assert_refused(db, [src("empty.bpmn", b"")], filename="empty.bpmn", line=1)


def test_refuses_xml_external_entities(db, deployed):
    text = bpmn("p", '<bpmn:startEvent id="start" name="&secret;" />').replace(
        "<bpmn:definitions", '<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n<bpmn:definitions', 1)
    error = assert_refused(db, [src("xxe.bpmn", text)], filename="xxe.bpmn")
    assert "root:" not in str(error)


def test_refuses_bpmn_failing_the_schema(db, deployed):
    text = bpmn("p", """
        <bpmn:startEvent id="start" />
        <bpmn:bogusTask id="bogus" />
    """)
    assert_refused(db, [src("schema.bpmn", text)], filename="schema.bpmn", line=line_of(text, "bogusTask"),
                   contains=("bogusTask",))


def test_refuses_exclusive_gateway_without_conditions_or_default(db, deployed):
    text = bpmn("p", """
        <bpmn:startEvent id="start" />
        <bpmn:exclusiveGateway id="gw" />
        <bpmn:endEvent id="end_a" />
        <bpmn:endEvent id="end_b" />
        <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw" />
        <bpmn:sequenceFlow id="to_a" sourceRef="gw" targetRef="end_a" />
        <bpmn:sequenceFlow id="to_b" sourceRef="gw" targetRef="end_b" />
    """)
    before = snapshot(db)
    with pytest.raises(DeploymentError) as caught:
        deploy(db, [src("gateway.bpmn", text)])
    error = caught.value
    assert error.filename == "gateway.bpmn"
    assert error.element_id in {"gw", "to_a", "to_b"}
    assert error.line == line_of(text, f'id="{error.element_id}"')
    assert f"gateway.bpmn:{error.line} element '{error.element_id}'" in str(error)
    assert snapshot(db) == before


def test_refuses_a_condition_escaping_the_sandbox(db, deployed):
    text = bpmn("p", """
        <bpmn:startEvent id="start" />
        <bpmn:exclusiveGateway id="gw" default="to_b" />
        <bpmn:endEvent id="end_a" />
        <bpmn:endEvent id="end_b" />
        <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw" />
        <bpmn:sequenceFlow id="to_a" sourceRef="gw" targetRef="end_a">
          <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">().__class__.__bases__[0].__subclasses__()</bpmn:conditionExpression>
        </bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="to_b" sourceRef="gw" targetRef="end_b" />
    """)
    assert_refused(db, [src("escape.bpmn", text)], filename="escape.bpmn",
                   line=line_of(text, "<bpmn:conditionExpression"), element_id="to_a",
                   contains=("__subclasses__", "not allowed"))


def test_refuses_a_condition_that_does_not_parse(db, deployed):
    text = bpmn("p", """
        <bpmn:startEvent id="start" />
        <bpmn:exclusiveGateway id="gw" default="to_b" />
        <bpmn:endEvent id="end_a" />
        <bpmn:endEvent id="end_b" />
        <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw" />
        <bpmn:sequenceFlow id="to_a" sourceRef="gw" targetRef="end_a">
          <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">decision ==</bpmn:conditionExpression>
        </bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="to_b" sourceRef="gw" targetRef="end_b" />
    """)
    assert_refused(db, [src("syntax.bpmn", text)], filename="syntax.bpmn",
                   line=line_of(text, "<bpmn:conditionExpression"), element_id="to_a", contains=("syntax",))


def script_process(script: str) -> str:
    """A script task; the script goes in as Camunda Modeler writes it: lines after the first unindented."""
    escaped = script.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return bpmn("p", """
        <bpmn:startEvent id="start" />
        <bpmn:scriptTask id="run_script" scriptFormat="python">
          <bpmn:script>@SCRIPT@</bpmn:script>
        </bpmn:scriptTask>
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="run_script" />
        <bpmn:sequenceFlow id="f2" sourceRef="run_script" targetRef="end" />
    """).replace("@SCRIPT@", escaped)


@pytest.mark.parametrize("script, reason", [
    ("import os", "import is not allowed"),
    ('__import__("os")', "'__import__' is not allowed"),
    ("x = 1\nimport os", "line 2: import is not allowed"),
    ('y = open("/etc/passwd")', "'open' is not allowed"),
])
def test_refuses_a_script_escaping_the_sandbox(db, deployed, script, reason):
    text = script_process(script)
    assert_refused(db, [src("script.bpmn", text)], filename="script.bpmn", line=line_of(text, "<bpmn:script>"),
                   element_id="run_script", contains=("script", reason, "not allowed"))


def test_accepts_a_harmless_script(db, clock):
    result = deploy(db, [src("script.bpmn", script_process("total = 1 + 2\nif total > 2:\n    label = 'done'"))])
    assert [d[:2] for d in result.definitions] == [("p", 1)]


def test_accepts_a_script_indented_with_the_xml(db, clock):
    """Scripts are checked as the runtime runs them: dedented, not stripped line by line."""
    script = "\n            total = 1 + 2\n            label = 'done'\n          "
    expressions.execute(script, {})  # the runtime's evaluator runs it as it stands in the file
    result = deploy(db, [src("script.bpmn", script_process(script))])
    assert [d[:2] for d in result.definitions] == [("p", 1)]


def test_refuses_a_timer_escaping_the_sandbox(db, deployed):
    text = bpmn("p", """
        <bpmn:startEvent id="start" />
        <bpmn:intermediateCatchEvent id="wait" name="Wait">
          <bpmn:timerEventDefinition id="wait_timer">
            <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">open("/etc/passwd")</bpmn:timeDuration>
          </bpmn:timerEventDefinition>
        </bpmn:intermediateCatchEvent>
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
        <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
    """)
    error = assert_refused(db, [src("timer.bpmn", text)], filename="timer.bpmn",
                           line=line_of(text, "<bpmn:timeDuration"), contains=("open", "not allowed"))
    # The event or its timer definition: either has an id that is in the file.
    assert error.element_id in {"wait", "wait_timer"}
    assert f"'{error.element_id}'" in str(error)


def test_refuses_a_message_payload_escaping_the_sandbox(db, deployed):
    text = bpmn("p", """
        <bpmn:startEvent id="start" />
        <bpmn:intermediateThrowEvent id="tell">
          <bpmn:messageEventDefinition id="tell_message" messageRef="Message_told" camunda:expression="().__class__" />
        </bpmn:intermediateThrowEvent>
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="tell" />
        <bpmn:sequenceFlow id="f2" sourceRef="tell" targetRef="end" />
    """, before='<bpmn:message id="Message_told" name="told" />')
    error = assert_refused(db, [src("message.bpmn", text)], filename="message.bpmn",
                           line=line_of(text, "camunda:expression"), contains=("__class__",))
    assert error.element_id in {"tell", "tell_message"}


def test_refuses_a_due_date_escaping_the_sandbox(db, deployed):
    text = one_task(attrs='camunda:dueDate="__import__(&quot;os&quot;)"')
    assert_refused(db, [src("due.bpmn", text)], filename="due.bpmn", line=line_of(text, "camunda:dueDate"),
                   element_id="check", contains=("due date", "__import__"))


def test_refuses_a_conditional_event_escaping_the_sandbox(db, deployed):
    text = bpmn("p", """
        <bpmn:startEvent id="start" />
        <bpmn:intermediateCatchEvent id="until">
          <bpmn:conditionalEventDefinition id="until_condition">
            <bpmn:condition xsi:type="bpmn:tFormalExpression">().__class__.__bases__[0].__subclasses__()</bpmn:condition>
          </bpmn:conditionalEventDefinition>
        </bpmn:intermediateCatchEvent>
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="until" />
        <bpmn:sequenceFlow id="f2" sourceRef="until" targetRef="end" />
    """)
    error = assert_refused(db, [src("conditional.bpmn", text)], filename="conditional.bpmn",
                           line=line_of(text, "<bpmn:condition "), contains=("__subclasses__",))
    assert error.element_id in {"until", "until_condition"}


@pytest.mark.parametrize("where", ["input entry", "output entry", "input expression"])
def test_refuses_a_dmn_expression_using_a_dunder(db, deployed, where):
    if where == "input entry":
        text, needle, element = dmn(input_entry="level.__class__"), '<inputEntry id="In_duty">', "In_duty"
    elif where == "output entry":
        text, needle, element = dmn(output_entry="level.__class__"), '<outputEntry id="Out_duty">', "Out_duty"
    else:
        text, needle, element = dmn(input_expression="level.__class__"), "<text>level.__class__</text>", "Input_level"
    assert_refused(db, [src("team.dmn", text)], filename="team.dmn", line=line_of(text, needle), element_id=element,
                   contains=("__class__", "not allowed"))


def test_accepts_the_same_dmn_without_the_dunder(db, clock):
    result = deploy(db, [src("team.dmn", dmn())])
    assert result.created and result.definitions == []


def test_refuses_a_dmn_file_that_is_not_dmn(db, deployed):
    assert_refused(db, [src("junk.dmn", "<definitions />")], filename="junk.dmn")


def test_refuses_an_unknown_form_ref(db, deployed):
    text = one_task(attrs='camunda:formRef="no_such_form"', padding=3)
    assert_refused(db, [src("ref.bpmn", text), src("notes.form", form("notes_form"))], filename="ref.bpmn",
                   line=line_of(text, 'id="check"'), element_id="check", contains=("no_such_form", "notes_form"))


def test_unknown_form_ref_reports_the_line_in_its_own_file(db, deployed):
    fine = one_task("first", padding=10)  # also has a user task "check", ten lines further down
    broken = one_task("second", attrs='camunda:formRef="no_such_form"')
    assert_refused(db, [src("a_first.bpmn", fine), src("b_second.bpmn", broken)], filename="b_second.bpmn",
                   line=line_of(broken, 'id="check"'), element_id="check")


def test_refuses_an_unknown_form_ref_in_a_called_process(db, deployed):
    caller = bpmn("main", """
        <bpmn:startEvent id="start" />
        <bpmn:callActivity id="call_sub" calledElement="sub" />
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call_sub" />
        <bpmn:sequenceFlow id="f2" sourceRef="call_sub" targetRef="end" />
    """)
    sub = one_task("sub", attrs='camunda:formRef="no_such_form"', task_id="sub_task")
    assert_refused(db, [src("main.bpmn", caller), src("sub.bpmn", sub)], filename="sub.bpmn",
                   line=line_of(sub, 'id="sub_task"'), element_id="sub_task", contains=("no_such_form",))


def service_task_process(attrs: str, inside: str = "") -> str:
    """start -> a service task -> end; SpiffWorkflow parses any service task, runnable or not."""
    return bpmn("sync", f"""
        <bpmn:startEvent id="start" />
        <bpmn:serviceTask id="sync_record" name="Sync the record"{(" " + attrs) if attrs else ""}>{inside}</bpmn:serviceTask>
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sync_record" />
        <bpmn:sequenceFlow id="f2" sourceRef="sync_record" targetRef="end" />
    """)


CONNECTOR = ("<bpmn:extensionElements><camunda:connector><camunda:connectorId>http-connector</camunda:connectorId>"
             "</camunda:connector></bpmn:extensionElements>")


@pytest.mark.parametrize("attrs, inside, named", [
    ('camunda:class="org.council.SyncRecord"', "", 'camunda:class="org.council.SyncRecord"'),
    ('camunda:delegateExpression="${syncRecord}"', "", 'camunda:delegateExpression="${syncRecord}"'),
    ('camunda:expression="${lcs.sync(case)}"', "", 'camunda:expression="${lcs.sync(case)}"'),
    ("", CONNECTOR, "a camunda:connector"),
    ("", "", "no implementation"),
    ('camunda:type="internal" camunda:topic="lcs.sync"', "", 'camunda:type="internal"'),
], ids=["class", "delegate-expression", "expression", "connector", "nothing", "other-type"])
def test_refuses_a_service_task_stepwise_cannot_run(db, deployed, attrs, inside, named):
    text = service_task_process(attrs, inside)
    error = assert_refused(db, [src("sync.bpmn", text)], filename="sync.bpmn", line=line_of(text, 'id="sync_record"'),
                           element_id="sync_record")
    assert named in error.message
    assert 'camunda:type="external"' in error.message and "camunda:topic" in error.message
    assert "script task" in error.message


def test_refuses_a_service_task_stepwise_cannot_run_inside_a_sub_process(db, deployed):
    text = bpmn("sync", """
        <bpmn:startEvent id="start" />
        <bpmn:subProcess id="sub">
          <bpmn:startEvent id="sub_start" />
          <bpmn:serviceTask id="sync_record" camunda:class="org.council.SyncRecord" />
          <bpmn:endEvent id="sub_end" />
          <bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="sync_record" />
          <bpmn:sequenceFlow id="s2" sourceRef="sync_record" targetRef="sub_end" />
        </bpmn:subProcess>
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sub" />
        <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="end" />
    """)
    assert_refused(db, [src("sync.bpmn", text)], filename="sync.bpmn", line=line_of(text, 'id="sync_record"'),
                   element_id="sync_record", contains=('camunda:class="org.council.SyncRecord"',))


def test_an_external_service_task_still_deploys(db, clock):
    result = deploy(db, [src("sync.bpmn", service_task_process('camunda:type="external" camunda:topic="lcs.sync"'))])
    assert [key for key, _, _ in result.definitions] == ["sync"]


def test_refuses_a_form_with_an_unknown_component_type(db, deployed):
    text = form("picker_form", component_type="filepicker")
    error = assert_refused(db, [src("intake.bpmn", one_task()), src("forms/picker.form", text)],
                           filename="forms/picker.form", contains=("picker_form", "filepicker"))
    assert error.element_id is None


def test_refuses_a_form_that_is_not_json(db, deployed):
    assert_refused(db, [src("broken.form", "{not json")], filename="broken.form", contains=("JSON",))


def test_refuses_two_forms_with_the_same_id(db, deployed):
    assert_refused(db, [src("a.form", form("same_form")), src("b.form", form("same_form", "Other"))],
                   filename="b.form", contains=("same_form", "a.form"))


def test_refuses_an_empty_deployment(db, deployed, tmp_path):
    before = snapshot(db)
    with pytest.raises(DeploymentError, match="nothing to deploy"):
        deploy(db, [])
    assert collect([tmp_path]) == []
    with pytest.raises(DeploymentError, match="nothing to deploy"):
        deploy(db, collect([tmp_path]))
    assert snapshot(db) == before


def test_refuses_a_deployment_with_no_model_files(db, deployed):
    assert_refused(db, [src("README.md", "# notes")], filename=None, contains=("nothing to deploy",))


def test_refuses_a_bpmn_without_an_executable_process(db, deployed):
    assert_refused(db, [src("draft.bpmn", one_task(process_id="draft").replace('isExecutable="true"', 'isExecutable="false"'))],
                   filename=None, contains=("isExecutable",))


def test_refuses_duplicate_process_ids_across_files(db, deployed):
    second = one_task("intake", "Another", padding=2)
    error = assert_refused(db, [src("a.bpmn", one_task("intake")), src("b.bpmn", second)], filename="b.bpmn",
                           line=line_of(second, '<bpmn:process id="intake"'), element_id="intake")
    assert "intake" in error.message


def test_refuses_the_same_file_name_twice(db, deployed):
    assert_refused(db, [src("a.bpmn", one_task("one")), src("a.bpmn", one_task("two"))], filename=None,
                   contains=("a.bpmn",))


CALLER_OF_MISSING = bpmn("main", """
    <bpmn:startEvent id="start" />
    <bpmn:callActivity id="call_missing" calledElement="missing_process" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call_missing" />
    <bpmn:sequenceFlow id="f2" sourceRef="call_missing" targetRef="end" />
""")


def test_refuses_a_call_activity_whose_called_element_is_missing(db, deployed):
    assert_refused(db, [src("main.bpmn", CALLER_OF_MISSING)], filename=None, contains=("missing_process",))


def test_missing_called_element_is_located(db, deployed):
    assert_refused(db, [src("main.bpmn", CALLER_OF_MISSING)], filename="main.bpmn",
                   line=line_of(CALLER_OF_MISSING, 'id="call_missing"'), element_id="call_missing",
                   contains=("missing_process",))


def test_refuses_a_business_rule_task_whose_decision_is_missing(db, deployed):
    text = bpmn("p", """
        <bpmn:startEvent id="start" />
        <bpmn:businessRuleTask id="decide" camunda:decisionRef="no_such_decision" />
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide" />
        <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="end" />
    """)
    assert_refused(db, [src("rule.bpmn", text)], filename="rule.bpmn", line=line_of(text, 'id="decide"'),
                   element_id="decide", contains=("no_such_decision",))


def _assert_stored_strings_fit_their_columns(db) -> None:
    """SQLite ignores VARCHAR lengths; PostgreSQL would have refused anything these find."""
    too_long = []
    with db.reader() as session:
        for table in models.Base.metadata.sorted_tables:
            limited = [c for c in table.columns if getattr(c.type, "length", None)]
            for row in session.execute(select(*limited)) if limited else ():
                for column, value in zip(limited, row):
                    if isinstance(value, str) and len(value) > column.type.length:
                        too_long.append(f"{table.name}.{column.name}: {len(value)} > {column.type.length}")
    assert not too_long, too_long


def test_a_long_process_id_is_refused_or_fits_the_columns(db, clock):
    key = "p" + "x" * 89  # 90 characters: fits process_definition.key (100), and must fit .id too
    try:
        result = deploy(db, [src("long.bpmn", one_task(key))])
    except DeploymentError:
        return
    id_length = models.ProcessDefinition.__table__.c.id.type.length
    assert all(len(definition_id) <= id_length for _key, _version, definition_id in result.definitions)


def test_the_longest_allowed_process_id_deploys_and_starts(db, clock):
    key = "k" * models.ProcessDefinition.__table__.c.key.type.length
    result = deploy(db, [src("longest.bpmn", one_task(key))])
    assert [d[:2] for d in result.definitions] == [(key, 1)]
    _assert_stored_strings_fit_their_columns(db)
    runtime.start(db, key, "CASE-1", {}, "tester")
    assert [t.process_key for t in runtime.tasks(db, business_key="CASE-1")] == [key]


def test_a_process_id_longer_than_the_key_column_is_refused(db, deployed):
    key = "q" * (models.ProcessDefinition.__table__.c.key.type.length + 1)
    text = one_task(key)
    error = assert_refused(db, [src("too_long.bpmn", text)], filename="too_long.bpmn",
                           line=line_of(text, "<bpmn:process "), contains=("longer than",))
    assert error.element_id


@pytest.mark.parametrize("what", ["process name", "file name", "form id"])
def test_long_names_are_refused_or_fit_their_columns(db, clock, what):
    if what == "process name":
        files = [src("named.bpmn", one_task("named").replace('id="named"', 'id="named" name="' + "n" * 250 + '"'))]
    elif what == "file name":
        files = [src("deep/" * 60 + "intake.bpmn", one_task())]
    else:
        form_id = "f" * 250
        files = [src("intake.bpmn", one_task(attrs=f'camunda:formRef="{form_id}"')), src("long.form", form(form_id))]
    before = snapshot(db)
    try:
        deploy(db, files)
    except DeploymentError as error:
        assert error.filename
        assert snapshot(db) == before
        return
    _assert_stored_strings_fit_their_columns(db)


# ------------------------------------------------------------------------------------ collect

def test_collect_picks_up_nested_model_files_with_relative_names(fixtures):
    folder = fixtures / "catalog" / "collect"
    files = collect([folder])
    assert sorted(f.filename for f in files) == ["forms/intake.form", "intake.bpmn", "rules/deep/choose_team.dmn"]
    for file in files:
        assert file.content == (folder / file.filename).read_bytes()
    # Present in the folder, but not model files.
    assert (folder / "README.md").exists() and (folder / "notes.txt").exists() and (folder / "rules" / "intake.bpmn.bak").exists()


def test_collected_nested_folder_deploys_with_relative_names(db, clock, fixtures):
    result = deploy(db, collect([fixtures / "catalog" / "collect"]))
    assert result.definitions == [("intake", 1, f"intake:1:{result.deployment_id}")]
    with db.reader() as session:
        assert sorted(session.scalars(select(models.DeploymentFile.filename))) == [
            "forms/intake.form", "intake.bpmn", "rules/deep/choose_team.dmn"]
        [form_row] = session.scalars(select(models.FormDefinition)).all()
        assert (form_row.form_id, form_row.filename) == ("intake_form", "forms/intake.form")


def test_collect_of_named_files_uses_their_names(fixtures):
    files = collect([fixtures / "engine" / "review.bpmn", fixtures / "engine" / "decision.form"])
    assert [f.filename for f in files] == ["review.bpmn", "decision.form"]
    assert files[0].content == (fixtures / "engine" / "review.bpmn").read_bytes()


def test_collect_accepts_strings_and_several_folders(fixtures):
    files = collect([str(fixtures / "engine"), fixtures / "catalog" / "collect"])
    assert len(files) == len(ENGINE_FILES) + 3
    assert {"review.bpmn", "rules/deep/choose_team.dmn"} <= {f.filename for f in files}


def test_collect_errors_on_a_missing_path(tmp_path):
    missing = tmp_path / "no" / "such" / "folder"
    with pytest.raises(DeploymentError) as caught:
        collect([missing])
    assert str(missing) in str(caught.value)


def test_collect_of_two_folders_with_the_same_relative_name_is_refused(db, deployed, tmp_path):
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "intake.bpmn").write_text(one_task(task_name=folder))
    files = collect([tmp_path / "one", tmp_path / "two"])
    assert [f.filename for f in files] == ["intake.bpmn", "intake.bpmn"]
    assert_refused(db, files, filename=None, contains=("intake.bpmn", "twice"))


# ------------------------------------------------------------------- the Camunda attributes

def test_parser_keeps_camunda_attributes_on_user_task_extensions():
    text = bpmn("p", """
        <bpmn:startEvent id="start" />
        <bpmn:userTask id="review_case" name="Review" camunda:formRef=" notes_form " camunda:candidateGroups=" team_manager , service_manager,, social_worker " camunda:dueDate="working_days_after(5)" camunda:assignee="alice">
          <bpmn:extensionElements>
            <camunda:properties>
              <camunda:property name="document" value="review_record" />
            </camunda:properties>
          </bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:userTask id="plain" name="Plain" />
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review_case" />
        <bpmn:sequenceFlow id="f2" sourceRef="review_case" targetRef="plain" />
        <bpmn:sequenceFlow id="f3" sourceRef="plain" targetRef="end" />
    """)
    specs, parsed_forms, form_files = parse([src("p.bpmn", text), src("notes.form", form("notes_form"))])

    assert set(specs) == {"p"}
    spec, subprocess_specs, filename = specs["p"]
    assert (subprocess_specs, filename) == ({}, "p.bpmn")
    extensions = spec.task_specs["review_case"].extensions
    assert extensions[FORM_REF] == "notes_form"
    assert extensions[CANDIDATE_GROUPS] == ["team_manager", "service_manager", "social_worker"]
    assert extensions[DUE_DATE] == "working_days_after(5)"
    assert extensions[ASSIGNEE] == "alice"
    assert extensions["document"] == "review_record"
    plain = spec.task_specs["plain"].extensions
    assert not any(key in plain for key in RESERVED_EXTENSION_KEYS)
    assert set(parsed_forms) == {"notes_form"} and form_files["notes_form"].filename == "notes.form"


def test_camunda_attributes_survive_deployment(db, clock):
    text = one_task(attrs='camunda:formRef="notes_form" camunda:candidateGroups="a, b" camunda:dueDate="days_after(3)"')
    result = deploy(db, [src("p.bpmn", text), src("notes.form", form("notes_form"))])
    with db.reader() as session:
        spec, _ = load_spec(session, result.definitions[0][2])
    extensions = spec.task_specs["check"].extensions
    assert (extensions[FORM_REF], extensions[CANDIDATE_GROUPS], extensions[DUE_DATE]) == ("notes_form", ["a", "b"], "days_after(3)")
    runtime.start(db, "intake", "CASE-1", {}, "tester")
    [task] = runtime.tasks(db, business_key="CASE-1")
    assert task.form_ref == "notes_form"
    assert task.candidate_groups == ["a", "b"]
    assert task.due_at is not None


@pytest.mark.parametrize("reserved", RESERVED_EXTENSION_KEYS)
def test_a_camunda_property_with_a_reserved_name_is_refused(db, deployed, reserved):
    text = bpmn("p", f"""
        <bpmn:startEvent id="start" />
        <bpmn:userTask id="review_case" name="Review">
          <bpmn:extensionElements>
            <camunda:properties>
              <camunda:property name="{reserved}" value="notes_form" />
            </camunda:properties>
          </bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review_case" />
        <bpmn:sequenceFlow id="f2" sourceRef="review_case" targetRef="end" />
    """)
    files = [src("p.bpmn", text), src("notes.form", form("notes_form"))]
    with pytest.raises(DeploymentError) as caught:
        parse(files)
    assert caught.value.element_id == "review_case"
    assert f"camunda:{reserved}" in str(caught.value)
    assert_refused(db, files, filename="p.bpmn", line=line_of(text, 'id="review_case"'), element_id="review_case",
                   contains=(reserved, "reserved"))


def test_the_same_files_under_another_deployment_name_make_no_new_versions(db, clock, engine_files):
    deploy(db, engine_files, name="first", actor="alice")
    other = deploy(db, engine_files, name="second", actor="bob")
    assert other.created is True
    assert other.definitions == [] and sorted(other.unchanged) == ENGINE_PROCESSES
