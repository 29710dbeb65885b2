"""Pack builds for the admin pages: a case or meeting pack built off the request thread.

A page asks for a pack (`request`), which checks the request and queues a `pack_build` row; a
background thread (`start_in_background`, the web app's choice) or any other process
(`run_queued`, e.g. a worker) then builds it (`run`): the row moves queued -> building (n of m
steps, written as each step finishes so a status page can show it) -> done (the files are stored
on the row, so every app server can hand them out) or failed (with the reason). Claiming a
queued row is one conditional UPDATE, so two builders never build the same pack.
"""
from __future__ import annotations

import contextvars
import hashlib
import logging
import tempfile
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, func, select

from engine import clock
from engine.runtime.unit import Unit
from engine.store import models

from . import packs, store

log = logging.getLogger(__name__)
BUILDS = models.PackBuild.__table__
KINDS = ("case", "meeting")
FILES = {  # column -> (extension, media type)
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "zip": ("zip", "application/zip"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("pdf", "application/pdf"),
}
# A build whose row has not moved for this long lost its builder (the server stopped mid-build).
STALLED_AFTER = timedelta(minutes=15)
_LISTED = [c for c in BUILDS.c if c.name not in FILES]


class BuildRefused(ValueError):
    """The request names no pack that can be built; nothing was queued."""


@dataclass(frozen=True)
class Build:
    id: int
    kind: str
    target: str
    status: str
    steps_done: int
    steps_total: int
    step_label: str | None
    error: str | None
    name: str | None
    summary: dict | None
    requested_by: str
    requested_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    files: tuple[str, ...] = ()

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def title(self) -> str:
        return f"Case pack {self.target}" if self.kind == "case" else f"Transfer meeting pack {self.target}"


def _audit(conn, db, actor: str, action: str, **details) -> None:
    unit = Unit(conn, db.url, actor)
    unit.audit(action, **details)
    unit.flush_audit()


def request(db, kind: str, target: str, actor: str) -> int:
    """Queue a build after checking there is something to build; BuildRefused (nothing written) if not."""
    target = (target or "").strip()
    if kind not in KINDS:
        raise BuildRefused("Choose a case pack or a meeting pack")
    if not target:
        raise BuildRefused("Enter the case reference" if kind == "case" else "Choose the meeting")
    with db.connection() as conn:
        if kind == "case":
            if not store.for_case(conn, target):
                raise BuildRefused(f"Case {target} has no documents, or there is no such case")
        else:
            try:
                agenda = packs.meeting_agenda(conn, target)
            except packs.PackError as error:
                raise BuildRefused(str(error)) from None
            if not agenda:
                raise BuildRefused(f"No case is on the agenda of the transfer meeting of {target}")
        now = clock.now()
        build_id = conn.execute(BUILDS.insert().returning(BUILDS.c.id), dict(
            kind=kind, target=target, status="queued", steps_done=0, steps_total=0, requested_by=actor,
            requested_at=now, updated_at=now)).scalar_one()
        _audit(conn, db, actor, "pack.requested", business_key=target if kind == "case" else None,
               build_id=build_id, kind=kind, target=target)
    return build_id


def _update(db, build_id: int, **values) -> None:
    with db.connection() as conn:
        conn.execute(BUILDS.update().where(BUILDS.c.id == build_id).values(updated_at=clock.now(), **values))


def _claim(db, build_id: int) -> bool:
    with db.connection() as conn:
        claimed = conn.execute(BUILDS.update().where(BUILDS.c.id == build_id, BUILDS.c.status == "queued")
                               .values(status="building", updated_at=clock.now(), step_label="starting"))
        return claimed.rowcount == 1


def run(db, build_id: int, *, pdf: bool = True) -> Build | None:
    """Build a queued pack (None if another builder has it already); never raises for a pack that
    cannot be built: the row says failed, with the reason."""
    if not _claim(db, build_id):
        return None
    row = get(db, build_id)

    def progress(done: int, total: int, label: str) -> None:
        _update(db, build_id, steps_done=done, steps_total=total, step_label=label[:200])

    try:
        with tempfile.TemporaryDirectory(prefix="stepwise-pack-") as out:
            if row.kind == "case":
                pack = packs.case_pack(db, row.target, Path(out), pdf=pdf, progress=progress)
            else:
                pack = packs.meeting_pack(db, row.target, Path(out), pdf=pdf, progress=progress)
            files = {"docx": pack.docx.read_bytes(), "zip": pack.zip.read_bytes(),
                     "xlsx": pack.xlsx.read_bytes() if pack.xlsx else None, "pdf": pack.pdf.read_bytes() if pack.pdf else None}
    except Exception as error:  # noqa: BLE001 - whatever stopped it, the admin sees why on the status page
        log.exception("pack build %s failed", build_id)
        reason = str(error) if isinstance(error, packs.PackError) else f"{type(error).__name__}: {error}"
        _update(db, build_id, status="failed", error=reason[:2000], finished_at=clock.now())
        return get(db, build_id)
    summary = {"cases": pack.cases, "documents": [d.filename for d in pack.documents],
               "sha256": {k: hashlib.sha256(v).hexdigest() for k, v in files.items() if v is not None}}
    _update(db, build_id, status="done", name=pack.name, summary=summary, finished_at=clock.now(),
            step_label="done", **files)
    return get(db, build_id)


def run_queued(db, *, pdf: bool = True) -> int:
    """Build every queued pack, oldest first (for a worker or the command line); returns how many."""
    with db.reader() as session:
        queued = list(session.execute(select(BUILDS.c.id).where(BUILDS.c.status == "queued").order_by(BUILDS.c.id)).scalars())
    return sum(1 for build_id in queued if run(db, build_id, pdf=pdf) is not None)


def start_in_background(db, build_id: int, *, pdf: bool = True) -> threading.Thread:
    # The thread runs in a copy of the caller's context, so it keeps the caller's clock.
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(run, db, build_id), kwargs={"pdf": pdf},
                              name=f"pack-build-{build_id}", daemon=True)
    thread.start()
    return thread


def _of(row, files=()) -> Build:
    return Build(**{c.name: getattr(row, c.name) for c in _LISTED}, files=tuple(files))


def get(db, build_id: int) -> Build | None:
    """The build (files named, not loaded); a build left 'building' by a stopped server is failed."""
    present = [func.length(BUILDS.c[name]).isnot(None).label(f"has_{name}") for name in FILES]
    with db.reader() as session:
        row = session.execute(select(*_LISTED, *present).where(BUILDS.c.id == build_id)).first()
    if row is None:
        return None
    build = _of(row, [name for name in FILES if getattr(row, f"has_{name}")])
    if build.status == "building" and clock.now() - build.updated_at > STALLED_AFTER:
        with db.connection() as conn:
            conn.execute(BUILDS.update().where(BUILDS.c.id == build_id, BUILDS.c.status == "building",
                                               BUILDS.c.updated_at == build.updated_at)
                         .values(status="failed", error="The build stopped (the server restarted?): build it again.",
                                 finished_at=clock.now(), updated_at=clock.now()))
        return get(db, build_id)
    return build


def recent(db, limit: int = 20) -> list[Build]:
    with db.reader() as session:
        rows = session.execute(select(*_LISTED).order_by(BUILDS.c.id.desc()).limit(limit)).all()
    return [_of(row) for row in rows]


def file(db, build_id: int, name: str, actor: str) -> tuple[str, str, bytes] | None:
    """(download name, media type, bytes) of a finished build's file, audited as pack.downloaded."""
    if name not in FILES:
        return None
    with db.connection() as conn:
        row = conn.execute(select(BUILDS.c.kind, BUILDS.c.target, BUILDS.c.name, BUILDS.c.status, BUILDS.c[name])
                           .where(BUILDS.c.id == build_id)).first()
        if row is None or row.status != "done" or row[4] is None:
            return None
        _audit(conn, db, actor, "pack.downloaded", business_key=row.target if row.kind == "case" else None,
               build_id=build_id, file=name)
    extension, media_type = FILES[name]
    return f"{row.name}.{extension}", media_type, bytes(row[4])


@dataclass(frozen=True)
class Meeting:
    id: str
    day: date
    cases: list[str]


def meetings(db) -> list[Meeting]:
    """Swindon's Tuesday transfer meetings that have cases on their agenda: the days cases wait
    for (their timer) or whose meeting task opened, newest first."""
    docs = store.DOCUMENTS
    instances = models.ProcessInstance.__table__
    human = models.HumanTask.__table__
    with_sheet = select(docs.c.instance_id).where(docs.c.template_id == packs.TRANSFER_TEMPLATE)
    with db.reader() as session:
        conn = session.connection()
        moments = list(conn.execute(select(instances.c.next_timer_due).distinct().where(
            instances.c.state == "running", instances.c.next_timer_due.isnot(None),
            instances.c.id.in_(with_sheet))).scalars())
        moments += list(conn.execute(select(human.c.created_at).distinct().where(
            and_(human.c.element_id == packs.TRANSFER_MEETING_TASK, human.c.instance_id.in_(with_sheet)))).scalars())
        days = sorted({m.astimezone(packs.LONDON).date() for m in moments}, reverse=True)
        found = []
        for day in days:
            agenda = packs.meeting_agenda(conn, day.isoformat())
            if agenda:
                found.append(Meeting(day.isoformat(), day, [d.business_key for d in agenda]))
    return found
