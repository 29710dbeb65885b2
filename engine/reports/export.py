"""CSV exports; each export is written to the audit table (`report.exported`) in the same
transaction as the file is written, so a failed write leaves no audit row and vice versa."""
from __future__ import annotations

import csv
import os
from datetime import date, datetime
from pathlib import Path

from engine.runtime.unit import Unit
from engine.store.db import Database

from .queries import Report
from .period import Filters


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    text = str(value)
    # A cell starting with = + - @ is a formula to a spreadsheet: keep it text (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def write_csv(report: Report, path: str | os.PathLike) -> int:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(report.columns)
        for row in report.rows:
            writer.writerow([_cell(v) for v in row])
    return len(report.rows)


def export_csv(db: Database, report: Report, path: str | os.PathLike, filters: Filters, actor: str) -> int:
    """Write `report` as CSV to `path` and audit it; returns the number of data rows."""
    target = Path(path)
    with db.connection() as conn:
        unit = Unit(conn, db.url, actor)
        count = write_csv(report, target)
        unit.audit("report.exported", report=report.name, rows=count, file=target.name, **filters.describe())
        unit.flush_audit()
    return count
