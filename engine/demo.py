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


# Demo sign-in accounts for the task list, one or more per lane name the processes use (fictional
# people). Their password is $STEPWISE_DEMO_PASSWORD or the one in the README's demo section.
DEMO_USERS = [
    # username, display name, roles, team, locality
    ("sw.amira", "Amira Khan", ["social_worker", "lead_professional"], "Children in Need team", "Weston"),
    ("tm.jones", "Gareth Jones", ["team_manager", "locality_team_manager", "assessment_team_manager",
                                  "case_management_manager"], "Children in Need team", "Weston"),
    ("ehm.patel", "Priya Patel", ["early_help_manager", "targeted_eh_operational_manager",
                                  "lead_professional_line_manager"], "Early Help", "Weston"),
    ("ehw.byrne", "Niamh Byrne", ["early_help_worker", "early_help_social_worker", "family_coordinator",
                                  "strengthening_families_team", "locality_development_officer"], "Early Help", "Weston"),
    ("fsw.okafor", "Tobi Okafor", ["family_support_worker"], "Family Wellbeing", "Weston"),
    ("sl.hughes", "Rhian Hughes", ["support_leader"], "Family Wellbeing", "Weston"),
    ("fd.chen", "Wei Chen", ["front_door", "mash", "icart", "edt"], "Front Door", None),
    ("sm.green", "Olivia Green", ["service_manager", "icart_manager", "duty_manager", "locality_panel"], "Service management", None),
    ("ref.ward", "Sam Ward", ["referring_professional"], "Partner agencies", None),
    ("admin.lee", "Lee Admin", ["admin"], "Stepwise administration", None),  # deploys (REST API, Modeler)
]


def load_users(db: Database) -> int:
    """Create (or refresh) the demo accounts; returns how many."""
    import os

    from engine.tasklist import accounts

    password = os.environ.get("STEPWISE_DEMO_PASSWORD") or "stepwise-demo-2026"
    for username, name, roles, team, locality in DEMO_USERS:
        accounts.save_user(db, username, name, roles, password=password, team=team, locality=locality)
    return len(DEMO_USERS)


def load(db: Database, processes: Path) -> str:
    if not processes.is_dir() or not collect([processes]):
        return f"no process files in {processes}: nothing deployed (the process library arrives with its own issue)"
    load_users(db)
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
