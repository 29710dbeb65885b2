"""CSV exports; each export is written to the audit table (`report.exported`) in the same
transaction as the file is written, so a failed write leaves no audit row and vice versa."""
from __future__ import annotations

import csv
import io
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


def _write(report: Report, handle) -> int:
    writer = csv.writer(handle)
    writer.writerow(report.columns)
    for row in report.rows:
        writer.writerow([_cell(v) for v in row])
    return len(report.rows)


def write_csv(report: Report, path: str | os.PathLike) -> int:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        return _write(report, handle)


def csv_text(report: Report) -> str:
    """The report as CSV text, as `write_csv` writes it to a file."""
    handle = io.StringIO(newline="")
    _write(report, handle)
    return handle.getvalue()


def _audit(conn, db: Database, report: Report, count: int, filename: str, filters: Filters, actor: str) -> None:
    unit = Unit(conn, db.url, actor)
    unit.audit("report.exported", report=report.name, rows=count, file=filename, **filters.describe())
    unit.flush_audit()


def export_csv(db: Database, report: Report, path: str | os.PathLike, filters: Filters, actor: str) -> int:
    """Write `report` as CSV to `path` and audit it; returns the number of data rows."""
    target = Path(path)
    with db.connection() as conn:
        count = write_csv(report, target)
        _audit(conn, db, report, count, target.name, filters, actor)
    return count


def download_csv(db: Database, report: Report, filename: str, filters: Filters, actor: str) -> str:
    """The CSV text of `report` for a download named `filename`, audited as `export_csv` audits a
    file (the audit row is committed before the text is handed back to be sent)."""
    text = csv_text(report)
    with db.connection() as conn:
        _audit(conn, db, report, len(report.rows), filename, filters, actor)
    return text
