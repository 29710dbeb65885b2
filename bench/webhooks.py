"""Worker and webhooks benchmark: timers fired per second, webhook deliveries per second.

What it measures
1. Timers: N instances (10,000; 2,000 with --quick) of a one-timer process (start -> timeDate
   `wake_at` -> end) wait on the database; a tenth are due. One `fire_due_timers` pass (the
   worker's, limit = the due count) fires them, one transaction per instance; figure: timers fired
   per second, and a check that exactly the due ones fired. Starting the instances is not timed.
2. Deliveries: M outbox rows (2,000; 500 with --quick) for one subscription, posted by
   `deliver_due` to a local receiver on 127.0.0.1 (ThreadingHTTPServer, HTTP/1.1 keep-alive,
   answers 204 without verifying, so the figure is the sender's cost: claim, sign, POST, record).

Run (venv active, project root):
    python bench/webhooks.py [--quick] [--database-url URL]   # default: SQLite in a temporary folder
    # a PostgreSQL URL: DROPS AND RECREATES ITS SCHEMA public
"""
from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sqlalchemy import func, select, text  # noqa: E402

from engine import clock, runtime  # noqa: E402
from engine.catalog import SourceFile, deploy  # noqa: E402
from engine.store import models  # noqa: E402
from engine.store.db import Database  # noqa: E402
from webhooks import delivery, outbox, subscriptions  # noqa: E402,F401
sys.path.append(str(Path(__file__).resolve().parent))  # for benchlib, now that `engine` is imported
from benchlib import fresh_database  # noqa: E402

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

WAIT_BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Defs_wait" targetNamespace="http://stepwise.bench/wait">
<bpmn:process id="bench_wait" name="Wait" isExecutable="true">
  <bpmn:startEvent id="start" />
  <bpmn:intermediateCatchEvent id="wait">
    <bpmn:timerEventDefinition id="wait_def"><bpmn:timeDate xsi:type="bpmn:tFormalExpression">wake_at</bpmn:timeDate></bpmn:timerEventDefinition>
  </bpmn:intermediateCatchEvent>
  <bpmn:endEvent id="end" />
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
  <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
</bpmn:process>
</bpmn:definitions>
"""


def bench_timers(db: Database, waiting: int) -> dict:
    due = waiting // 10
    with clock.using(clock.FixedClock(T0)):
        deploy(db, [SourceFile("bench_wait.bpmn", WAIT_BPMN)], name="bench", actor="bench")
        started = time.perf_counter()
        for n in range(waiting):
            wake = T0 + (timedelta(hours=1) if n % 10 == 0 else timedelta(days=30))
            runtime.start(db, "bench_wait", f"BENCH-{n}", {"wake_at": wake.isoformat()}, "bench")
        setup = time.perf_counter() - started
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    moment = T0 + timedelta(hours=2)
    started = time.perf_counter()
    run = runtime.fire_due_timers(db, moment, limit=due)
    elapsed = time.perf_counter() - started
    with db.reader() as session:
        completed = session.scalar(select(func.count()).select_from(models.ProcessInstance)
                                   .where(models.ProcessInstance.state == "completed"))
    assert run.fired == due == completed and run.incidents == 0, (run.fired, due, completed)
    return {"waiting": waiting, "due": due, "seconds": elapsed, "per_second": due / elapsed, "setup": setup}


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()


def bench_deliveries(db: Database, count: int) -> dict:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sub_id, _ = subscriptions.add_subscription(db, f"http://127.0.0.1:{server.server_address[1]}/hook", ["*"], now=T0)
        rows = [{"subscription_id": sub_id, "event_type": "task.created", "webhook_id": outbox.new_webhook_id(),
                 "payload": {"type": "task.created", "timestamp": T0.isoformat(),
                             "data": {"task_id": f"t{n}", "instance_id": f"i{n}", "business_key": f"BENCH-{n}",
                                      "element_id": "record_decision", "roles": ["social_worker"]}},
                 "state": "pending", "attempts": 0, "next_attempt_at": T0, "created_at": T0} for n in range(count)]
        with db.connection() as conn:
            conn.execute(models.WebhookOutbox.__table__.insert(), rows)
        started = time.perf_counter()
        delivered = 0
        while True:
            run = delivery.deliver_due(db, T0, 500)
            delivered += run.delivered
            if not run.handled:
                break
        elapsed = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
    assert delivered == count, (delivered, count)
    return {"count": count, "seconds": elapsed, "per_second": count / elapsed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    waiting, count = (2_000, 500) if args.quick else (10_000, 2_000)
    with tempfile.TemporaryDirectory() as folder:
        db = fresh_database(args.database_url, Path(folder) / "bench.db")
        timers = bench_timers(db, waiting)
        deliveries = bench_deliveries(db, count)
        db.dispose()
    backend = "SQLite" if db.is_sqlite else "PostgreSQL"
    print(f"## Worker and webhooks ({backend}, {platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()})")
    print()
    print("| measure | figure |")
    print("|---|---|")
    print(f"| timers fired, {timers['due']:,} due of {timers['waiting']:,} waiting | "
          f"{timers['per_second']:,.0f} per second ({timers['seconds']:.2f} s; starting them took {timers['setup']:.0f} s) |")
    print(f"| webhook deliveries to a local receiver ({deliveries['count']:,}) | "
          f"{deliveries['per_second']:,.0f} per second ({deliveries['seconds']:.2f} s) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
