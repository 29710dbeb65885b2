"""Reports benchmark: each report (engine/reports) over 100,000 process instances.

What it does
1. A fresh database (SQLite in a temporary directory, or --database-url: ITS SCHEMA public IS
   DROPPED AND RECREATED), migrated to head.
2. Rows bulk-inserted with SQLAlchemy Core, a realistic mix over two years (2026-2027):
   40,000 cases in 5 councils x 4 teams; 100,000 instances, half step-downs (the five councils'
   keys, so the tray configuration applies) and half step-ups; 85 % completed, 12 % running,
   2 % with an incident, 1 % cancelled; the audit rows the runtime writes (instance.started,
   task.completed of the tray's decision and allocation elements and of another task,
   instance.completed); report facts (consent on 80 %, the end event of each completed instance,
   a route on 30 % of step-downs); a human task per completed task (the tray reads their
   completions) and one more open while the instance runs (lanes include managers and front_door,
   half with due dates); a front-door referral on 5 %; open and resolved incidents. Then ANALYZE
   (planner statistics), as autovacuum or `PRAGMA optimize` would gather them.
3. Each report over the two years, no council filter, then with a council and team filter: one
   untimed run, then 5 (3 with --quick): the median and fastest wall time and the median CPU
   time of this process. Then each tab of the reports page (GET /reports/NAME through Flask's test
   client, signed in as a team manager) the same way. Prints Markdown tables.

Run (from the project root, venv active):
    python bench/reports.py                 # SQLite
    python bench/reports.py --database-url postgresql://stepwise:stepwise@127.0.0.1:5432/stepwise_bench
    python bench/reports.py --instances 20000 --quick
    python bench/reports.py --sqlite-file var/bench-reports.db   # kept; a second run reuses it
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import sqlalchemy  # noqa: E402
from sqlalchemy import text  # noqa: E402

from engine import clock, reports  # noqa: E402
from engine.reports import Filters  # noqa: E402
from engine.reports.config import DEFAULT  # noqa: E402
from engine.store import models  # noqa: E402
from engine.store.db import Database  # noqa: E402
sys.path.append(str(Path(__file__).resolve().parent))  # for benchlib, now that `engine` is imported
from benchlib import fresh_database  # noqa: E402

COUNCILS = ["north_somerset", "halton", "shropshire", "swindon", "warwickshire"]
TEAMS = ["north", "south", "east", "west"]
STEP_DOWNS = {"north_somerset": "north_somerset_step_down", "halton": "halton_step_down",
              "shropshire": "shropshire_step_down", "swindon": "swindon_step_down", "warwickshire": "warwickshire_step_down"}
STEP_UPS = {"north_somerset": "swindon_step_up", "halton": "halton_planned_step_up", "shropshire": "warwickshire_step_up",
            "swindon": "swindon_step_up", "warwickshire": "warwickshire_step_up"}
DOWN_ENDS = ["end_stepped_down", "end_signposted", "end_universal", "end_not_agreed", "end_consent_refused",
             "end_sbc_early_help", "end_intensive_support"]
UP_ENDS = ["end_stepped_up", "end_s17_cin", "end_s47_cp", "end_advice", "end_single_agency", "end_locality_panel"]
LANES = ["social_worker", "team_manager", "front_door", "early_help_manager", "lead_professional", "support_leader"]
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOW = datetime(2028, 1, 15, 12, tzinfo=timezone.utc)


def seed(db: Database, instances: int, rng: random.Random) -> dict[str, int]:
    t = {name: models.Base.metadata.tables[name] for name in (
        "deployment", "process_definition", "case_record", "process_instance", "human_task", "human_task_role",
        "audit_event", "report_fact", "incident")}
    counts = dict.fromkeys(t, 0)
    with db.engine.begin() as conn:
        _insert(conn, t["deployment"], [{"id": "d1", "name": "bench", "source": "bench", "content_hash": "x",
                                          "deployed_at": START, "deployed_by": "bench", "sequence": 1}], counts)
        keys = sorted(set(STEP_DOWNS.values()) | set(STEP_UPS.values()))
        _insert(conn, t["process_definition"], [
            {"id": f"{k}:1:d1", "key": k, "version": 1, "name": k, "deployment_id": "d1", "resource": f"{k}.bpmn",
             "content_hash": "x", "spec": {}, "created_at": START} for k in keys], counts)
        n_cases = max(1, instances * 2 // 5)
        cases = [(i + 1, COUNCILS[i % 5], TEAMS[(i // 5) % 4]) for i in range(n_cases)]
        _insert(conn, t["case_record"], [{"id": cid, "business_key": f"C-{cid:06d}", "council": council,
                                          "locality": team, "address": None, "created_at": START}
                                         for cid, council, team in cases], counts)
        batch: dict[str, list] = {name: [] for name in t}

        def flush(force=False):
            if not force and all(len(rows) < 20_000 for rows in batch.values()):
                return
            for name in ("process_instance", "human_task", "human_task_role", "audit_event", "report_fact", "incident"):
                if batch[name]:  # in foreign-key order
                    _insert(conn, t[name], batch[name], counts)
                    batch[name] = []

        span = (datetime(2027, 12, 31, tzinfo=timezone.utc) - START).total_seconds()
        for n in range(instances):
            cid, council, team = cases[rng.randrange(n_cases)]
            bkey = f"C-{cid:06d}"
            down = n % 2 == 0
            key = STEP_DOWNS[council] if down else STEP_UPS[council]
            iid = str(uuid.UUID(int=rng.getrandbits(128)))
            started = START + timedelta(seconds=rng.random() * span)
            roll = rng.random()
            state = "completed" if roll < 0.85 else "running" if roll < 0.97 else "incident" if roll < 0.99 else "cancelled"
            ended = started + timedelta(days=rng.randint(1, 60)) if state in ("completed", "cancelled") else None
            batch["process_instance"].append({
                "id": iid, "definition_id": f"{key}:1:d1", "case_id": cid, "business_key": bkey, "state": state,
                "version": 3, "header": {}, "next_timer_due": None, "started_at": started, "started_by": "bench",
                "ended_at": ended})

            def audit(action, at, **details):
                batch["audit_event"].append({"at": at, "actor": "bench", "action": action, "business_key": bkey,
                                             "instance_id": iid, "task_id": None, "details": details})

            def fact(name, at, value, field=None):
                batch["report_fact"].append({"at": at, "instance_id": iid, "business_key": bkey, "process_key": key,
                                             "task_id": None, "element_id": None, "name": name, "field": field,
                                             "value": value})

            audit_start = len(batch["audit_event"])
            audit("instance.started", started, process_key=key)
            first = started + timedelta(hours=rng.randint(1, 48))
            if down:
                decisions, allocations = DEFAULT.tray[key]
                audit("task.completed", first, element_id=decisions[0], name="decision", fields=["tm_decision"])
                if rng.random() < 0.6:
                    audit("task.completed", first + timedelta(days=rng.randint(0, 40)), element_id=allocations[0],
                          name="allocation", fields=[])
                if rng.random() < 0.3:
                    fact("route", first, rng.choice(["universal", "early_help_brokerage", "intensive_support"]), "route")
            else:
                audit("task.completed", first, element_id="screening", name="screening", fields=["screening_outcome"])
            audit("task.completed", first + timedelta(hours=2), element_id="other_task", name="other", fields=["notes"])
            if rng.random() < 0.8:
                fact("consent", first, rng.choices(["given", "refused", "not_sought_risk"], [70, 15, 15])[0], "consent")
            if state == "completed":
                audit("instance.completed", ended)
                fact("outcome", ended, rng.choice(DOWN_ENDS if down else UP_ENDS))
            open_now = state in ("running", "incident")
            # The completed tasks behind the audit rows above (the tray is read from human_task),
            # then one more, open while the instance runs.
            done = [(e["details"]["element_id"], e["at"]) for e in batch["audit_event"][audit_start:]
                    if e["action"] == "task.completed"]
            for index, (element, completed) in enumerate(done + [("task_open", None)]):
                tid = str(uuid.UUID(int=rng.getrandbits(128)))
                lane = rng.choice(LANES)
                is_open = completed is None
                if is_open and not open_now:
                    break
                created = (completed or first) - timedelta(hours=1)
                batch["human_task"].append({
                    "id": tid, "instance_id": iid, "business_key": bkey, "process_key": key, "element_id": element,
                    "name": f"Task {index}", "lane": lane, "candidate_groups": [lane], "form_ref": None, "properties": {},
                    "state": "open" if is_open else "completed", "assignee": None, "created_at": created,
                    "due_at": created + timedelta(days=rng.randint(1, 20)) if rng.random() < 0.5 else None,
                    "completed_at": completed, "completed_by": None if is_open else "bench"})
                batch["human_task_role"].append({"task_id": tid, "role": lane, "task_open": is_open})
            if rng.random() < 0.05:
                tid = str(uuid.UUID(int=rng.getrandbits(128)))
                created = started + timedelta(hours=3)
                is_open = rng.random() < 0.3
                batch["human_task"].append({
                    "id": tid, "instance_id": iid, "business_key": bkey, "process_key": key, "element_id": "urgent_referral",
                    "name": "Urgent front door / MASH referral", "lane": "front_door", "candidate_groups": ["front_door"],
                    "form_ref": None, "properties": {}, "state": "open" if is_open else "completed", "assignee": None,
                    "created_at": created, "due_at": created + timedelta(days=1),
                    "completed_at": None if is_open else created + timedelta(hours=5), "completed_by": None if is_open else "fd"})
                batch["human_task_role"].append({"task_id": tid, "role": "front_door", "task_open": is_open})
            if state == "incident" or rng.random() < 0.01:
                at = first + timedelta(hours=5)
                resolved = state != "incident"
                batch["incident"].append({"instance_id": iid, "element_id": rng.choice(["gw_route", "send_to_lcs"]),
                                          "error": "boom", "created_at": at, "attempts": rng.randint(1, 3),
                                          "resolved_at": at + timedelta(hours=1) if resolved else None,
                                          "resolved_by": "admin" if resolved else None})
            flush()
        flush(force=True)
    # Planner statistics after the bulk load, as autovacuum gathers them on PostgreSQL; on SQLite
    # a deployment runs ANALYZE (or `PRAGMA optimize`) after loading data.
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return counts


def _insert(conn, table, rows, counts) -> None:
    conn.execute(table.insert(), rows)
    counts[table.name] += len(rows)


def _timed(call, runs: int) -> tuple[float, float, float]:
    """(median wall ms, fastest wall ms, median CPU ms of this process) over `runs` calls after one
    untimed call. On a machine shared with other jobs the wall time grows with the load; the
    fastest run and the CPU time (all of SQLite's work, only the client's for PostgreSQL) do less."""
    call()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, min(walls) * 1000, statistics.median(cpus) * 1000


def time_report(db: Database, name: str, filters: Filters, runs: int) -> tuple[tuple[float, float, float], int]:
    function = reports.REPORTS[name]
    return _timed(lambda: function(db, filters), runs), len(function(db, filters).rows)


def time_pages(db: Database, query: str, runs: int) -> dict[str, tuple[float, float, float]]:
    """Each tab of the reports page (engine/reports/pages.py) through Flask's test client, signed
    in as a team manager: the report, the filters' lists and the HTML with its charts."""
    from engine.reports.pages import PAGES
    from engine.tasklist import accounts, create_app

    accounts.save_user(db, "bench.manager", "Bench Manager", ["team_manager"], password="bench-password")
    app = create_app({"DATABASE": db, "SECRET_KEY": "bench", "SESSION_COOKIE_SECURE": False})
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/sign-in", data={"username": "bench.manager", "password": "bench-password", "csrf_token": token})

    def get(path):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    return {name: _timed(lambda name=name: get(f"/reports/{name}?{query}"), runs) for name in PAGES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", help="PostgreSQL URL; its schema public is DROPPED and recreated")
    parser.add_argument("--sqlite-file", help="keep the SQLite database in this file, and reuse it when it is "
                                              "already seeded (same seed, same rows)")
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="3 timed runs instead of 5")
    args = parser.parse_args(argv)
    runs = 3 if args.quick else 5
    with tempfile.TemporaryDirectory() as workdir, clock.using(clock.FixedClock(NOW)):
        began = time.perf_counter()
        if args.sqlite_file and Path(args.sqlite_file).exists():
            db = Database(f"sqlite:///{Path(args.sqlite_file).resolve()}")
            db.migrate()
            with db.engine.connect() as conn:
                counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in (
                    "process_instance", "audit_event", "report_fact", "human_task")}
            assert counts["process_instance"] == args.instances, "that file was seeded with another --instances"
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            print(f"reusing {args.sqlite_file}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
        else:
            db = fresh_database(args.database_url, Path(args.sqlite_file) if args.sqlite_file else Path(workdir) / "reports.db")
            counts = seed(db, args.instances, random.Random(8))
            print(f"seeded in {time.perf_counter() - began:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()),
                  flush=True)
        backend = "SQLite " + __import__("sqlite3").sqlite_version if db.is_sqlite else _pg_version(db)
        whole = Filters(date(2026, 1, 1), date(2027, 12, 31))
        narrow = Filters(date(2026, 1, 1), date(2027, 12, 31), council="halton", team="north")
        load = os.getloadavg()[0]
        lines = [f"{args.instances:,} instances on {backend} "
                 f"({counts['audit_event']:,} audit rows, {counts['report_fact']:,} facts, "
                 f"{counts['human_task']:,} human tasks); {runs} runs after one untimed run; "
                 "ms as median wall / fastest wall / median CPU of this process",
                 "", "| report | rows | all councils, 2 years | one council and team |", "|---|---:|---:|---:|"]

        def cell(t):
            return f"{t[0]:.0f} / {t[1]:.0f} / {t[2]:.0f}"

        for name in reports.REPORTS:
            timing, rows = time_report(db, name, whole, runs)
            narrow_timing, _ = time_report(db, name, narrow, runs)
            print(f"{name}: {cell(timing)} ms ({rows} rows); one council and team {cell(narrow_timing)} ms", flush=True)
            lines.append(f"| {name} | {rows} | {cell(timing)} | {cell(narrow_timing)} |")
        period = "from-day=1&from-month=1&from-year=2026&to-day=31&to-month=12&to-year=2027"
        whole_pages = time_pages(db, period, runs)
        narrow_pages = time_pages(db, period + "&council=halton&team=north", runs)
        lines += ["", "| reports page (GET /reports/NAME, 200) | all councils, 2 years | one council and team |",
                  "|---|---:|---:|"]
        lines += [f"| {name} | {cell(whole_pages[name])} | {cell(narrow_pages[name])} |" for name in whole_pages]
        lines += ["", f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
                      f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}; "
                      f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"]
        print()
        print("\n".join(lines))
        db.dispose()
    return 0


def _pg_version(db: Database) -> str:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT version()").scalar().split(",")[0].split(" on ")[0]


if __name__ == "__main__":
    sys.exit(main())
