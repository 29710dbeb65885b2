"""Page benchmark: how long the task list's pages take to render with 10,000 instances.

What it measures
- The North Somerset and common procedures are deployed; three social workers' cases are started
  through the runtime (so their task pages and case pages are the real thing); then 10,000 more
  instances of the same definition are bulk-inserted with SQLAlchemy Core (as bench/engine.py
  does): a case with a child per instance, 5 task-list rows each (the procedure's real user task
  ids, lanes and forms, ~60 % closed, due dates from 30 days ago to 60 days ahead) and 3 audit
  rows per task, so the case page's timeline and the audit table are as large as they would be.
- Over Flask's test client, signed in as a social worker (a real session, a real CSRF-protected
  sign-in): `GET /` (assigned to me), `GET /?tab=unassigned`, `GET /?tab=all`, `GET /tasks/<id>`
  (the task's Camunda Form rendered, the case summary beside it; audited) and `GET /cases/<key>`
  (case, instances, diagram, the newest 25 timeline rows; audited); and, signed in as a team manager
  of the "north" locality, `GET /?tab=unassigned` (their teams' tasks). Each page is requested `--runs` times after
  warm-up; p50 and p95 in ms (time.perf_counter around the request, response body read).

Run (from the project root, venv active):
    python bench/pages.py                    # SQLite in a temporary directory
    python bench/pages.py --quick            # 2,000 instances, fewer runs
    python bench/pages.py --database-url postgresql+psycopg://stepwise:stepwise@127.0.0.1:5432/stepwise_bench
        # DROPS AND RECREATES THAT DATABASE'S SCHEMA public
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sqlalchemy import insert, select, text  # noqa: E402 (imports after the path fix)

from engine import runtime, store  # noqa: E402
from engine.catalog import collect, deploy  # noqa: E402
from engine.store import models  # noqa: E402
from engine.tasklist import accounts, create_app  # noqa: E402
sys.path.append(str(Path(__file__).resolve().parent))  # for benchlib, now that `engine` is imported
from benchlib import fresh_database  # noqa: E402

KEY = "north_somerset_step_down"
PASSWORD = "bench-password"
DAY = timedelta(days=1)
# (element id, name, lane, form) of the procedure's user tasks, in order
STEPS = [
    ("propose_step_down", "Propose step-down to FWB intensive family support", "social_worker", "ns_propose_step_down"),
    ("tm_agree_step_down", "Agree step-down suits the level of need", "team_manager", "ns_tm_agree_step_down"),
    ("seek_consent", "Discuss the offer with the family and ask consent", "social_worker", "ns_seek_consent"),
    ("book_slot", "Contact the locality support leader to book the step-down slot", "social_worker", "ns_book_slot"),
    ("conversation_outcome", "Step-down conversation: record the outcome", "support_leader", "ns_conversation_outcome"),
    ("arrange_meeting", "Arrange the step-down meeting and send invites", "social_worker", "ns_arrange_meeting"),
    ("record_meeting", "Record the step-down meeting, plan and family plan", "social_worker", "ns_record_meeting"),
]


def seed(db: store.Database, instances: int, seed: int = 20261123) -> int:
    """Bulk-insert `instances` step-down instances with cases, people, task rows, roles and audit rows."""
    rng = random.Random(seed)
    with db.reader() as session:
        definition_id = session.scalar(select(models.ProcessDefinition.id).where(models.ProcessDefinition.key == KEY)
                                       .order_by(models.ProcessDefinition.version.desc()).limit(1))
        first_case = (session.scalar(select(models.Case.id).order_by(models.Case.id.desc()).limit(1)) or 0) + 1
    now = datetime.now(timezone.utc)
    cases, people, rows, tasks, roles, audit = [], [], [], [], [], []
    for n in range(instances):
        case_id, key = first_case + n, f"NS-B{n:06d}"
        started = now - (20 + 70 * rng.random()) * DAY
        finished = rng.random() < 0.3
        instance_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        cases.append({"id": case_id, "business_key": key, "council": "north_somerset", "address": f"{n} High Street",
                      "locality": ("north", "east", "south")[n % 3], "created_at": started})
        people.append({"case_id": case_id, "role": "child", "name": f"Child {n}", "date_of_birth": "2016-03-14"})
        rows.append({"id": instance_id, "definition_id": definition_id, "case_id": case_id, "business_key": key,
                     "state": "completed" if finished else "running", "version": 6, "header": {}, "next_timer_due": None,
                     "started_at": started, "started_by": "sw.bench", "ended_at": now if finished else None})
        audit.append({"at": started, "actor": "sw.bench", "action": "instance.started", "business_key": key,
                      "instance_id": instance_id, "task_id": None, "details": {"process": KEY}})
        closed = 5 if finished else int(rng.random() * 5)
        for step in range(5):
            element, name, lane, form = STEPS[step]
            task_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            created = started + step * 4 * DAY
            done = step < closed
            assignee = f"sw.user{int(rng.random() * 200)}" if done or rng.random() < 0.3 else None
            tasks.append({"id": task_id, "instance_id": instance_id, "business_key": key, "process_key": KEY,
                          "element_id": element, "name": name, "lane": lane, "candidate_groups": [], "form_ref": form,
                          "properties": {}, "state": "completed" if done else "open", "assignee": assignee,
                          "created_at": created, "due_at": None if rng.random() < 0.15 else now + (90 * rng.random() - 30) * DAY,
                          "completed_at": created + 2 * DAY if done else None, "completed_by": assignee if done else None})
            roles.append({"task_id": task_id, "role": lane, "task_open": not done})
            audit.append({"at": created, "actor": "engine", "action": "task.created", "business_key": key,
                          "instance_id": instance_id, "task_id": task_id, "details": {"name": name}})
            if done:
                audit.append({"at": created + DAY, "actor": assignee, "action": "task.claimed", "business_key": key,
                              "instance_id": instance_id, "task_id": task_id, "details": {}})
                audit.append({"at": created + 2 * DAY, "actor": assignee, "action": "task.completed", "business_key": key,
                              "instance_id": instance_id, "task_id": task_id, "details": {"name": name}})
            if not done:
                break  # the procedure waits at its first open task
    with db.engine.begin() as connection:
        for table, values in ((models.Case, cases), (models.CasePerson, people), (models.ProcessInstance, rows),
                              (models.HumanTask, tasks), (models.TaskRole, roles), (models.AuditEvent, audit)):
            for chunk in range(0, len(values), 5000):
                connection.execute(insert(table), values[chunk:chunk + 5000])
        if not db.is_sqlite:
            connection.execute(text("ANALYZE"))
    db.optimize()  # SQLite: what `stepwise worker` runs at start and hourly (engine/store/db.py)
    return len(tasks)


def signed_in(app, username: str):
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def timed(client, path: str, runs: int, warm: int = 3) -> tuple[float, float, float]:
    """p50 and p95 wall-clock ms, and p95 CPU ms of this thread: on a shared machine the wall time
    includes waiting for a core, the CPU time is the page's own cost."""
    for _ in range(warm):
        assert client.get(path).status_code == 200, path
    times, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.thread_time()
        response = client.get(path)
        response.get_data()
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.thread_time() - began_cpu) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    cpu.sort()
    p95 = min(len(times) - 1, int(round(0.95 * (len(times) - 1))))
    return statistics.median(times), times[p95], cpu[p95]


def run(url: str | None, instances: int, runs: int) -> list[tuple[str, float, float]]:
    with tempfile.TemporaryDirectory() as workdir:
        db = fresh_database(url, Path(workdir) / "pages.db")
        try:
            deploy(db, collect([ROOT / "processes" / "north_somerset", ROOT / "processes" / "common"]), name="bench", actor="bench")
            accounts.save_user(db, "sw.bench", "Bench Worker", ["social_worker"], password=PASSWORD, team="CIN")
            # A team manager for the "north" locality (a third of the bulk cases): sees the team's tasks.
            accounts.save_user(db, "tm.bench", "Bench Manager", ["team_manager"], password=PASSWORD, team="CIN",
                               locality="north")
            real = []
            for n in range(3):
                outcome = runtime.start(db, KEY, f"NS-REAL-{n}", {}, "sw.bench",
                                        case={"council": "north_somerset", "children": [{"name": f"Real Child {n}"}]})
                real.append(runtime.tasks(db, instance_id=outcome.instance_id)[0])
            began = time.perf_counter()
            task_rows = seed(db, instances)
            print(f"seeded {instances:,} instances, {task_rows:,} task rows in {time.perf_counter() - began:.1f} s",
                  file=sys.stderr)
            app = create_app({"DATABASE": db, "SECRET_KEY": "bench", "SESSION_COOKIE_SECURE": False})
            client = signed_in(app, "sw.bench")
            manager = signed_in(app, "tm.bench")
            pages = [("task list: assigned to me", "/"), ("task list: my teams' unassigned", "/?tab=unassigned"),
                     ("task list: all I can see", "/?tab=all"), ("task list: all, overdue, page 3", "/?tab=all&due=overdue&page=3"),
                     ("task page (form, case summary)", f"/tasks/{real[0].id}"),
                     ("case page (diagram, timeline)", f"/cases/{real[0].business_key}"),
                     ("case page of a bulk-inserted case", "/cases/NS-B000007")]
            results = [(name, *timed(client, path, runs)) for name, path in pages]
            return results + [("task list: my teams' unassigned, as a team manager", *timed(manager, "/?tab=unassigned", runs))]
        finally:
            db.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--instances", type=int)
    parser.add_argument("--runs", type=int)
    args = parser.parse_args(argv)
    instances = args.instances or (2000 if args.quick else 10_000)
    runs = args.runs or (20 if args.quick else 100)
    results = run(args.database_url, instances, runs)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"| page ({backend}, {instances:,} instances, signed in, Flask test client) | p50 ms | p95 ms | p95 CPU ms |")
    print("|---|---:|---:|---:|")
    for name, p50, p95, cpu in results:
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {cpu:.1f} |")
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n_CPython {platform.python_version()}, {platform.machine()}; {runs} requests per page; load average {load} at the end; "
          f"`python bench/pages.py{' --database-url ...' if args.database_url else ''}`_")
    slow = [name for name, _, p95, _ in results if p95 >= 100]
    if slow:
        print(f"over 100 ms at p95: {', '.join(slow)}", file=sys.stderr)


if __name__ == "__main__":
    main()
