"""How a task is stored: `serializer.task_body` writes exactly what SpiffWorkflow's registry
would, whatever the task's data holds (its fast path hands the JSON encoder the data as it is)."""
from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import given, settings, strategies as st
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine import expressions, serializer
from engine.catalog.parser import StepwiseParser

CHAIN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="a" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="a" />
    <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _parsed():
    parser = StepwiseParser()
    parser.add_bpmn_str(CHAIN, filename="p.bpmn")
    return parser.get_spec("p"), parser.get_subprocess_specs("p")


SPECS = _parsed()


def _task(data, internal=None):
    """The waiting user task of a new instance, holding `data`: a task of its own per example, so
    that no example sees what an earlier one left behind."""
    workflow = BpmnWorkflow(*SPECS, script_engine=expressions.script_engine())
    workflow.do_engine_steps()
    task = next(t for t in workflow.tasks.values() if t.task_spec.name == "a")
    task.data, task.internal_data = data, internal if internal is not None else {}
    return task


def _registry_body(task) -> str:
    return json.dumps(serializer.registry.convert(task), separators=(",", ":"))


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
    st.datetimes(timezones=st.sampled_from([None, timezone.utc])), st.uuids(),
    st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=3)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
        st.dictionaries(st.integers(), inner, max_size=2),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(st.text(max_size=10), values, max_size=6),
       internal=st.dictionaries(st.text(max_size=6), values, max_size=2))
def test_a_task_body_is_what_the_registry_writes(data, internal):
    task = _task(data, internal)
    assert serializer.task_body(task) == _registry_body(task)


def test_plain_data_takes_the_fast_path(monkeypatch):
    # Without this, the equality above would hold as well if the fast path were never taken.
    assert serializer._FAST, "a registered class is a JSON type: every task body goes through the registry"
    task = _task({"child": {"name": "A", "age": 7, "flags": [True, None, 1.5]}}, {"seen": ["x"]})
    expected = _registry_body(task)

    def no_registry_for_tasks(value):
        raise AssertionError("plain task data went through the registry")

    monkeypatch.setattr(serializer.registry, "convert", no_registry_for_tasks)
    assert serializer.task_body(task) == expected


def test_values_json_cannot_write_take_the_registrys_way():
    # The registry drops callables from task data (at any depth) and converts what it knows;
    # json alone would fail on every one of these.
    for data in ({"f": len, "x": 1}, {"nested": {"f": print, "when": datetime(2026, 12, 4, tzinfo=timezone.utc)}},
                 {"id": UUID(int=7), "wait": timedelta(days=2)}, {"nan": math.nan}):
        task = _task(data)
        assert serializer.task_body(task) == _registry_body(task)
    task = _task({"tags": {"a", "b"}})  # a set is not JSON in either way
    for body in (serializer.task_body, _registry_body):
        with pytest.raises(TypeError):
            body(task)
