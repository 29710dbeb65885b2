"""SpiffWorkflow (de)serialization, split the way Stepwise stores it.

A workflow becomes: the spec (stored once per definition version), a small header (workflow and
subprocess attributes without tasks), and one JSON body per task. Each task body carries its
full data rather than SpiffWorkflow's delta against the parent, so a task row can be rewritten
alone when it changes without invalidating its children's rows.
"""
from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG
from SpiffWorkflow.task import Task

from engine.jsondata import NotPlain


def _task_fields(task: Task, internal_data, data) -> dict[str, Any]:
    return {
        "id": str(task.id),
        "parent": str(task._parent) if task._parent is not None else None,
        "children": [str(child) for child in task._children],
        "last_state_change": task.last_state_change,
        "state": task.state,
        "task_spec": task.task_spec.name,
        "triggered": task.triggered,
        "internal_data": internal_data,
        "data": data,
        "delta": {},
    }


class FullDataTaskConverter(TaskConverter):
    def to_dict(self, task):
        return _task_fields(task, self.registry.convert(task.internal_data),
                            self.registry.convert(self.registry.clean(task.data)))


class SpecReusingWorkflowConverter(BpmnWorkflowConverter):
    """Accepts already-restored spec objects, so a cached spec is not rebuilt on every load."""

    def from_dict(self, dct):
        spec = dct.pop("spec")
        if isinstance(spec, dict):
            spec = self.registry.restore(spec)
        subprocess_specs = {
            name: self.registry.restore(sub) if isinstance(sub, dict) else sub
            for name, sub in dct.pop("subprocess_specs", {}).items()
        }
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _config() -> dict:
    config = dict(CAMUNDA_CONFIG)
    config[ServiceTask] = BpmnTaskSpecConverter
    config[Task] = FullDataTaskConverter
    config[BpmnWorkflow] = SpecReusingWorkflowConverter
    return config


serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config()))
registry = serializer.registry


def spec_to_dict(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> dict[str, Any]:
    return {
        "spec": registry.convert(spec),
        "subprocess_specs": {name: registry.convert(sub) for name, sub in subprocess_specs.items()},
        "serializer_version": serializer.VERSION,
    }


def spec_from_dict(dct: dict[str, Any]) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    return (
        registry.restore(dct["spec"]),
        {name: registry.restore(sub) for name, sub in dct["subprocess_specs"].items()},
    )


def _registered(value):
    if value.__class__ in registry.typenames:
        return registry.convert(value)
    raise NotPlain


# Task data is nearly always plain JSON: json's C encoder writes it directly, asking the registry
# only for the values it converts (datetimes, UUIDs, ...), at a third of the cost of converting
# everything first. The answer is the registry's as long as no registered class is itself a JSON
# type, which json would write without asking (checked here).
_PLAIN_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_registered)
_TASK_TYPENAME = registry.typenames[Task]
_FAST = not any(issubclass(cls, (dict, list, tuple, str, int, float)) for cls in registry.typenames)


def task_body(task: Task) -> str:
    """One task as stored: the registry's conversion, as JSON."""
    if _FAST:
        fields = _task_fields(task, task.internal_data, task.data)
        fields["typename"] = _TASK_TYPENAME
        try:
            return _PLAIN_ENCODER.encode(fields)
        except NotPlain:
            pass  # the registry cleans what json cannot write (it drops callables, for one)
    return json.dumps(registry.convert(task), separators=(",", ":"))


def header(workflow: BpmnWorkflow) -> dict[str, Any]:
    """Workflow attributes other than tasks and specs (small; rewritten on every step)."""

    def attributes(wf) -> dict[str, Any]:
        return {
            "data": registry.convert(registry.clean(wf.data)),
            "correlations": wf.correlations,
            "last_task": str(wf.last_task.id) if wf.last_task is not None else None,
            "success": wf.success,
            "completed": wf.completed,
            "root": str(wf.task_tree.id),
        }

    top = attributes(workflow)
    top["subprocesses"] = {
        str(sub_id): {**attributes(sub), "parent_task_id": str(sub.parent_task_id), "spec": sub.spec.name}
        for sub_id, sub in workflow.subprocesses.items()
    }
    top["bpmn_events"] = registry.convert(workflow.bpmn_events)
    top["serializer_version"] = serializer.VERSION
    return top


def restore(
    head: dict[str, Any],
    task_rows: list[tuple[str, str, str]],
    spec: BpmnProcessSpec,
    subprocess_specs: dict[str, BpmnProcessSpec],
) -> BpmnWorkflow:
    """Rebuild a workflow from its header and (task id, workflow id, body) rows."""
    head = json.loads(json.dumps(head))  # the converters pop keys; never mutate the caller's copy
    head.pop("serializer_version", None)
    tasks: dict[str, dict[str, dict]] = {"": {}}
    for sub_id in head["subprocesses"]:
        tasks[sub_id] = {}
    for task_id, workflow_id, body in task_rows:
        tasks.setdefault(workflow_id, {})[task_id] = json.loads(body)
    head["tasks"] = tasks[""]
    for sub_id, sub in head["subprocesses"].items():
        sub["tasks"] = tasks.get(sub_id, {})
        sub["typename"] = "BpmnSubWorkflow"
    head["spec"] = spec
    head["subprocess_specs"] = dict(subprocess_specs)
    head["typename"] = "BpmnWorkflow"
    workflow = serializer.from_dict(head)
    connect_triggered(workflow)
    return workflow


def connect_triggered(workflow: BpmnWorkflow) -> None:
    """Wire each running event sub-process to its process's start and end, as SpiffWorkflow does on
    the spec object only when the event fires (`BpmnStartTask.trigger_wf`). A spec restored in
    another server process (or a new version, after a migration) never saw the event fire: without
    this the sub-process fails with "No input task connected" when it ends."""
    for wf in [workflow, *workflow.subprocesses.values()]:
        start = wf.spec.start
        triggers = getattr(start, "trigger_specs", None)
        if not triggers or wf.task_tree is None:
            continue
        for task in wf.task_tree.children:
            spec = task.task_spec
            if spec.name in triggers and start not in spec.inputs:
                start.connect(spec)
                spec.connect(wf.spec.end)
