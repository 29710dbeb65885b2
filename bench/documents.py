"""Documents benchmark: time to render one document, and to build a 10-document case pack.

What it measures
1. Render: every template in docs_templates/ rendered from data filled in for its producing
   form (every field, two rows in each list) and a case with a child and a parent: docxtpl with
   the sandboxed, autoescaped environment, to .docx bytes, plus the sha256 the store keeps.
   Median of N renders per template (N=30, 10 with --quick); the table gives the median and the
   slowest template.
2. In the transaction: `runtime.complete` of Halton's "Early Intervention step-down form" task
   (SQLite in a temporary directory), with the document listener on and off, median over
   instances; the difference is what the document adds to a completion.
3. Pack: a case with 10 stored documents (each template rendered and stored), `packs.case_pack`
   without PDF (merge with docxcompose behind a cover and contents, zip of the originals,
   manifest); median of 5 (3 with --quick).

Run (from the project root, venv active):
    python bench/documents.py [--quick] [--write-readme]
"""
from __future__ import annotations

import argparse
import hashlib
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import clock, runtime  # noqa: E402
from engine.catalog import collect, deploy  # noqa: E402
from engine.documents import packs, render, store, templates  # noqa: E402
from engine.documents.listener import on_events  # noqa: E402
from engine.forms import parse_form  # noqa: E402
from engine.runtime import repository  # noqa: E402
from engine.store import connect  # noqa: E402

PROCESSES = ROOT / "processes"
CASE = {"case_reference": "BENCH-1", "council": "halton", "council_name": "Halton Borough Council",
        "address": "1 Example Street, Widnes", "locality": "widnes", "children": [], "household": [],
        "people": [{"name": "Riley Example", "date_of_birth": "2015-06-02", "role": "child", "relationship_to_child": None},
                   {"name": "Sam Example", "date_of_birth": None, "role": "household", "relationship_to_child": "Mother"}],
        "child_name": "Riley Example", "child_date_of_birth": "2015-06-02"}


def sample(form) -> dict:
    def value(field, i=0):
        if field.type == "checkbox":
            return True
        if field.type == "datetime":
            return f"2026-12-0{i + 1}"
        if field.options:
            return [field.options[0][0]] if field.type == "checklist" else field.options[0][0]
        return f"{field.label} & notes <{i}> \"quoted\" " * 3

    data = {}
    for field in form.fields():
        if "[]" in field.key:
            continue
        if field.type == "dynamiclist":
            children = [f for f in form.fields() if f.key.startswith(field.key + "[].")]
            data[field.key] = [{c.key.split("[].", 1)[1]: value(c, i) for c in children} for i in range(2)]
        else:
            data[field.key] = value(field)
    return data


def contexts():
    forms = {f.stem: parse_form(f.read_text(), str(f)) for f in PROCESSES.rglob("*.form")}
    library = templates.library()
    for template_id in sorted(library.catalogue()):
        template = library.get(template_id)
        form = forms[template.producers[0]["form"]]
        facts = {"generated_on": "23 November 2026 09:00", "completed_by": "bench", "completed_on": "23 November 2026",
                 "task_name": "Bench", "document_id": template_id, "document_title": template.title, "version": 1}
        yield template, render.build_context(case=CASE, facts=facts, data=sample(form), fields=template.fields,
                                             own_keys=form.field_keys(), labels=render.labels_of([form]))


def bench_render(n: int) -> dict[str, float]:
    figures = {}
    for template, context in contexts():
        render.render(template.content, context)  # warm-up
        times = []
        for _ in range(n):
            started = time.perf_counter()
            hashlib.sha256(render.render(template.content, context)).hexdigest()
            times.append(time.perf_counter() - started)
        figures[template.id] = statistics.median(times) * 1000
    return figures


def halton_to_ei_form(db, fixed, key):
    fixed.set("2026-11-23T09:00:00+00:00")
    runtime.start(db, "halton_step_down", key, {"cin_plan_reviewed": True}, "sw",
                  case={"council": "halton", "children": [{"name": "Riley Example"}]})
    task = runtime.tasks(db, business_key=key)[0]
    runtime.complete(db, task.id, {
        "locality": "widnes", "meeting_date": "2026-12-01", "meeting_time": "10:00", "venue": "Centre",
        "synopsis_of_work": "CIN work.", "outstanding_actions": [], "suggested_lead_professional": "Mentor",
        "invite_sent_on": "2026-11-23"}, "sw")
    fixed.set("2026-12-01T10:00:01+00:00")
    runtime.fire_due_timers(db, fixed.now())
    task = runtime.tasks(db, business_key=key)[0]
    runtime.complete(db, task.id, {
        "meeting_held_on": "2026-12-01", "attendees": ["social_worker"], "outstanding_needs": "Routines.",
        "family_views": "Agreed.", "cin_outcome": "step_down_caf", "outcome_rationale": "Agreed.",
        "first_caf_review_date": "2027-01-12", "lead_professional": "Learning mentor"}, "sw")
    return [t for t in runtime.tasks(db, business_key=key) if t.element_id == "ei_step_down_form"][0]


EI_FORM = {"outcome_confirmed": True, "ei_overview": "Meeting held; plan agreed.",
           "actions_agreed": [{"action": f"Action {i}", "owner": "EI worker", "due": "2026-12-10"} for i in range(5)],
           "ei_form_completed_on": "2026-12-01"}


def bench_transaction(folder: Path, n: int) -> tuple[float, float]:
    db = connect(f"sqlite:///{folder / 'tx.db'}")
    fixed = clock.FixedClock("2026-11-23T09:00:00+00:00")
    with clock.using(fixed):
        deploy(db, collect([PROCESSES]), name="bench", actor="bench")
        results = {True: [], False: []}
        for i in range(2 * n + 2):
            listening = i % 2 == 0
            task = halton_to_ei_form(db, fixed, f"TX-{i}")
            (runtime.subscribe if listening else runtime.unsubscribe)(on_events)
            started = time.perf_counter()
            runtime.complete(db, task.id, EI_FORM, "ei")
            elapsed = time.perf_counter() - started
            runtime.unsubscribe(on_events)
            if i >= 2:  # the first of each kind warms caches
                results[listening].append(elapsed)
    db.dispose()
    return statistics.median(results[True]) * 1000, statistics.median(results[False]) * 1000


def bench_pack(folder: Path, n: int) -> float:
    db = connect(f"sqlite:///{folder / 'pack.db'}")
    with clock.using(clock.FixedClock("2026-11-23T09:00:00+00:00")):
        with db.connection() as conn:
            for template, context in list(contexts())[:10]:
                store.insert(conn, business_key="PACK-1", instance_id="bench", task_id="bench", template_id=template.id,
                             template_sha256=template.sha256, version=1, title=template.title,
                             content=render.render(template.content, context), fields={}, actor="bench")
        assert len(store.documents(db, "PACK-1")) == 10
        times = []
        for i in range(n + 1):
            started = time.perf_counter()
            packs.case_pack(db, "PACK-1", folder / f"pack{i}", pdf=False)
            if i:
                times.append(time.perf_counter() - started)
    db.dispose()
    return statistics.median(times) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--write-readme", action="store_true", help="put the table in README.md (bench:documents)")
    args = parser.parse_args(argv)
    repository.cache.clear()
    renders = bench_render(10 if args.quick else 30)
    with tempfile.TemporaryDirectory() as tmp:
        with_doc, without_doc = bench_transaction(Path(tmp), 3 if args.quick else 8)
        pack_ms = bench_pack(Path(tmp), 3 if args.quick else 5)
    slowest = max(renders, key=renders.get)
    lines = [
        "| measure | figure | goal |",
        "|---|---|---|",
        f"| render one document (median over {len(renders)} templates) | {statistics.median(renders.values()):.1f} ms | < 50 ms |",
        f"| slowest template ({slowest}) | {renders[slowest]:.1f} ms | < 50 ms |",
        f"| `runtime.complete` of a task that makes a document (SQLite) | {with_doc:.1f} ms "
        f"(without the document: {without_doc:.1f} ms) | |",
        f"| case pack of 10 documents, merged .docx + zip + manifest, no PDF | {pack_ms:.0f} ms | < 1 s |",
        "",
        f"_{platform.python_implementation()} {platform.python_version()}, {platform.machine()}, "
        f"{'quick run' if args.quick else 'full run'}; `python bench/documents.py`_",
    ]
    table = "\n".join(lines)
    print(table)
    if args.write_readme:
        readme = ROOT / "README.md"
        content = readme.read_text()
        block = f"<!-- bench:documents -->\n{table}\n<!-- /bench:documents -->"
        content, count = re.subn(r"<!-- bench:documents -->.*?<!-- /bench:documents -->", lambda _m: block, content,
                                 flags=re.S)
        if count != 1:
            print("README.md has no bench:documents block", file=sys.stderr)
            return 1
        readme.write_text(content)
    return 0


if __name__ == "__main__":
    sys.exit(main())
