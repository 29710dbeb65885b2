"""Demo data: deploy processes/ and start a few fictional cases so every role has work to see."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine import runtime
from engine.catalog import collect, deploy
from engine.store import models
from engine.store.db import Database

# Fictional families; any resemblance to real people is accidental.
DEMO_CASES = [
    ("DEMO-0001", {"council": "halton", "locality": "Widnes", "address": "1 Example Row, Widnes",
                   "children": [{"name": "Ava Example", "date_of_birth": "2014-05-02", "case_system_number": "LCS100001"}],
                   "household": [{"name": "Jo Example", "relationship_to_child": "mother"}]}),
    ("DEMO-0002", {"council": "swindon", "locality": "North", "address": "2 Sample Street, Swindon",
                   "children": [{"name": "Leo Sample", "date_of_birth": "2017-09-14"},
                                {"name": "Mia Sample", "date_of_birth": "2019-01-30"}]}),
]


def load(db: Database, processes: Path) -> str:
    if not processes.is_dir() or not collect([processes]):
        return f"no process files in {processes}: nothing deployed (the process library arrives with its own issue)"
    result = deploy(db, collect([processes]), name="processes", actor="demo", source="demo")
    with db.reader() as session:
        keys = sorted(set(session.scalars(select(models.ProcessDefinition.key))))
        existing = set(session.scalars(select(models.Case.business_key)))
    started = 0
    for business_key, case in DEMO_CASES:
        if business_key in existing or not keys:
            continue
        council_keys = [k for k in keys if k.startswith(case["council"])] or keys
        step_downs = [k for k in council_keys if "step_down" in k] or council_keys
        runtime.start(db, step_downs[0], business_key, {}, "demo", case=case)
        started += 1
    return f"deployment {result.deployment_id} ({len(keys)} processes); {started} demo case(s) started"
