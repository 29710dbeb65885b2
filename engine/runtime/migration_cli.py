"""`stepwise migrate KEY --from N --to M [--apply]`: the preview table, then (with --apply) the outcome."""
from __future__ import annotations

from engine.store import connect

from . import migration


def _print_preview(preview: migration.Preview) -> None:
    print(f"{preview.key}: version {preview.from_version} -> {preview.to_version}, "
          f"{len(preview.instances)} running instance(s)")
    if not preview.instances:
        return
    rows = [("instance", "case", "task", "state", "maps to", "changes")]
    for plan in preview.instances:
        tasks = plan.tasks or [None]
        for index, task in enumerate(tasks):
            rows.append((
                plan.instance_id if index == 0 else "", plan.business_key if index == 0 else "",
                task.element_id if task else "-", task.state if task else "-",
                (task.to_element or "(gone)") if task else "-", ", ".join(task.changes) if task else "",
            ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    refused = [plan for plan in preview.instances if not plan.migratable]
    for plan in refused:
        print(f"cannot migrate {plan.instance_id} ({plan.business_key}): {'; '.join(plan.reasons)}")
    print(f"{len(preview.instances) - len(refused)} can migrate, {len(refused)} cannot")


def cmd_migrate(args) -> int:
    db = connect(args.database_url)
    preview = migration.preview(db, args.key, args.from_version, args.to_version)
    _print_preview(preview)
    if not args.apply:
        if preview.instances:
            print("nothing changed: run again with --apply to migrate")
        return 0
    expected = {plan.instance_id: plan.version for plan in preview.instances}
    results = migration.apply(db, args.key, args.from_version, args.to_version, args.actor,
                              instance_ids=[p.instance_id for p in preview.instances if p.migratable],
                              expected_versions=expected)
    for result in results:
        if result.migrated:
            print(f"migrated {result.instance_id} ({result.business_key}) to version {args.to_version}")
        else:
            print(f"not migrated {result.instance_id}: {'; '.join(result.reasons)}")
    moved = sum(r.migrated for r in results)
    print(f"{moved} migrated, {len(preview.instances) - moved} left on version {args.from_version}")
    return 0 if moved == len(results) else 1


def register(commands) -> None:
    p = commands.add_parser("migrate", help="move running instances of a process to another deployed version")
    p.add_argument("key", help="the process key (BPMN process id)")
    p.add_argument("--from", dest="from_version", type=int, required=True, help="the version they run on now")
    p.add_argument("--to", dest="to_version", type=int, required=True, help="the version to move them to")
    p.add_argument("--apply", action="store_true", help="migrate (without it: preview only, nothing changes)")
    p.set_defaults(run=cmd_migrate)
