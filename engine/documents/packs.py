"""Packs for admins: a case pack and a meeting pack (Swindon's Tuesday transfer meeting).

Case pack: every current document of a case (the newest version of each template), merged into
one .docx with docxcompose behind a cover page and contents list; a .zip of the originals with
`manifest.json` (sha256 of every file); a PDF of the merged file when LibreOffice is installed.

Meeting pack: every case on the agenda of one Tuesday 4pm transfer meeting (a case whose
transfer spreadsheet is done and whose step-down waits for that meeting, or whose transfer
meeting task was opened that day), the transfer spreadsheet as .xlsx with all its headings, the
cases' current documents merged, and a .zip with a manifest.

`progress(done, total, label)` is called as each step finishes (the CLI draws a bar from it).
"""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.text import WD_BREAK
from docxcompose.composer import Composer
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import and_, func, or_, select

from engine import clock
from engine.store import models

from . import store
from .docxutil import drop_unneeded_parts, prune_styles
from .listener import case_context

LONDON = ZoneInfo("Europe/London")
TRANSFER_TEMPLATE = "swindon_transfer_spreadsheet"
TRANSFER_MEETING_TASK = "transfer_meeting"
TRANSFER_MEETING_AT = time(16, 0)
# The transfer spreadsheet's headings: the case, then every field of the form that fills it.
TRANSFER_HEADINGS: tuple[tuple[str, str], ...] = (
    ("Case reference", "case_reference"),
    ("Child", "child_name"),
    ("Date of birth", "child_date_of_birth"),
    ("Locality where the child lives", "child_locality"),
    ("School or early years setting", "school_or_setting"),
    ("Reason for step-down", "reason_for_step_down"),
    ("Other agencies involved", "agencies_involved"),
    ("Proposed plan", "proposed_plan"),
    ("Risks and what would mean stepping back up", "risks_and_contingency"),
    ("Date the spreadsheet was updated", "spreadsheet_updated_on"),
    ("Line manager's decision", "tm_decision"),
    ("Social worker", "actor"),
)

Progress = Callable[[int, int, str], None]


class PackError(Exception):
    pass


@dataclass
class Pack:
    name: str
    docx: Path
    zip: Path
    documents: list[store.StoredDocument]
    xlsx: Path | None = None
    pdf: Path | None = None
    cases: list[str] = field(default_factory=list)


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _page_break_before(document) -> None:
    first = document.paragraphs[0] if document.paragraphs else document.add_paragraph()
    first.insert_paragraph_before().add_run().add_break(WD_BREAK.PAGE)


def merge(title: str, lines: list[str], entries: list[tuple[store.StoredDocument, bytes]], tick=lambda label: None) -> bytes:
    """Cover page (title, lines, contents list), then each document on a new page, in order."""
    cover = Document()
    cover.add_heading(title, level=0)
    for line in lines:
        cover.add_paragraph(line)
    cover.add_heading("Contents", level=1)
    for number, (doc, _content) in enumerate(entries, 1):
        created = doc.created_at.astimezone(LONDON).strftime("%d %B %Y %H:%M")
        cover.add_paragraph(f"{number}. {doc.title} ({doc.business_key}, version {doc.version}, {created}, "
                            f"sha256 {doc.sha256[:12]})")
    drop_unneeded_parts(cover)
    prune_styles(cover)  # docxcompose walks the master's styles for every element it appends
    composer = Composer(cover)
    for doc, content in entries:
        part = Document(io.BytesIO(content))
        _page_break_before(part)
        composer.append(part)
        tick(doc.title)
    out = io.BytesIO()
    composer.save(out)
    return out.getvalue()


def to_pdf(docx: Path, out_dir: Path) -> Path | None:
    """The PDF of a .docx via LibreOffice headless (its own profile per call); None when not installed."""
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        return None
    with tempfile.TemporaryDirectory(prefix="stepwise-lo-") as profile:
        subprocess.run([office, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out_dir), str(docx)], check=True, capture_output=True, timeout=300)
    pdf = out_dir / (docx.stem + ".pdf")
    return pdf if pdf.exists() else None


def _write_zip(path: Path, files: list[tuple[str, bytes]], manifest: dict) -> None:
    manifest["files"] = [{"name": name, "sha256": _sha(content), "size": len(content)} for name, content in files]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name, content)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, default=str))


def _describe(doc: store.StoredDocument) -> dict:
    return {"file": doc.filename, "document_id": doc.id, "template": doc.template_id, "template_sha256": doc.template_sha256,
            "version": doc.version, "business_key": doc.business_key, "task_id": doc.task_id, "actor": doc.actor,
            "created_at": doc.created_at.isoformat(), "sha256": doc.sha256}


def _steps(progress: Progress | None, total: int):
    done = 0

    def tick(label: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, label)

    return tick


def _finish(name: str, out_dir: Path, merged: bytes, entries, extra: list[tuple[str, bytes]], manifest: dict,
            *, pdf: bool, tick) -> Pack:
    out_dir.mkdir(parents=True, exist_ok=True)
    docx = out_dir / f"{name}.docx"
    docx.write_bytes(merged)
    files = [(doc.filename, content) for doc, content in entries] + extra + [(docx.name, merged)]
    manifest["documents"] = [_describe(doc) for doc, _ in entries]
    archive = out_dir / f"{name}.zip"
    _write_zip(archive, files, manifest)
    tick("zip and manifest")
    pdf_path = to_pdf(docx, out_dir) if pdf else None
    tick("pdf" if pdf_path else "pdf skipped")
    return Pack(name=name, docx=docx, zip=archive, documents=[doc for doc, _ in entries], pdf=pdf_path)


def case_pack(db, business_key: str, out_dir: Path | str, *, pdf: bool = True, progress: Progress | None = None) -> Pack:
    with db.reader() as session:
        conn = session.connection()
        docs = store.for_case(conn, business_key)
        if not docs:
            raise PackError(f"case {business_key} has no documents")
        tick = _steps(progress, len(docs) * 2 + 2)
        entries = []
        for doc in docs:
            entries.append((doc, store.content(conn, doc.id)))
            tick(f"read {doc.filename}")
    generated = clock.now()
    lines = [f"Case reference: {business_key}",
             f"Generated by Stepwise on {generated.astimezone(LONDON):%d %B %Y %H:%M}",
             f"{len(docs)} document(s), the current version of each"]
    merged = merge(f"Case pack: {business_key}", lines, entries, tick)
    name = f"case-pack-{business_key}".replace("/", "-")
    manifest = {"kind": "case_pack", "business_key": business_key, "generated_at": generated.isoformat()}
    pack = _finish(name, Path(out_dir), merged, entries, [], manifest, pdf=pdf, tick=tick)
    pack.cases = [business_key]
    return pack


def _meeting_day(meeting_id: str) -> date:
    text = meeting_id.removeprefix("swindon-transfer-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PackError(f"a meeting id is the meeting's date, e.g. 2026-12-01 (got '{meeting_id}')") from None


def meeting_agenda(conn, meeting_id: str) -> list[store.StoredDocument]:
    """The current transfer spreadsheet of every case on that Tuesday's transfer meeting agenda."""
    day = _meeting_day(meeting_id)
    start = datetime.combine(day, time(0, 0), LONDON)
    end = datetime.combine(day, time(23, 59, 59), LONDON)
    docs = store.DOCUMENTS
    instances = models.ProcessInstance.__table__
    human = models.HumanTask.__table__
    newest = (select(docs.c.business_key, func.max(docs.c.version).label("v"))
              .where(docs.c.template_id == TRANSFER_TEMPLATE).group_by(docs.c.business_key).subquery())
    meeting_opened = (select(human.c.id).where(human.c.instance_id == docs.c.instance_id,
                                               human.c.element_id == TRANSFER_MEETING_TASK,
                                               human.c.created_at >= start, human.c.created_at <= end).exists())
    waiting = and_(instances.c.state == "running", instances.c.next_timer_due >= start, instances.c.next_timer_due <= end)
    query = (select(*store._LISTED)
             .join(newest, and_(newest.c.business_key == docs.c.business_key, newest.c.v == docs.c.version))
             .join(instances, instances.c.id == docs.c.instance_id)
             .where(docs.c.template_id == TRANSFER_TEMPLATE, or_(waiting, meeting_opened))
             .order_by(docs.c.business_key))
    return [store.StoredDocument.of(row) for row in conn.execute(query)]


def transfer_spreadsheet(rows: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Transfer spreadsheet"
    sheet.append([heading for heading, _ in TRANSFER_HEADINGS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(["" if row.get(key) is None else str(row.get(key)) for _, key in TRANSFER_HEADINGS])
    for index, (heading, _) in enumerate(TRANSFER_HEADINGS, 1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(14, min(40, len(heading) + 4))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def meeting_pack(db, meeting_id: str, out_dir: Path | str, *, pdf: bool = True, progress: Progress | None = None) -> Pack:
    day = _meeting_day(meeting_id)
    with db.reader() as session:
        conn = session.connection()
        agenda = meeting_agenda(conn, meeting_id)
        if not agenda:
            raise PackError(f"no case is on the agenda of the transfer meeting of {day.isoformat()}")
        cases = [doc.business_key for doc in agenda]
        all_docs = [doc for key in cases for doc in store.for_case(conn, key)]
        tick = _steps(progress, len(all_docs) * 2 + 3)
        entries = []
        for doc in all_docs:
            entries.append((doc, store.content(conn, doc.id)))
            tick(f"read {doc.filename}")
        rows = []
        for doc in agenda:
            case = case_context(conn, doc.business_key)
            rows.append({**doc.fields, "case_reference": doc.business_key, "child_name": case["child_name"],
                         "child_date_of_birth": case["child_date_of_birth"], "actor": doc.actor})
    sheet = transfer_spreadsheet(rows)
    tick("transfer spreadsheet")
    generated = clock.now()
    name = f"swindon-transfer-meeting-{day.isoformat()}"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    xlsx = out / f"{name}.xlsx"
    xlsx.write_bytes(sheet)
    lines = [f"Swindon Borough Council: Tuesday transfer meeting, {day:%A %d %B %Y} at 4pm",
             f"Generated by Stepwise on {generated.astimezone(LONDON):%d %B %Y %H:%M}",
             "On the agenda: " + ", ".join(cases)]
    merged = merge(f"Transfer meeting pack: {day.isoformat()}", lines, entries, tick)
    manifest = {"kind": "meeting_pack", "meeting": day.isoformat(), "cases": cases, "generated_at": generated.isoformat()}
    pack = _finish(name, out, merged, entries, [(xlsx.name, sheet)], manifest, pdf=pdf, tick=tick)
    pack.xlsx, pack.cases = xlsx, cases
    return pack
