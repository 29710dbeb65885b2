"""Camunda 7's external task pattern: `<bpmn:serviceTask camunda:type="external" camunda:topic="...">`.

In Camunda 7 such a task waits until an external system fetches and completes it. This parser
gives external ones their own spec, which *waits* (SpiffWorkflow leaves a task whose run returns
None in the STARTED state, and engine steps never pick a STARTED task up again). The runtime
completes it (`engine.runtime.external_tasks.complete_external_task`), e.g. from an inbound webhook.

Every other service task (`camunda:class`, `delegateExpression`, `expression`, a connector)
names Java code Stepwise cannot call, or names nothing; SpiffWorkflow's plain spec would be left
STARTED just the same, with nothing ever to complete it, so such tasks are refused at deployment.

The topic is kept in `extensions` (beside the `camunda:property` values), which survives
serialization unchanged, so the spec's converter is the plain task spec one; it is registered with
Stepwise's serializer here (the parser imports this module, so any deployed spec that holds an
external task was made after the registration).
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.parser.util import BPMN_MODEL_NS
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS, CamundaTaskParser

from engine import serializer

TOPIC = "topic"
EXTERNAL = "external"


class ExternalTask(ServiceTask):
    """A service task another system completes; it waits in the STARTED state until then."""

    @property
    def topic(self) -> str:
        return self.extensions[TOPIC]

    def _run_hook(self, my_task):
        return None  # wait: SpiffWorkflow marks the task STARTED


BpmnTaskSpecConverter(ExternalTask, serializer.registry)


def _implementation(node) -> str:
    """How a non-external service task says it is carried out, in the modeller's words."""
    for name in ("class", "delegateExpression", "expression", "type"):
        if (value := node.get("{%s}%s" % (CAMUNDA_MODEL_NS, name))) is not None:
            return f'camunda:{name}="{value}"'
    if node.find("{%s}extensionElements/{%s}connector" % (BPMN_MODEL_NS, CAMUNDA_MODEL_NS)) is not None:
        return "a camunda:connector"
    return "no implementation"


class ServiceTaskParser(CamundaTaskParser):
    """External service tasks become `ExternalTask`s, keeping their `camunda:property` values;
    any other service task is refused, since nothing in Stepwise would ever run it."""

    def create_task(self):
        attributes = self.node.attrib
        kind = attributes.get("{%s}type" % CAMUNDA_MODEL_NS)
        if kind != EXTERNAL:
            self.raise_validation_exception(
                f"a service task with {_implementation(self.node)} cannot run in Stepwise (it would wait for ever): "
                'use camunda:type="external" with a camunda:topic for work another system does, '
                "or a script task for a calculation")
        topic = (attributes.get("{%s}topic" % CAMUNDA_MODEL_NS) or "").strip()
        if not topic:
            self.raise_validation_exception('an external service task (camunda:type="external") needs a camunda:topic')
        task = ExternalTask(self.spec, self.bpmn_id, **self.bpmn_attributes)
        return task

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        if self.node.attrib.get("{%s}type" % CAMUNDA_MODEL_NS) == EXTERNAL:
            if TOPIC in extensions:
                self.raise_validation_exception("camunda:property 'topic' is reserved; use the camunda:topic attribute")
            extensions[TOPIC] = self.node.attrib["{%s}topic" % CAMUNDA_MODEL_NS].strip()
        return extensions


def is_external(task_spec) -> bool:
    return isinstance(task_spec, ExternalTask)
