"""Which sequence flows of a BPMN model the instances of a process actually took.

Read from the task trees of the stored instances: a task that was reached (ready, waiting,
running or completed) came in along the flow from the nearest ancestor task that is itself a
BPMN flow node. SpiffWorkflow's helper tasks in between (``<id>.BoundaryEventSplit``,
``<id>.BoundaryEventJoin``, ``Start``, the children of a loop marker) are skipped over.

Sub-processes count for the process that owns them:

- flows inside an embedded or event sub-process (``triggeredByEvent="true"``) count for the
  process the sub-process is drawn in;
- flows inside a process started by a call activity count for the *called* process, wherever
  it was called from (``flow_coverage(db, "common_safeguarding_referral", file)`` counts the
  referrals raised by every council's cases), and not for the caller.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine.runtime import repository
from engine.store import models
from engine.store.db import Database

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
REACHED = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.COMPLETED | TaskState.ERROR


@dataclass(frozen=True)
class Flow:
    id: str
    source: str
    target: str


@dataclass
class Coverage:
    flows: dict[str, Flow]
    taken: set[str]

    @property
    def missing(self) -> list[Flow]:
        return [f for fid, f in sorted(self.flows.items()) if fid not in self.taken]

    @property
    def ratio(self) -> float:
        return len(self.taken) / len(self.flows) if self.flows else 1.0


def read_flows(bpmn_file: str | Path, process_id: str | None = None) -> tuple[dict[str, Flow], set[str]]:
    """(sequence flows by id, ids of every element that a flow can start or end at).

    With ``process_id``, only the flows drawn inside that process (its sub-processes and event
    sub-processes included); without it, or when the file has no such process, every flow in
    the file.
    """
    root = etree.parse(str(bpmn_file)).getroot()
    scope = root
    if process_id is not None:
        found = root.find(f"{{{BPMN}}}process[@id='{process_id}']")
        scope = found if found is not None else root
    flows = {
        node.get("id"): Flow(node.get("id"), node.get("sourceRef"), node.get("targetRef"))
        for node in scope.iter(f"{{{BPMN}}}sequenceFlow")
    }
    nodes = {f.source for f in flows.values()} | {f.target for f in flows.values()}
    return flows, nodes


def _bpmn_parent(task, nodes: set[str]):
    own = task.task_spec.bpmn_id
    parent = task.parent
    while parent is not None:
        bpmn_id = getattr(parent.task_spec, "bpmn_id", None)
        if bpmn_id in nodes and bpmn_id != own:
            return bpmn_id
        parent = parent.parent
    return None


def _is_call(parent_task) -> bool:
    """A call activity names another process; an embedded or event sub-process's spec is
    named after the sub-process element itself."""
    spec = parent_task.task_spec
    return getattr(spec, "spec", None) not in (None, spec.bpmn_id)


def process_of(workflow, sub) -> str:
    """The process whose model draws the flows of ``sub`` (a workflow or one of its subprocesses)."""
    if sub is workflow or getattr(sub, "parent_task_id", None) is None:
        return sub.spec.name
    parent_task = workflow.get_task_from_id(sub.parent_task_id)
    if parent_task is not None and _is_call(parent_task):
        return sub.spec.name
    return process_of(workflow, sub.parent_workflow or workflow)


def _pairs_in(tasks, nodes: set[str]) -> set[tuple[str, str]]:
    pairs = set()
    for task in tasks.values():
        target = getattr(task.task_spec, "bpmn_id", None)
        if target not in nodes or not task.has_state(REACHED):
            continue
        source = _bpmn_parent(task, nodes)
        if source is not None:
            pairs.add((source, target))
    return pairs


def taken_pairs(workflow, nodes: set[str], process_key: str | None = None) -> set[tuple[str, str]]:
    """(source id, target id) for every BPMN flow node reached in this workflow and its subprocesses.

    With ``process_key``, only in the trees that belong to that process (see the module text).
    """
    trees = [workflow] + list(workflow.subprocesses.values())
    pairs = set()
    for tree in trees:
        if process_key is None or process_of(workflow, tree) == process_key:
            pairs |= _pairs_in(tree.tasks, nodes)
    return pairs


def flow_coverage(db: Database, process_key: str, bpmn_file: str | Path) -> Coverage:
    """Which flows of ``process_key`` in ``bpmn_file`` the stored instances took, all versions together.

    Every stored instance is read, so a process that only ever runs through call activities
    (such as ``common_safeguarding_referral``) is measured too.
    """
    flows, nodes = read_flows(bpmn_file, process_key)
    by_pair = {(f.source, f.target): f.id for f in flows.values()}
    taken: set[str] = set()
    with db.transaction() as session:
        instances = session.scalars(select(models.ProcessInstance)).all()
        for instance in instances:
            workflow = repository.load(session.connection(), db.url, instance, use_cache=False).workflow
            taken.update(by_pair[p] for p in taken_pairs(workflow, nodes, process_key) if p in by_pair)
    return Coverage(flows, taken)
