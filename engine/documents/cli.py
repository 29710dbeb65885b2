"""`stepwise pack case KEY` and `stepwise pack meeting ID`, with a progress bar."""
from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from engine.store import connect

from . import packs


class _Bar:
    """A tqdm bar created on the first report, once the total is known."""

    def __init__(self, description: str):
        self.description = description
        self.bar = None

    def __call__(self, done: int, total: int, label: str) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, desc=self.description, unit="step", file=sys.stderr, leave=False)
        self.bar.set_postfix_str(label[:40])
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _report(pack: packs.Pack) -> None:
    print(f"{len(pack.documents)} document(s) from {len(pack.cases)} case(s)")
    for path in (pack.docx, pack.zip, pack.xlsx, pack.pdf):
        if path is not None:
            print(f"  {path}")
    if pack.pdf is None:
        print("  (no PDF: LibreOffice is not installed or --no-pdf was given)")


def cmd_pack(args) -> int:
    db = connect(args.database_url)
    bar = _Bar(f"{args.kind} pack")
    try:
        if args.kind == "case":
            pack = packs.case_pack(db, args.id, Path(args.out), pdf=not args.no_pdf, progress=bar)
        else:
            pack = packs.meeting_pack(db, args.id, Path(args.out), pdf=not args.no_pdf, progress=bar)
    except packs.PackError as error:
        bar.close()
        print(f"stepwise pack: {error}", file=sys.stderr)
        return 1
    bar.close()
    _report(pack)
    return 0


def register(commands) -> None:
    p = commands.add_parser("pack", help="build a case pack or a meeting pack (merged .docx, .zip, .xlsx, PDF)")
    p.add_argument("kind", choices=("case", "meeting"))
    p.add_argument("id", help="the case reference, or the meeting's date (e.g. 2026-12-01)")
    p.add_argument("--out", default="packs", help="folder for the pack files (default: packs/)")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDF even when LibreOffice is installed")
    p.set_defaults(run=cmd_pack)
