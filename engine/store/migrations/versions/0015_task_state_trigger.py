"""human tasks: the database keeps role rows' task_open and drops drafts when a task's state changes

Closing a task used to be three statements from Python (the task row, its role rows' task_open,
its draft), in every step; repair had to reopen the role rows itself. A trigger on the task's
state does the other two inside the database, whoever changes the state, so the flag cannot
drift from the state it copies, and a step sends two statements fewer.

Revision ID: 0015_task_state_trigger
Revises: 0014_task_role_open
Create Date: 2026-12-04 03:00:00
"""
from alembic import op

revision = '0015_task_state_trigger'
down_revision = '0014_task_role_open'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER human_task_state_changed AFTER UPDATE OF state ON human_task "
            "FOR EACH ROW WHEN NEW.state IS NOT OLD.state BEGIN "
            "UPDATE human_task_role SET task_open = (NEW.state = 'open') WHERE task_id = NEW.id; "
            "DELETE FROM task_draft WHERE task_id = NEW.id AND NEW.state <> 'open'; "
            "END"
        )
    else:
        op.execute(
            "CREATE FUNCTION human_task_state_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE human_task_role SET task_open = (NEW.state = 'open') WHERE task_id = NEW.id; "
            "IF NEW.state <> 'open' THEN DELETE FROM task_draft WHERE task_id = NEW.id; END IF; "
            "RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER human_task_state_changed AFTER UPDATE OF state ON human_task "
            "FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION human_task_state_changed()"
        )
    # Until now Python kept both in step with the state; make sure they agree before the trigger takes over.
    op.execute("UPDATE human_task_role SET task_open = false WHERE task_open = true AND task_id IN "
               "(SELECT id FROM human_task WHERE state <> 'open')")
    op.execute("DELETE FROM task_draft WHERE task_id IN (SELECT id FROM human_task WHERE state <> 'open')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS human_task_state_changed")
    else:
        op.execute("DROP TRIGGER IF EXISTS human_task_state_changed ON human_task")
        op.execute("DROP FUNCTION IF EXISTS human_task_state_changed()")
