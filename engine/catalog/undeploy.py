"""Delete a deployment: its files, forms and definition versions, and (only when asked) the
instances started on them.

Without `cascade` a deployment that any instance was started on is refused, finished ones
included: Stepwise keeps a case's history (its instances are what the case page, the reports
and the documents point to). With `cascade` the instances go too, in the same transaction;
the audit trail and the documents stay (both are append-only), and the deletion is audited.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select

from engine import clock
from engine.store import models
from engine.store.db import Database

_INSTANCES = models.ProcessInstance.__table__
_DEFINITIONS = models.ProcessDefinition.__table__


class DeploymentInUse(Exception):
    def __init__(self, message: str, running: int, finished: int):
        super().__init__(message)
        self.running, self.finished = running, finished


class NoSuchDeployment(LookupError):
    pass


@dataclass(frozen=True)
class Undeployed:
    deployment_id: str
    definitions: list[str]
    instances: int


def undeploy(db: Database, deployment_id: str, actor: str, *, cascade: bool = False) -> Undeployed:
    with db.transaction() as session:
        deployment = session.get(models.Deployment, deployment_id, with_for_update=not db.is_sqlite)
        if deployment is None:
            raise NoSuchDeployment(f"Deployment with id '{deployment_id}' does not exist")
        definitions = list(session.scalars(select(_DEFINITIONS.c.id).where(_DEFINITIONS.c.deployment_id == deployment_id)))
        running, finished = (session.scalar(select(func.count()).select_from(_INSTANCES).where(
            _INSTANCES.c.definition_id.in_(definitions), condition)) or 0
            for condition in (_INSTANCES.c.ended_at.is_(None), _INSTANCES.c.ended_at.is_not(None)))
        if (running or finished) and not cascade:
            raise DeploymentInUse(
                f"Deployment '{deployment.name}' ({deployment_id}) has {running} running and {finished} finished "
                "process instances: delete them with it by cascade=true, or leave the deployment", running, finished)
        # Instances first (their tasks, drafts, subscriptions and incidents follow by ON DELETE CASCADE).
        session.execute(delete(models.ProcessInstance).where(models.ProcessInstance.definition_id.in_(definitions)))
        # Core, not session.delete: its files, forms and definitions go by ON DELETE CASCADE.
        session.execute(delete(models.Deployment).where(models.Deployment.id == deployment_id))
        session.add(models.AuditEvent(at=clock.now(), actor=actor, action="deployment.deleted", details={
            "deployment_id": deployment_id, "name": deployment.name, "definitions": definitions,
            "instances_deleted": running + finished, "cascade": cascade}))
        return Undeployed(deployment_id, definitions, running + finished)
