"""REST API benchmark: task completions per second and the task-list query's latency over HTTP,
served by gunicorn with 2 worker processes, with 10,000 instances present.

What it measures
- The North Somerset and common procedures are deployed; 10,000 step-down instances are
  bulk-inserted as bench/pages.py does (cases, task-list rows, roles, audit rows); and
  `--complete` instances (default 300) are started through the runtime (before the bulk insert),
  each waiting at "Propose step-down" for a social worker.
- `gunicorn -w 2` serves `engine.tasklist:create_app` on a free port of 127.0.0.1. Clients
  authenticate with a bearer API token (one indexed lookup per request; HTTP Basic would add
  argon2 on each worker's first request only, see engine/api/credentials.py).
- Completions: `--clients` threads (default 4) POST /engine-rest/task/{id}/complete with the
  form's typed variables until every started task is done; completions per second = tasks / wall
  time. Each completion is the whole runtime step (validate, engine steps, task rows, projection,
  audit, listeners) in one transaction.
- Query: GET /engine-rest/task?candidateGroup=social_worker&maxResults=50, `--runs` times after
  warm-up, one client; median and p95 in ms.

Run (from the project root, venv active; needs `pip install gunicorn`):
    python bench/api.py                    # SQLite in a temporary directory
    python bench/api.py --quick            # 2,000 instances, 60 completions
    python bench/api.py --database-url postgresql+psycopg://stepwise:stepwise@127.0.0.1:5432/stepwise_bench
        # DROPS AND RECREATES THAT DATABASE'S SCHEMA public
"""
from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from benchlib import fresh_database  # noqa: E402 (imports after the path fix)
from pages import KEY, seed  # noqa: E402

from engine import runtime  # noqa: E402
from engine.catalog import collect, deploy  # noqa: E402
from engine.tasklist import accounts, tokens  # noqa: E402

PROPOSAL = {
    "level_of_need_summary": {"value": "CIN plan goals met; school attendance 96%.", "type": "String"},
    "step_down_reason": {"value": "Parents engaging well.", "type": "String"},
    "proposed_fsw_role": {"value": "Weekly home visits for 12 weeks.", "type": "String"},
}
QUERY = "/engine-rest/task?candidateGroup=social_worker&maxResults=50"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(url: str, port: int) -> subprocess.Popen:
    factory = f"engine.tasklist:create_app({{'DATABASE_URL': {url!r}, 'SECRET_KEY': 'bench'}})"
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", factory],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/engine-rest/openapi.json", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped before serving (is it installed? pip install gunicorn)")
        time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 30 s")


def run(url: str | None, instances: int, completions: int, clients: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory() as workdir:
        db = fresh_database(url, Path(workdir) / "api.db")
        database_url = url or db.url
        try:
            deploy(db, collect([ROOT / "processes" / "north_somerset", ROOT / "processes" / "common"]), name="bench",
                   actor="bench")
            accounts.save_user(db, "sw.bench", "Bench Worker", ["social_worker"], password="bench-password")
            _info, token = tokens.create(db, "sw.bench", "bench", "bench")
            began = time.perf_counter()
            task_ids = []
            # Started before the bulk insert, which writes its own ids (PostgreSQL's sequences do not see them).
            for n in range(completions):
                outcome = runtime.start(db, KEY, f"NS-API-{n}", {}, "sw.bench",
                                        case={"council": "north_somerset", "children": [{"name": f"Child {n}"}]})
                task_ids.append(runtime.tasks(db, instance_id=outcome.instance_id)[0].id)
            seed(db, instances)
            print(f"seeded {instances:,} instances and started {completions} in {time.perf_counter() - began:.1f} s",
                  file=sys.stderr)
        finally:
            db.dispose()
        port = free_port()
        server = serve(database_url, port)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                for _ in range(5):
                    assert client.get(QUERY).status_code == 200
                times = []
                for _ in range(runs):
                    started = time.perf_counter()
                    response = client.get(QUERY)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200 and len(response.json()) == 50, response.text[:200]
            times.sort()

            def complete(task_id: str) -> int:
                with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                    return client.post(f"/engine-rest/task/{task_id}/complete", json={"variables": PROPOSAL}).status_code

            began = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                statuses = list(pool.map(complete, task_ids))
            elapsed = time.perf_counter() - began
            failed = [s for s in statuses if s != 204]
            if failed:
                raise SystemExit(f"{len(failed)} completions failed: {sorted(set(failed))}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {"completions_per_s": completions / elapsed, "query_p50": statistics.median(times),
            "query_p95": times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--instances", type=int)
    parser.add_argument("--complete", type=int)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--runs", type=int)
    args = parser.parse_args(argv)
    instances = args.instances or (2000 if args.quick else 10_000)
    completions = args.complete or (60 if args.quick else 300)
    runs = args.runs or (30 if args.quick else 100)
    result = run(args.database_url, instances, completions, args.clients, runs)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"| {backend}, {instances:,} instances, gunicorn -w 2 | completions/s ({args.clients} clients, "
          f"{completions} tasks) | GET /task?candidateGroup p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    print(f"| {backend} | {result['completions_per_s']:.1f} | {result['query_p50']:.1f} | {result['query_p95']:.1f} |")
    print(f"\n_CPython {platform.python_version()}, {platform.machine()}; "
          f"`python bench/api.py{' --database-url ...' if args.database_url else ''}`_")


if __name__ == "__main__":
    main()
