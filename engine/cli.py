"""`stepwise` command line: deploy, start, tasks, complete, worker, demo.

Every command prints one clear line on error and exits non-zero.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Sequence

from engine import clock, runtime
from engine.catalog import DeploymentError, collect, deploy
from engine.store import connect

log = logging.getLogger("stepwise")


class UsageError(Exception):
    pass


def _parse_var(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise UsageError(f"--var takes name=value, got '{text}'")
    name, raw = text.split("=", 1)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw  # a bare word is a string
    return name.strip(), value


def _json_arg(text: str, what: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{what} is not valid JSON: {error.msg} at column {error.colno}") from None


def cmd_deploy(args) -> int:
    db = connect(args.database_url)
    result = deploy(db, collect(args.paths), name=args.name, actor=args.actor, source="cli")
    if not result.created:
        print(f"unchanged: deployment {result.deployment_id} already holds these files")
        return 0
    print(f"deployment {result.deployment_id}")
    for key, version, _ in result.definitions:
        print(f"  {key} version {version}")
    for key in result.unchanged:
        print(f"  {key} unchanged")
    return 0


def cmd_start(args) -> int:
    db = connect(args.database_url)
    variables = dict(_parse_var(v) for v in args.var or [])
    case = _json_arg(args.case, "--case") if args.case else None
    outcome = runtime.start(db, args.key, args.business_key, variables, args.actor, case=case)
    print(f"instance {outcome.instance_id} {outcome.state}")
    for task in runtime.tasks(db, instance_id=outcome.instance_id):
        print(f"  task {task.id} {task.name} [{', '.join(task.roles)}]")
    return 0


def cmd_tasks(args) -> int:
    db = connect(args.database_url)
    rows = runtime.tasks(db, roles=args.role or None, business_key=args.business_key, assignee=args.assignee,
                         limit=args.limit)
    if args.json:
        print(json.dumps([{
            "id": t.id, "name": t.name, "business_key": t.business_key, "process": t.process_key,
            "element_id": t.element_id, "roles": t.roles, "assignee": t.assignee,
            "due": t.due_at.isoformat() if t.due_at else None, "form": t.form_ref,
        } for t in rows], indent=2))
        return 0
    for t in rows:
        due = t.due_at.strftime("%Y-%m-%d %H:%M") if t.due_at else "-"
        print(f"{t.id}  {t.business_key:<14} {t.process_key:<24} {t.name}  [{', '.join(t.roles)}]  due {due}")
    if not rows:
        print("no open tasks")
    return 0


def cmd_complete(args) -> int:
    db = connect(args.database_url)
    data = _json_arg(args.data, "--data") if args.data else {}
    outcome = runtime.complete(db, args.task, data, args.actor, args.expected_version)
    print(f"instance {outcome.instance_id} {outcome.state} (version {outcome.version})")
    if outcome.incident_id:
        print(f"  incident {outcome.incident_id} raised: see `stepwise incidents`")
    for task in runtime.tasks(db, instance_id=outcome.instance_id):
        print(f"  task {task.id} {task.name} [{', '.join(task.roles)}]")
    return 0


def cmd_incidents(args) -> int:
    db = connect(args.database_url)
    for incident in runtime.incidents(db):
        print(f"{incident.id}  instance {incident.instance_id}  element {incident.element_id}  "
              f"attempts {incident.attempts}: {incident.error}")
    return 0


def cmd_retry(args) -> int:
    db = connect(args.database_url)
    outcome = runtime.retry_incident(db, args.incident, args.actor)
    print(f"instance {outcome.instance_id} {outcome.state}")
    return 0


def cmd_worker(args) -> int:
    from engine.documents import builds
    from webhooks.worker import work_once  # also registers the webhook outbox listener

    db = connect(args.database_url)
    now = clock.FixedClock(args.now).now() if args.now else None
    if args.once:
        done = work_once(db, now)
        print(f"fired {done.timers.fired} timer(s), {done.timers.incidents} incident(s); "
              f"delivered {done.deliveries.delivered} webhook(s), {done.deliveries.retrying} to retry, "
              f"{done.deliveries.failed} failed")
        return 0
    stopping = False

    def stop(_signum, _frame):
        nonlocal stopping
        stopping = True  # finish the item in hand, then leave

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker started, polling every %ss", args.interval)
    fired = incidents = delivered = failed = 0
    last_health = last_optimize = time.monotonic()
    db.optimize()
    while not stopping:
        done = work_once(db, should_stop=lambda: stopping)
        builds.run_queued(db)  # document packs the pages queued (PACK_BUILDS="queue"; claimed once)
        db.checkpoint()  # SQLite: the log the web server's commits leave (see engine/store/db.py)
        if time.monotonic() - last_optimize >= 3600:
            db.optimize()
            last_optimize = time.monotonic()
        fired, incidents = fired + done.timers.fired, incidents + done.timers.incidents
        delivered, failed = delivered + done.deliveries.delivered, failed + done.deliveries.failed
        if done.busy or time.monotonic() - last_health >= 60:
            log.info("worker alive: %d timer(s) fired, %d incident(s), %d webhook(s) delivered, %d failed since start",
                     fired, incidents, delivered, failed)
            last_health = time.monotonic()
        deadline = time.monotonic() + args.interval
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.2)
    log.info("worker stopped")
    return 0


def cmd_demo(args) -> int:
    from engine import demo

    db = connect(args.database_url)
    summary = demo.load(db, Path(args.processes))
    print(summary)
    return 0


# Subsystems that add commands of their own: each module has `register(commands)` which adds
# subparsers (with `run` defaults taking the parsed args). One line here per subsystem.
EXTENSIONS: tuple[str, ...] = ("webhooks.cli", "engine.reports.cli", "engine.tasklist.cli", "engine.documents.cli",
                               "engine.runtime.migration_cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stepwise", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: $DATABASE_URL or sqlite:///var/stepwise.db)")
    parser.add_argument("--actor", default="cli", help="who is acting, for the audit trail")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("deploy", help="deploy BPMN/DMN/form files or folders as one deployment")
    p.add_argument("paths", nargs="+")
    p.add_argument("--name", default="stepwise")
    p.set_defaults(run=cmd_deploy)

    p = commands.add_parser("start", help="start a process for a case")
    p.add_argument("key")
    p.add_argument("--business-key", required=True)
    p.add_argument("--var", action="append", help="name=value (value parsed as JSON when it is JSON)")
    p.add_argument("--case", help='case details as JSON: {"council": ..., "children": [{"name": ...}]}')
    p.set_defaults(run=cmd_start)

    p = commands.add_parser("tasks", help="list open tasks")
    p.add_argument("--role", action="append")
    p.add_argument("--business-key")
    p.add_argument("--assignee")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_tasks)

    p = commands.add_parser("complete", help="complete a task with form data")
    p.add_argument("task")
    p.add_argument("--data", help="the form data as JSON")
    p.add_argument("--expected-version", type=int)
    p.set_defaults(run=cmd_complete)

    p = commands.add_parser("incidents", help="list open incidents")
    p.set_defaults(run=cmd_incidents)

    p = commands.add_parser("retry", help="retry an incident")
    p.add_argument("incident", type=int)
    p.set_defaults(run=cmd_retry)

    p = commands.add_parser("worker", help="fire due timers and deliver webhooks")
    p.add_argument("--once", action="store_true", help="one pass, then exit")
    p.add_argument("--now", help="ISO time to treat as now (with --once)")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
    p.set_defaults(run=cmd_worker)

    p = commands.add_parser("demo", help="deploy processes/ and create demo cases")
    p.add_argument("--processes", default="processes")
    p.set_defaults(run=cmd_demo)

    for name in EXTENSIONS:
        importlib.import_module(name).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)  # our own lines (the worker's health line); libraries stay quiet
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (UsageError, DeploymentError, runtime.RuntimeRefusal) as error:
        print(f"stepwise {args.command}: {error}", file=sys.stderr)
        return 2 if isinstance(error, UsageError) else 1
    except Exception as error:  # noqa: BLE001 - one line, not a traceback, for people at a terminal
        log.debug("unexpected error", exc_info=True)
        print(f"stepwise {args.command}: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
