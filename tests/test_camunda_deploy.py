"""`npx camunda-deploy` (the npm package that speaks Camunda Modeler's deploy protocol) deploys
`processes/` to a Stepwise served over real HTTP (waitress on a free port of 127.0.0.1), with HTTP
Basic and with a bearer API token, as process owners would from a terminal."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from waitress import create_server

from engine.catalog import collect
from engine.store import models
from engine.tasklist import accounts, create_app, tokens

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
CLI = ROOT / "node_modules" / "camunda-deploy" / "bin" / "cli.js"
GLOBS = ["processes/**/*.bpmn", "processes/**/*.dmn", "processes/**/*.form"]


@pytest.fixture
def served(db):
    """The whole app on a free port, in a thread, for as long as the test runs."""
    accounts.save_user(db, "admin.lee", "Lee Admin", ["admin"], password=PASSWORD)
    accounts.save_user(db, "sw.amira", "Amira Khan", ["social_worker"], password=PASSWORD)
    app = create_app({"DATABASE": db, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False})
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}/engine-rest"
    server.close()
    thread.join(timeout=10)


def camunda_deploy(url: str, *args: str, **auth: str) -> subprocess.CompletedProcess:
    assert CLI.exists(), "npm ci installs camunda-deploy (a devDependency in package.json)"
    assert shutil.which("npx"), "npx (Node.js) is needed for this test"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMUNDA_")}
    env.update({"CAMUNDA_URL": url, **{f"CAMUNDA_AUTH_{k.upper()}": v for k, v in auth.items()}})
    return subprocess.run(["npx", "--no-install", "camunda-deploy", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def counts(db) -> tuple[int, int]:
    with db.reader() as session:
        return (session.scalar(select(func.count()).select_from(models.Deployment)),
                session.scalar(select(func.count()).select_from(models.ProcessDefinition)))


def test_camunda_deploy_deploys_processes_with_basic_auth_then_finds_nothing_changed(db, served):
    done = camunda_deploy(served, "-n", "stepwise", "-S", "camunda-deploy", "--json", *GLOBS,
                          username="admin.lee", password=PASSWORD)
    assert done.returncode == 0, done.stderr + done.stdout
    deployed = json.loads(done.stdout)["processDefinitions"]
    keys = {d["key"] for d in deployed}
    assert "north_somerset_step_down" in keys and all(d["version"] == 1 for d in deployed)
    with db.reader() as session:
        (deployment,) = session.scalars(select(models.Deployment))
        files = set(session.scalars(select(models.DeploymentFile.filename)))
        stored_keys = set(session.scalars(select(models.ProcessDefinition.key)))
    assert (deployment.name, deployment.source, deployment.deployed_by) == ("stepwise", "camunda-deploy", "admin.lee")
    # Every file of processes/ arrived, under its path (several councils have a step_down.bpmn).
    assert files == {"processes/" + f.filename for f in collect([ROOT / "processes"])}
    assert stored_keys == keys
    again = camunda_deploy(served, "-n", "stepwise", "-S", "camunda-deploy", "--json", *GLOBS,
                           username="admin.lee", password=PASSWORD)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {} and counts(db) == (1, len(keys))


def test_camunda_deploy_with_a_bearer_token_and_its_refusals(db, served):
    _info, token = tokens.create(db, "admin.lee", "camunda-deploy in CI", "admin.lee")
    done = camunda_deploy(served, "-n", "north-somerset", "processes/{north_somerset,common}/**/*.{bpmn,dmn,form}",
                          bearer=token)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "artifacts deployed" in done.stdout
    before = counts(db)
    # A social worker may not deploy; a wrong password is a 401: the CLI fails with the server's message.
    worker = camunda_deploy(served, "-n", "x", *GLOBS, username="sw.amira", password=PASSWORD)
    assert worker.returncode == 1 and "role 'admin'" in worker.stderr
    wrong = camunda_deploy(served, "-n", "x", *GLOBS, username="admin.lee", password="nope")
    assert wrong.returncode == 1 and "wrong password" in wrong.stderr
    assert counts(db) == before
