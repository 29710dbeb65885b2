"""Every stored row of an instance, to show that a refused change left it exactly as it was."""
from __future__ import annotations

from sqlalchemy import func, select

from engine.store import models


def rows(db, instance_id: str) -> dict:
    human = models.HumanTask.__table__
    with db.reader() as session:
        def all_of(table, *where, order):
            return [tuple(r) for r in session.execute(select(table).where(*where).order_by(*order))]

        return {
            "instance": all_of(models.ProcessInstance.__table__, models.ProcessInstance.id == instance_id,
                               order=[models.ProcessInstance.id]),
            "workflow_tasks": all_of(models.WorkflowTask.__table__, models.WorkflowTask.instance_id == instance_id,
                                     order=[models.WorkflowTask.id]),
            "human_tasks": all_of(human, human.c.instance_id == instance_id, order=[human.c.id]),
            "roles": all_of(models.TaskRole.__table__, models.TaskRole.task_id.in_(
                select(human.c.id).where(human.c.instance_id == instance_id)), order=[models.TaskRole.task_id, models.TaskRole.role]),
            "drafts": all_of(models.TaskDraft.__table__, models.TaskDraft.task_id.in_(
                select(human.c.id).where(human.c.instance_id == instance_id)), order=[models.TaskDraft.task_id]),
            "subscriptions": all_of(models.MessageSubscription.__table__,
                                    models.MessageSubscription.instance_id == instance_id,
                                    order=[models.MessageSubscription.message_name]),
            "audit": session.scalar(select(func.count()).select_from(models.AuditEvent)),
        }
