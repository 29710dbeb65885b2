"""Engine benchmark: what persisting a workflow costs per user task, and how fast the task list is.

What it measures
1. Per completed user task ("step"), for generated chains of 20, 50 and 200 user tasks (one lane
   "social_worker", no forms), the fixture `review` process (tests/fixtures/engine/review.bpmn +
   decision.form, 3 user tasks) and `realistic`, a 3-lane step-down model built here (exclusive
   gateways, a parallel split/join, a script task, a form, due dates, candidate groups; 7 user
   tasks on the path taken):
   - bare: SpiffWorkflow in memory (StepwiseParser, BpmnWorkflow, the restricted script engine);
     a step is: find the ready manual task, set_data, run, do_engine_steps.
   - persisted: the runtime on a fresh database; a step is `runtime.complete(...)` (one
     transaction) of a task the previous step returned as created. Starting the instance is
     timed separately. The runtime keeps recently saved workflows in an in-process cache, which a
     single process benchmark always hits, so the same steps are also timed with the cache
     emptied before each step ("cold"): the cost when another worker process served the last
     step, which is the common case behind a multi-process web server.
   Each figure is the median, across instances, of that instance's mean time per step
   (time.perf_counter), after untimed warm-up steps; half as many instances run cold as warm.
   Bare and warm persisted instances alternate, each timed bare instance after an untimed one (so
   SpiffWorkflow runs with its caches warm, as alone). On SQLite a few more warm instances run on a
   database whose sqlite3 connections time their own execute and commit calls ("in SQLite"):
   the floor a step cannot go below whatever the Python around it does.
2. The task list: 10,000 instances and 50,000 human task rows (8 roles, ~60 % closed, due dates
   over 3 months, and a ninth role on 0.1 % of tasks) inserted with SQLAlchemy Core, then
   `runtime.tasks(roles=[role], limit=50)` for a common role (team_manager) and for the rare one,
   each timed 50 times (20 with --quick) after warm-up, with the query plan of the SQL it
   actually runs (captured from the engine). PostgreSQL gets an ANALYZE after the bulk insert, as
   autovacuum would; SQLite gets `Database.optimize()` (a sampled ANALYZE), as the worker runs it.
3. A Markdown summary table and the machine it ran on.

Run (from the project root, venv active):
    python bench/engine.py                  # full run, SQLite in a temporary directory (about 1 min)
    python bench/engine.py --quick          # fewer instances, under 30 s
    python bench/engine.py --database-url postgresql+psycopg://stepwise:stepwise@127.0.0.1:5432/stepwise_bench
        # the persisted part and the task list on that database; DROPS AND RECREATES ITS SCHEMA public
    python bench/engine.py --profile chain-200 [--cold]
        # cProfile of the persisted steps of one instance, sorted by cumulative time
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib.metadata
import os
import platform
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

# This file shares its name with the package it measures: keep its own folder off the import path
# (Python puts it first when the file is run as a script) and make sure the project root is on it.
ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import sqlalchemy  # noqa: E402 (imports after the path fix)
from sqlalchemy import event, insert, select, text
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import expressions, runtime, store
from engine.catalog import SourceFile, deploy
from engine.catalog.parser import StepwiseParser
from engine.runtime import repository
from engine.store import models

sys.path.append(str(Path(__file__).resolve().parent))  # for benchlib, now that `engine` is the package, not this file
from benchlib import fresh_database  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "engine"
ACTOR = "bench"

BPMN_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'id="Definitions_{key}" targetNamespace="http://stepwise.bench/{key}">\n'
)


# -- models -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Model:
    name: str
    key: str  # the process id
    files: tuple[SourceFile, ...]
    user_tasks: int  # user tasks completed per instance on the path the data takes
    runs: int
    quick_runs: int
    data: dict[str, dict] = field(default_factory=dict)  # element id -> submission

    def submission(self, element_id: str) -> dict:
        return dict(self.data.get(element_id, {}))


def chain_bpmn(n: int) -> bytes:
    key = f"chain_{n}"
    nodes = ["start"] + [f"t{i}" for i in range(n)] + ["end"]
    refs = "".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>" for node in nodes)
    tasks = "".join(f'<bpmn:userTask id="t{i}" name="Task {i}" />\n' for i in range(n))
    flows = "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}" />\n' for i, (a, b) in enumerate(zip(nodes, nodes[1:]))
    )
    return (
        BPMN_HEAD.format(key=key)
        + f'<bpmn:process id="{key}" name="Chain of {n}" isExecutable="true">\n'
        + f'<bpmn:laneSet id="ls"><bpmn:lane id="lane_sw" name="social_worker">{refs}</bpmn:lane></bpmn:laneSet>\n'
        + '<bpmn:startEvent id="start" />\n' + tasks + '<bpmn:endEvent id="end" />\n' + flows
        + "</bpmn:process>\n</bpmn:definitions>\n"
    ).encode()


# A step-down from statutory social work to early help: three lanes, two exclusive gateways, a
# parallel split/join with a script task in one branch, a form, due dates and candidate groups.
REALISTIC_LANES = {
    "social_worker": ["start", "gather", "decide", "plan_review", "stays_open", "handover"],
    "team_manager": ["screen", "close_case", "stepped_down", "escalate", "escalated"],
    "early_help_manager": ["allocate", "split", "contact_family", "set_review", "join", "agree_plan", "plan_agreed_gw"],
}
REALISTIC_BODY = """
<bpmn:startEvent id="start" />
<bpmn:userTask id="gather" name="Prepare the step-down summary" camunda:dueDate="working_days_after(5)" />
<bpmn:userTask id="screen" name="Manager decides on step-down" camunda:formRef="decision_form"
    camunda:candidateGroups="service_manager" camunda:dueDate="working_days_after(2)" />
<bpmn:exclusiveGateway id="decide" name="Step down?" default="to_stay" />
<bpmn:userTask id="plan_review" name="Plan the next statutory review" />
<bpmn:endEvent id="stays_open" name="Case stays open" />
<bpmn:userTask id="allocate" name="Allocate an early help worker" camunda:candidateGroups="support_leader" />
<bpmn:parallelGateway id="split" />
<bpmn:userTask id="contact_family" name="Contact the family" camunda:candidateGroups="family_support_worker"
    camunda:dueDate="working_days_after(3)" />
<bpmn:userTask id="handover" name="Hand over case notes" />
<bpmn:scriptTask id="set_review" name="Set the review date" scriptFormat="python">
  <bpmn:script>review_due = working_days_after(20)
summary_length = len(rationale)</bpmn:script>
</bpmn:scriptTask>
<bpmn:parallelGateway id="join" />
<bpmn:userTask id="agree_plan" name="Agree the family plan" camunda:dueDate="working_days_after(10)" />
<bpmn:exclusiveGateway id="plan_agreed_gw" name="Plan agreed?" default="to_escalate" />
<bpmn:userTask id="close_case" name="Close the statutory case" camunda:candidateGroups="service_manager" />
<bpmn:endEvent id="stepped_down" name="Stepped down" />
<bpmn:userTask id="escalate" name="Escalate to the service manager" camunda:candidateGroups="service_manager" />
<bpmn:endEvent id="escalated" name="Escalated" />
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gather" />
<bpmn:sequenceFlow id="f2" sourceRef="gather" targetRef="screen" />
<bpmn:sequenceFlow id="f3" sourceRef="screen" targetRef="decide" />
<bpmn:sequenceFlow id="to_step_down" sourceRef="decide" targetRef="allocate">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">decision == "step_down"</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="to_stay" sourceRef="decide" targetRef="plan_review" />
<bpmn:sequenceFlow id="f4" sourceRef="plan_review" targetRef="stays_open" />
<bpmn:sequenceFlow id="f5" sourceRef="allocate" targetRef="split" />
<bpmn:sequenceFlow id="f6" sourceRef="split" targetRef="contact_family" />
<bpmn:sequenceFlow id="f7" sourceRef="split" targetRef="handover" />
<bpmn:sequenceFlow id="f8" sourceRef="split" targetRef="set_review" />
<bpmn:sequenceFlow id="f9" sourceRef="contact_family" targetRef="join" />
<bpmn:sequenceFlow id="f10" sourceRef="handover" targetRef="join" />
<bpmn:sequenceFlow id="f11" sourceRef="set_review" targetRef="join" />
<bpmn:sequenceFlow id="f12" sourceRef="join" targetRef="agree_plan" />
<bpmn:sequenceFlow id="f13" sourceRef="agree_plan" targetRef="plan_agreed_gw" />
<bpmn:sequenceFlow id="to_close" sourceRef="plan_agreed_gw" targetRef="close_case">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">plan_agreed == True</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="to_escalate" sourceRef="plan_agreed_gw" targetRef="escalate" />
<bpmn:sequenceFlow id="f14" sourceRef="close_case" targetRef="stepped_down" />
<bpmn:sequenceFlow id="f15" sourceRef="escalate" targetRef="escalated" />
"""


def realistic_bpmn() -> bytes:
    key = "step_down_early_help"
    lanes = "".join(
        f'<bpmn:lane id="lane_{name}" name="{name}">'
        + "".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>" for node in nodes) + "</bpmn:lane>\n"
        for name, nodes in REALISTIC_LANES.items()
    )
    return (
        BPMN_HEAD.format(key=key)
        + f'<bpmn:process id="{key}" name="Step down to early help" isExecutable="true">\n'
        + f'<bpmn:laneSet id="ls">\n{lanes}</bpmn:laneSet>' + REALISTIC_BODY + "</bpmn:process>\n</bpmn:definitions>\n"
    ).encode()


DECISION = {"decision": "step_down", "rationale": "Needs met by early help; family engaging well."}


def models_to_run() -> list[Model]:
    form = SourceFile("decision.form", (FIXTURES / "decision.form").read_bytes())
    chains = [
        Model(f"chain-{n}", f"chain_{n}", (SourceFile(f"chain_{n}.bpmn", chain_bpmn(n)),), n, runs, quick)
        for n, runs, quick in ((20, 20, 3), (50, 10, 2), (200, 5, 1))
    ]
    review = Model(
        "review", "review", (SourceFile("review.bpmn", (FIXTURES / "review.bpmn").read_bytes()), form), 3, 20, 3,
        {"record_decision": DECISION},
    )
    realistic = Model(
        "realistic", "step_down_early_help", (SourceFile("step_down_early_help.bpmn", realistic_bpmn()), form), 7, 20, 3,
        {"screen": DECISION, "agree_plan": {"plan_agreed": True}},
    )
    return chains + [review, realistic]


# -- bare SpiffWorkflow -------------------------------------------------------------------------

def parse_model(model: Model):
    parser = StepwiseParser()
    for file in model.files:
        if file.kind == "bpmn":
            parser.add_bpmn_str(file.content, filename=file.filename)
    return parser.get_spec(model.key), parser.get_subprocess_specs(model.key)


def bare_step(model: Model, workflow: BpmnWorkflow) -> bool:
    """Complete the workflow's next ready user task in memory; False when none is left."""
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    if not ready:
        return False
    task = ready[0]
    task.set_data(**model.submission(task.task_spec.bpmn_id))
    task.run()
    workflow.do_engine_steps()
    return True


def bare_workflow(spec, subprocess_specs) -> BpmnWorkflow:
    """A new in-memory instance, run up to its first user task."""
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=expressions.script_engine())
    workflow.do_engine_steps()
    return workflow


def bare_instance(model: Model, spec, subprocess_specs) -> float:
    """Mean ms per step of one in-memory instance."""
    workflow = bare_workflow(spec, subprocess_specs)
    steps, elapsed = 0, 0.0
    while True:
        began = time.perf_counter()
        if not bare_step(model, workflow):
            break
        elapsed += time.perf_counter() - began
        steps += 1
    if not workflow.is_completed() or steps != model.user_tasks:
        raise RuntimeError(f"{model.name}: bare run ended after {steps} steps, completed={workflow.is_completed()}")
    return elapsed * 1000 / steps


# -- persisted through the runtime --------------------------------------------------------------

@dataclass
class PersistedRun:
    start_ms: float
    step_ms: float
    checkpoint_ms: float  # per step: the worker's SQLite checkpoint of what the steps wrote
    # On a database of TimedSqlite connections (else 0): per step, the part of step_ms spent inside SQLite.
    sqlite_ms: float = 0.0


class _InsideSqlite:
    """Adds the time of the block to TimedSqlite.spent."""

    def __enter__(self):
        self.began = time.perf_counter()

    def __exit__(self, *_exc):
        TimedSqlite.spent += time.perf_counter() - self.began


class _TimedCursor(sqlite3.Cursor):
    def execute(self, *args):
        with _InsideSqlite():
            return super().execute(*args)

    def executemany(self, *args):
        with _InsideSqlite():
            return super().executemany(*args)


class TimedSqlite(sqlite3.Connection):
    """A sqlite3 connection that adds up the time its statements and commits spend inside SQLite
    (and the driver), in `TimedSqlite.spent`: what a step would cost with no Python around it."""

    spent = 0.0

    def cursor(self, factory=_TimedCursor):
        return super().cursor(factory)

    def execute(self, *args):
        with _InsideSqlite():
            return super().execute(*args)

    def commit(self):
        with _InsideSqlite():
            return super().commit()


def worker_checkpoint(db: store.Database) -> float:
    """What `stepwise worker` does after every poll: checkpoint SQLite's write-ahead log. Writers
    leave that to the worker (engine/store/db.py), so it is timed apart from the steps; ms."""
    began = time.perf_counter()
    db.checkpoint()
    return (time.perf_counter() - began) * 1000


def complete_next(db: store.Database, model: Model, instance_id: str, pending: list) -> bool:
    """Complete the instance's next open task; False when none is left.

    `pending` holds (task id, element id) of the tasks the last step created, as the runtime
    returns them, so a step is one transaction as in the bare run (which finds its task in memory).
    """
    if not pending:
        return False
    task_id, element_id = pending.pop(0)
    outcome = runtime.complete(db, task_id, model.submission(element_id), ACTOR)
    pending.extend(zip(outcome.created_tasks, outcome.created_elements))
    return True


def start_instance(db: store.Database, model: Model, business_key: str) -> tuple[str, list]:
    """Start an instance through the runtime: (its id, the `pending` list complete_next takes)."""
    started = runtime.start(db, model.key, business_key, {}, ACTOR)
    return started.instance_id, list(zip(started.created_tasks, started.created_elements))


def persisted_instance(db: store.Database, model: Model, business_key: str, *, cold: bool = False) -> PersistedRun:
    """Start an instance and complete its user tasks through the runtime, timing each step.

    cold: empty the runtime's workflow cache before each step, so every step loads the workflow.
    """
    began = time.perf_counter()
    instance_id, pending = start_instance(db, model, business_key)
    start_ms = (time.perf_counter() - began) * 1000
    steps, elapsed, in_sqlite = 0, 0.0, 0.0
    while True:
        if cold:
            repository.cache.clear()
        spent = TimedSqlite.spent
        began = time.perf_counter()
        if not complete_next(db, model, instance_id, pending):
            break
        elapsed += time.perf_counter() - began
        in_sqlite += TimedSqlite.spent - spent
        steps += 1
    checkpoint_ms = worker_checkpoint(db)
    with db.reader() as session:
        state = session.scalar(select(models.ProcessInstance.state).where(models.ProcessInstance.id == instance_id))
    if state != "completed" or steps != model.user_tasks:
        raise RuntimeError(f"{model.name}: persisted run ended after {steps} steps in state {state}")
    return PersistedRun(start_ms, elapsed * 1000 / steps, checkpoint_ms / steps, in_sqlite * 1000 / steps)


def warm_up(db: store.Database, model: Model, steps: int = 3) -> None:
    """Fill the spec, form and SQL compilation caches with a few untimed steps."""
    instance_id, pending = start_instance(db, model, f"WARM-UP-{model.name}")
    for _ in range(steps):
        if not complete_next(db, model, instance_id, pending):
            break


# -- results ------------------------------------------------------------------------------------

@dataclass
class StepResult:
    model: Model
    bare_instances: int
    instances: int
    cold_instances: int
    bare_ms: float
    persisted_ms: float
    cold_ms: float
    start_ms: float
    checkpoint_ms: float
    sqlite_share: float | None = None  # of a warm step's time, the part spent inside SQLite (SQLite runs only)

    @property
    def ratio(self) -> float:
        return self.persisted_ms / self.bare_ms

    @property
    def cold_ratio(self) -> float:
        return self.cold_ms / self.bare_ms


@dataclass
class TaskListResult:
    instances: int
    tasks: int
    role: str
    returned: int
    runs: int
    seed_s: float
    median_ms: float
    p95_ms: float
    plan: list[str]

    @property
    def task_access(self) -> str:
        """How the plan reads human_task: an index search, or a full scan."""
        for line in self.plan:
            text_ = line.strip().removeprefix("->").strip()
            if text_.startswith(("SEARCH human_task ", "SCAN human_task")) or " on human_task " in f"{text_} ":
                return text_.split(" (actual")[0]
        return "?"

    @property
    def index_used(self) -> bool:
        return "INDEX" in self.task_access.upper() and not self.task_access.startswith("SCAN")

    @property
    def sorts(self) -> bool:
        """The plan sorts all matching rows instead of reading them in order from an index."""
        return any(("TEMP B-TREE FOR" in line and "ORDER BY" in line) or "Sort Key" in line for line in self.plan)


def bench_model(db: store.Database, model: Model, runs: int, cold_runs: int,
                timed_db: store.Database | None = None) -> StepResult:
    """Bare runs: max(runs, 5) instances (they are cheap); persisted: `runs` warm, `cold_runs` cold.

    Bare and warm persisted instances alternate, so a machine that gets busier or quieter during
    the run moves both sides of the ratio alike. Each timed bare instance follows an untimed one:
    right after a persisted instance, SpiffWorkflow's code and data are out of the CPU's caches, and
    a bare step measured then took up to 1.7 times its own time (realistic: 0.50 against 0.29 ms),
    flattering the ratio. `timed_db` (SQLite, see TimedSqlite) runs max(2, runs // 2) more warm
    instances to see how much of a step is spent inside SQLite."""
    spec, subprocess_specs = parse_model(model)
    warm_up(db, model)
    bare_runs = max(runs, 5)
    bare, warm = [], []
    for i in range(bare_runs):
        bare_instance(model, spec, subprocess_specs)
        bare.append(bare_instance(model, spec, subprocess_specs))
        if i < runs:
            warm.append(persisted_instance(db, model, f"BENCH-{model.name}-{i}"))
    cold = [persisted_instance(db, model, f"BENCH-{model.name}-cold-{i}", cold=True) for i in range(cold_runs)]
    in_sqlite = None
    if timed_db is not None:
        deploy(timed_db, list(model.files))
        warm_up(timed_db, model)
        timed = [persisted_instance(timed_db, model, f"TIMED-{model.name}-{i}") for i in range(max(2, runs // 2))]
        in_sqlite = statistics.median(run.sqlite_ms / run.step_ms for run in timed)
    return StepResult(
        model, bare_runs, runs, cold_runs, statistics.median(bare), statistics.median(r.step_ms for r in warm),
        statistics.median(r.step_ms for r in cold), statistics.median(r.start_ms for r in warm),
        statistics.median(r.checkpoint_ms for r in warm), in_sqlite,
    )


# -- the task list ------------------------------------------------------------------------------

ROLE_WEIGHTS = {
    "social_worker": 30, "team_manager": 15, "early_help_manager": 12, "family_support_worker": 12,
    "front_door": 10, "service_manager": 6, "locality_panel": 8, "support_leader": 7,
}
ROLE_POOL = [role for role, weight in ROLE_WEIGHTS.items() for _ in range(weight)]
EXTRA_GROUP = {"team_manager": "service_manager", "early_help_manager": "support_leader", "front_door": "team_manager"}
TASK_NAMES = {
    "social_worker": "Prepare the step-down summary", "team_manager": "Manager decides on step-down",
    "early_help_manager": "Allocate an early help worker", "family_support_worker": "Contact the family",
    "front_door": "Screen the contact", "service_manager": "Approve the escalation",
    "locality_panel": "Panel review", "support_leader": "Agree the family plan",
}
# A role few tasks carry (about 50 of 50,000, some 20 of them open): the worst case for reading the
# list in order and probing each task for the role.
RARE_ROLE, RARE_ROLE_SHARE = "conference_chair", 0.001
COUNCILS = ["Northshire", "Eastborough", "Westvale", "Southmere"]
DAY = timedelta(days=1)


class Seeder:
    """Realistic rows for the task list tables, deterministic for a given seed.

    30 % of instances are finished (all their tasks closed); a running one has its first 0-4 of
    5 tasks closed and the rest open, which closes ~58 % of all tasks. 10 % of closed tasks were
    cancelled; 15 % of tasks have no due date; the others are due from 30 days ago to 60 days
    ahead; 40 % of some lanes' tasks also carry a candidate group.
    """

    def __init__(self, definition_id: str, seed: int = 20261123):
        self.rng = random.Random(seed)
        self.definition_id = definition_id
        self.now = datetime.now(timezone.utc)
        self.cases: list[dict] = []
        self.instances: list[dict] = []
        self.tasks: list[dict] = []
        self.roles: list[dict] = []

    def _uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.rng.random()

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def add_case(self, number: int, tasks_per_instance: int) -> None:
        rng, key = self.rng, f"CASE-{number:06d}"
        started = self.now - self._uniform(20, 90) * DAY
        finished = rng.random() < 0.3
        self.cases.append({"id": number, "business_key": key, "council": COUNCILS[number % 4],
                           "address": f"{number} High Street", "locality": f"locality {number % 12}", "created_at": started})
        instance = {
            "id": self._uuid(), "definition_id": self.definition_id, "case_id": number, "business_key": key,
            "state": "completed" if finished else "running", "version": tasks_per_instance + 1, "header": {},
            "next_timer_due": None, "started_at": started, "started_by": ACTOR, "ended_at": self.now if finished else None,
        }
        self.instances.append(instance)
        closed = tasks_per_instance if finished else int(rng.random() * tasks_per_instance)
        for n in range(tasks_per_instance):
            self.add_task(instance, started + n * 4 * DAY, closed=n < closed)

    def add_task(self, instance: dict, created: datetime, closed: bool) -> None:
        rng = self.rng
        lane = ROLE_POOL[int(rng.random() * len(ROLE_POOL))]
        groups = [EXTRA_GROUP[lane]] if lane in EXTRA_GROUP and rng.random() < 0.4 else []
        if rng.random() < RARE_ROLE_SHARE:
            groups.append(RARE_ROLE)
        state = ("cancelled" if rng.random() < 0.1 else "completed") if closed else "open"
        task_id = self._uuid()
        self.tasks.append({
            "id": task_id, "instance_id": instance["id"], "business_key": instance["business_key"],
            "process_key": "step_down_early_help", "element_id": f"task_{lane}", "name": TASK_NAMES[lane],
            "lane": lane, "candidate_groups": groups, "form_ref": None, "properties": {}, "state": state,
            "assignee": f"user{int(rng.random() * 200)}" if closed or rng.random() < 0.3 else None,
            "created_at": created, "due_at": None if rng.random() < 0.15 else self.now + self._uniform(-30, 60) * DAY,
            "completed_at": created + 2 * DAY if closed else None,
            "completed_by": f"user{int(rng.random() * 200)}" if state == "completed" else None,
        })
        self.roles.extend({"task_id": task_id, "role": role, "task_open": state == "open"} for role in [lane, *groups])

    def insert(self, db: store.Database) -> None:
        with db.engine.begin() as connection:
            for table, rows in ((models.Case, self.cases), (models.ProcessInstance, self.instances),
                                (models.HumanTask, self.tasks), (models.TaskRole, self.roles)):
                for chunk in range(0, len(rows), 5000):
                    connection.execute(insert(table), rows[chunk:chunk + 5000])
            if not db.is_sqlite:
                connection.execute(text("ANALYZE"))
        db.optimize()  # SQLite: what `stepwise worker` runs at start and hourly (engine/store/db.py)


def seed_task_list(db: store.Database, definition_id: str, instances: int, tasks_per_instance: int = 5) -> int:
    """Insert cases, instances and human tasks directly; returns the number of task rows."""
    seeder = Seeder(definition_id)
    for number in range(1, instances + 1):
        seeder.add_case(number, tasks_per_instance)
    seeder.insert(db)
    return len(seeder.tasks)


@contextlib.contextmanager
def captured_sql(db: store.Database, needle: str) -> Iterator[list]:
    """The (statement, parameters) of every query containing `needle` run inside the block."""
    seen: list = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if needle in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def query_plan(db: store.Database, statement: str, parameters) -> list[str]:
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) "
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + statement, parameters).all()
    if not db.is_sqlite:
        return [row[0] for row in rows]
    depth: dict[int, int] = {}
    for node, parent, _, _ in rows:  # SQLite gives (id, parent id, unused, detail): indent children
        depth[node] = depth.get(parent, -1) + 1
    return ["  " * depth[node] + detail for node, _, _, detail in rows]


def bench_task_list(db: store.Database, instances: int, roles: tuple[str, ...] = ("team_manager", RARE_ROLE),
                    runs: int = 50) -> list[TaskListResult]:
    with db.reader() as session:
        definition_id = session.scalar(select(models.ProcessDefinition.id).limit(1))
    began = time.perf_counter()
    task_count = seed_task_list(db, definition_id, instances)
    seed_s = time.perf_counter() - began
    results = []
    for role in roles:
        for _ in range(5):
            runtime.tasks(db, roles=[role], limit=50)
        timings = []
        for _ in range(runs):
            began = time.perf_counter()
            returned = runtime.tasks(db, roles=[role], limit=50)
            timings.append((time.perf_counter() - began) * 1000)
        with captured_sql(db, "FROM human_task") as seen:
            runtime.tasks(db, roles=[role], limit=50)
        plan = query_plan(db, *seen[-1])
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
        results.append(TaskListResult(instances, task_count, role, len(returned), runs, seed_s,
                                      statistics.median(timings), p95, plan))
    return results


# -- profiling ----------------------------------------------------------------------------------

def profile(model: Model, url: str | None, workdir: Path, cold: bool) -> None:
    db = fresh_database(url, workdir / "profile.db")
    deploy(db, list(model.files))
    warm_up(db, model)
    profiler = cProfile.Profile()
    profiler.enable()
    run = persisted_instance(db, model, "PROFILE-1", cold=cold)
    profiler.disable()
    print(f"{model.name}: persisted {'cold' if cold else 'warm'} {run.step_ms:.2f} ms/step "
          f"(under cProfile; start {run.start_ms:.1f} ms)\n")
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(40)
    db.dispose()


# -- output -------------------------------------------------------------------------------------

def machine_info(db: store.Database | None) -> dict[str, str]:
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu count": str(os.cpu_count()),
        "SQLite": sqlite3.sqlite_version,
        "SpiffWorkflow": importlib.metadata.version("SpiffWorkflow"),
        "SQLAlchemy": sqlalchemy.__version__,
        "load average at the end": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    if db is not None and not db.is_sqlite:
        with db.engine.connect() as connection:
            info["database"] = connection.exec_driver_sql("SELECT version()").scalar().split(",")[0]
    return info


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def step_line(result: StepResult) -> str:
    return (f"{result.model.name}: bare {result.bare_ms:.2f} ms/step, persisted {result.persisted_ms:.2f} ms/step, "
            f"ratio {result.ratio:.1f}")


def markdown(results: list[StepResult], task_lists: list[TaskListResult], backend: str, info: dict[str, str],
             quick: bool) -> str:
    lines = [
        f"Persisted on: {backend}{' (--quick)' if quick else ''}",
        "",
        "| model | user tasks | instances (bare/warm/cold) | bare ms/step | persisted ms/step | ratio "
        "| in SQLite ms/step | persisted, cold cache ms/step | cold ratio | start ms | worker checkpoint ms/step |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        in_sqlite = "—" if r.sqlite_share is None else f"{r.sqlite_share * r.persisted_ms:.2f}"
        lines.append(f"| {r.model.name} | {r.model.user_tasks} | {r.bare_instances}/{r.instances}/{r.cold_instances} "
                     f"| {r.bare_ms:.2f} | {r.persisted_ms:.2f} | {r.ratio:.1f} | {in_sqlite} | {r.cold_ms:.2f} "
                     f"| {r.cold_ratio:.1f} | {r.start_ms:.1f} | {r.checkpoint_ms:.2f} |")
    lines += [
        "",
        "| task list query | instances | tasks | rows | runs | median ms | p95 ms | human_task read by | sorts every match |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for t in task_lists:
        lines.append(f"| `runtime.tasks(roles=[\"{t.role}\"], limit=50)` | {t.instances:,} | {t.tasks:,} | {t.returned} "
                     f"| {t.runs} | {t.median_ms:.2f} | {t.p95_ms:.2f} | {t.task_access} | {'yes' if t.sorts else 'no'} |")
    lines += [
        "",
        "ms/step: mean per completed user task of one instance, median over instances. bare: SpiffWorkflow in "
        "memory. persisted: `runtime.complete(...)` of the task the previous step created, with the runtime's "
        "in-process workflow cache (always hit in one process); bare and persisted instances alternate, each "
        "timed bare instance after an untimed one. "
        "in SQLite: the part of a persisted step spent inside the sqlite3 driver's execute and commit calls "
        "(measured on separate instances, applied to the persisted figure). cold: the cache emptied before each step (the "
        "workflow is loaded from the database, as when another worker process served the previous step). "
        "start: `runtime.start`. worker checkpoint: on SQLite, copying the write-ahead log into the database "
        "file after each instance, as `stepwise worker` does after every poll (off the request path; per step). "
        f"The task list rows were inserted directly (30 % of instances finished, {RARE_ROLE} on 0.1 % of tasks, "
        "~58 % of tasks closed, 8 roles, due dates over 3 months).",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()),
    ]
    return "\n".join(lines)


# -- main ---------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer instances (under 30 s)")
    parser.add_argument("--database-url", help="run the persisted part on this database; its schema public is dropped")
    parser.add_argument("--profile", metavar="MODEL", choices=[m.name for m in models_to_run()],
                        help="profile the persisted steps of one instance of MODEL (chain-20, ..., realistic)")
    parser.add_argument("--cold", action="store_true", help="with --profile: empty the workflow cache before each step")
    return parser.parse_args(argv)


def run_steps(url: str | None, workdir: Path, models_: list[Model], quick: bool) -> list[StepResult]:
    db = fresh_database(url, workdir / "steps.db")
    timed_db = fresh_database(None, workdir / "timed.db", sqlite_factory=TimedSqlite) if url is None else None
    results = []
    for model in models_:
        deploy(db, list(model.files))
        runs = model.quick_runs if quick else model.runs
        result = bench_model(db, model, runs, max(1, runs // 2), timed_db)
        share = "" if result.sqlite_share is None else f"; in SQLite {100 * result.sqlite_share:.0f} %"
        print(step_line(result), f"(cold cache {result.cold_ms:.2f} ms/step, ratio {result.cold_ratio:.1f}; "
              f"start {result.start_ms:.1f} ms{share})", flush=True)
        results.append(result)
    db.dispose()
    if timed_db is not None:
        timed_db.dispose()
    return results


def run_task_list(url: str | None, workdir: Path, model: Model, quick: bool) -> tuple[list[TaskListResult], dict[str, str]]:
    db = fresh_database(url, workdir / "tasklist.db")
    deploy(db, list(model.files))
    results = bench_task_list(db, 10_000, runs=20 if quick else 50)
    for result in results:
        print(f"task list ({result.instances} instances, {result.tasks} tasks), role {result.role} open: "
              f"median {result.median_ms:.2f} ms, p95 {result.p95_ms:.2f} ms "
              f"({result.runs} runs, {result.returned} rows returned; rows inserted in {result.seed_s:.1f} s)")
        print(f"query plan: human_task read by {result.task_access} (index used: {'yes' if result.index_used else 'NO'}, "
              f"sorts every match: {'yes' if result.sorts else 'no'})")
        print("\n".join("  " + line for line in result.plan))
    info = machine_info(db)
    db.dispose()
    return results, info


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    all_models = {m.name: m for m in models_to_run()}
    with tempfile.TemporaryDirectory(prefix="stepwise-bench-") as tmp:
        workdir = Path(tmp)
        if args.profile:
            profile(all_models[args.profile], args.database_url, workdir, args.cold)
            return
        began = time.perf_counter()
        results = run_steps(args.database_url, workdir, list(all_models.values()), args.quick)
        steps_s = time.perf_counter() - began
        task_lists, info = run_task_list(args.database_url, workdir, all_models["realistic"], args.quick)
        backend = "PostgreSQL" if args.database_url else "SQLite (temporary file, WAL)"
        print()
        print(markdown(results, task_lists, backend, info, args.quick))
        total_s = time.perf_counter() - began
        print(f"\nwall time {total_s:.1f} s (steps {steps_s:.1f} s, task list {total_s - steps_s:.1f} s)")


if __name__ == "__main__":
    sys.exit(main())
