"""`stepwise report NAME --from DAY --to DAY [--council C] [--team T] [--csv FILE]`."""
from __future__ import annotations

from datetime import date

from engine.store import connect

from . import REPORTS, Filters, export_csv


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        from engine.cli import UsageError

        raise UsageError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def cmd_report(args) -> int:
    from engine.cli import UsageError

    try:
        filters = Filters(_day(args.start), _day(args.end), council=args.council, team=args.team)
    except ValueError as error:
        raise UsageError(str(error)) from None
    db = connect(args.database_url)
    report = REPORTS[args.name](db, filters)
    if args.csv:
        count = export_csv(db, report, args.csv, filters, args.actor)
        print(f"{report.name}: {count} row(s) written to {args.csv}")
        return 0
    print(report.title)
    widths = [max([len(c)] + [len("" if r[i] is None else str(r[i])) for r in report.rows])
              for i, c in enumerate(report.columns)]
    print("  ".join(c.ljust(w) for c, w in zip(report.columns, widths)))
    for row in report.rows:
        print("  ".join(("" if v is None else str(v)).ljust(w) for v, w in zip(row, widths)))
    if not report.rows:
        print("(nothing in this period)")
    return 0


def register(commands) -> None:
    p = commands.add_parser("report", help="a report over a period, printed or exported as CSV")
    p.add_argument("name", choices=sorted(REPORTS))
    p.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", required=True, help="last day (inclusive), YYYY-MM-DD")
    p.add_argument("--council")
    p.add_argument("--team", help="the case's locality team")
    p.add_argument("--csv", help="write the report to this CSV file (audited as report.exported)")
    p.set_defaults(run=cmd_report)
