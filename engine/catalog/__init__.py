"""Parse, check and version BPMN, DMN and Camunda Forms files as deployments."""
from .deploy import DeploymentError, DeployResult, SourceFile, collect, deploy
from .specs import definition_forms, latest_definition, load_spec

__all__ = [
    "DeploymentError",
    "DeployResult",
    "SourceFile",
    "collect",
    "deploy",
    "definition_forms",
    "latest_definition",
    "load_spec",
]
