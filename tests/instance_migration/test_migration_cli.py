"""`stepwise migrate`, run as a separate process like a person at a terminal would."""
from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from engine.store import models

from . import versions as v


def stepwise(db, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db.engine.url.render_as_string(hide_password=False)}
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, env=env, timeout=120)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_migrate_previews_then_applies(db, clock, tmp_path):
    folder = v.copy_processes(tmp_path)
    v.deploy_folder(db, folder)
    waiting = v.start(db, "U-SIGN")
    v.closing_plan(db, "U-SIGN")
    v.rename_and_add_check(folder)
    v.deploy_folder(db, folder)
    db.dispose()

    out = ok(stepwise(db, "migrate", v.KEY, "--from", "1", "--to", "2"))
    assert f"{v.KEY}: version 1 -> 2, 1 running instance(s)" in out
    assert any(line.startswith(waiting.instance_id) and "signposting" in line and "bpmn_name" in line
               for line in out.splitlines())
    assert "1 can migrate, 0 cannot" in out and "nothing changed" in out
    with db.reader() as session:
        assert session.scalar(select(models.ProcessInstance.definition_id)).startswith(f"{v.KEY}:1:")

    out = ok(stepwise(db, "--actor", "admin.lee", "migrate", v.KEY, "--from", "1", "--to", "2", "--apply"))
    assert f"migrated {waiting.instance_id} (U-SIGN) to version 2" in out and "1 migrated, 0 left" in out
    with db.reader() as session:
        assert session.scalar(select(models.ProcessInstance.definition_id)).startswith(f"{v.KEY}:2:")
        assert session.scalar(select(models.AuditEvent.actor).where(models.AuditEvent.action == "instance.migrated")) == "admin.lee"

    refused = stepwise(db, "migrate", v.KEY, "--from", "1", "--to", "9")
    assert refused.returncode == 1 and refused.stderr.strip() == f"stepwise migrate: no deployed process '{v.KEY}' version 9"
    same = stepwise(db, "migrate", v.KEY, "--from", "2", "--to", "2")
    assert same.returncode == 1 and "the two versions are the same" in same.stderr
