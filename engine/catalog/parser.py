"""The Camunda parser, taught the Camunda 7 attributes Stepwise relies on."""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser
from SpiffWorkflow.bpmn.specs.defaults import CallActivity, EventSubprocess
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS, SubWorkflowParser, UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask

from .external_task import ServiceTaskParser

# Keys these attributes take in `task_spec.extensions`, beside the `camunda:property` values.
FORM_REF = "formRef"
CANDIDATE_GROUPS = "candidateGroups"
DUE_DATE = "dueDate"
ASSIGNEE = "assignee"
RESERVED_EXTENSION_KEYS = (FORM_REF, CANDIDATE_GROUPS, DUE_DATE, ASSIGNEE)


def _camunda(name: str) -> str:
    return "{%s}%s" % (CAMUNDA_MODEL_NS, name)


class StepwiseUserTaskParser(UserTaskParser):
    """Keeps `camunda:formRef`, `candidateGroups`, `dueDate` and `assignee` in the task's extensions.

    SpiffWorkflow's Camunda parser drops them; `extensions` survives serialization unchanged,
    so the runtime finds them on the live task spec.
    """

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        for name in RESERVED_EXTENSION_KEYS:
            if name in extensions:
                self.raise_validation_exception(f"camunda:property '{name}' is reserved; use the camunda:{name} attribute")
        attributes = self.node.attrib
        if (form_ref := attributes.get(_camunda("formRef"))):
            extensions[FORM_REF] = form_ref.strip()
        if (groups := attributes.get(_camunda("candidateGroups"))):
            extensions[CANDIDATE_GROUPS] = [g.strip() for g in groups.split(",") if g.strip()]
        if (due := attributes.get(_camunda("dueDate"))):
            extensions[DUE_DATE] = due.strip()
        if (assignee := attributes.get(_camunda("assignee"))):
            extensions[ASSIGNEE] = assignee.strip()
        return extensions


class StepwiseSubprocessParser(SubWorkflowParser):
    """The Camunda parser treats an event sub-process as an ordinary embedded one, so it never
    starts; an event sub-process is how every procedure's safeguarding override is drawn."""

    def create_task(self):
        subworkflow_spec = SubprocessParser.get_subprocess_spec(self)
        spec_class = EventSubprocess if self.node.get("triggeredByEvent") == "true" else self.spec_class
        return spec_class(self.spec, self.bpmn_id, subworkflow_spec=subworkflow_spec, **self.bpmn_attributes)


class StepwiseParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (StepwiseUserTaskParser, UserTask),
        full_tag("subProcess"): (StepwiseSubprocessParser, CallActivity),
        # camunda:type="external" service tasks wait for another system (engine.catalog.external_task)
        full_tag("serviceTask"): (ServiceTaskParser, ServiceTask),
    }

    def __init__(self):
        super().__init__(validator=BpmnValidator())
