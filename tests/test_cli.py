"""The `stepwise` command, run as a real separate process for each step (restart safety)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from engine.store.db import Database


def stepwise(db: Database, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db.engine.url.render_as_string(hide_password=False)}
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, env=env, timeout=120)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_process_runs_across_fresh_processes(db, fixtures):
    db.dispose()  # the commands below are the only users of the database
    out = ok(stepwise(db, "deploy", str(fixtures / "engine")))
    assert "review version 1" in out
    assert "unchanged" in ok(stepwise(db, "deploy", str(fixtures / "engine")))

    ok(stepwise(db, "start", "review", "--business-key", "CLI-1", "--var", "source=school",
                "--case", json.dumps({"council": "halton", "children": [{"name": "Ava Example"}]})))
    tasks = json.loads(ok(stepwise(db, "tasks", "--role", "social_worker", "--json")))
    assert [t["element_id"] for t in tasks] == ["record_decision"]

    refused = stepwise(db, "complete", tasks[0]["id"], "--data", json.dumps({"decision": "nope"}))
    assert refused.returncode == 1 and "the form has errors" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    ok(stepwise(db, "complete", tasks[0]["id"], "--expected-version", "1",
                "--data", json.dumps({"decision": "step_down", "rationale": "needs reduced"})))
    stale = stepwise(db, "complete", "00000000-0000-0000-0000-000000000000", "--data", "{}")
    assert stale.returncode == 1 and "no task" in stale.stderr
    manager = json.loads(ok(stepwise(db, "tasks", "--role", "team_manager", "--json")))
    assert [t["element_id"] for t in manager] == ["approve"]


def test_worker_once_fires_timers_as_of_the_given_time(db, fixtures):
    db.dispose()
    ok(stepwise(db, "deploy", str(fixtures / "engine")))
    ok(stepwise(db, "start", "meeting", "--business-key", "CLI-2"))
    assert "fired 0" in ok(stepwise(db, "worker", "--once", "--now", "2026-01-01T00:00:00Z"))
    assert "fired 1" in ok(stepwise(db, "worker", "--once", "--now", "2099-01-01T00:00:00Z"))
    tasks = json.loads(ok(stepwise(db, "tasks", "--business-key", "CLI-2", "--json")))
    assert sorted(t["element_id"] for t in tasks) == ["escalate", "send_reminder"]


@pytest.mark.parametrize("args, message", [
    (("deploy", "/no/such/folder"), "no such file or folder"),
    (("start", "nothing", "--business-key", "X"), "no deployed process 'nothing'"),
    (("complete", "abc", "--data", "{not json"), "--data is not valid JSON"),
    (("start", "x", "--business-key", "X", "--var", "novalue"), "--var takes name=value"),
])
def test_errors_are_one_clear_line_and_non_zero(db, args, message):
    db.dispose()
    result = stepwise(db, *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
