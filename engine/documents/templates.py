"""The template library: `docs_templates/` (or $STEPWISE_DOCS_TEMPLATES), its catalogue and files.

Templates are read from disk and kept while their file is unchanged (admins edit them in Word);
each document records the sha256 of the template bytes it was rendered from.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "docs_templates"


class TemplateMissing(LookupError):
    pass


@dataclass(frozen=True)
class Template:
    id: str
    title: str
    council: str
    fields: tuple[str, ...]
    upstream: dict[str, str]  # field -> form id
    producers: tuple[dict, ...]
    path: Path
    content: bytes
    sha256: str


class Library:
    def __init__(self, directory: Path | str):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._catalogue: tuple[float, dict[str, dict]] | None = None
        self._files: dict[Path, tuple[float, bytes, str]] = {}

    def catalogue(self) -> dict[str, dict]:
        path = self.directory / "catalogue.json"
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            raise TemplateMissing(f"no template catalogue at {path}") from None
        cached = self._catalogue
        if cached is None or cached[0] != mtime:
            entries = {e["id"]: e for e in json.loads(path.read_text())["documents"]}
            with self._lock:
                self._catalogue = cached = (mtime, entries)
        return cached[1]

    def _read(self, path: Path) -> tuple[bytes, str]:
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            raise TemplateMissing(f"template file {path.name} is missing") from None
        cached = self._files.get(path)
        if cached is None or cached[0] != mtime:
            content = path.read_bytes()
            cached = (mtime, content, hashlib.sha256(content).hexdigest())
            with self._lock:
                self._files[path] = cached
        return cached[1], cached[2]

    def get(self, template_id: str) -> Template:
        entry = self.catalogue().get(template_id)
        if entry is None:
            raise TemplateMissing(f"no template '{template_id}' in the catalogue")
        path = self.directory / entry.get("file", f"{template_id}.docx")
        content, sha = self._read(path)
        return Template(
            id=template_id, title=entry["title"], council=entry.get("council", ""), fields=tuple(entry.get("fields", ())),
            upstream=dict(entry.get("upstream") or {}), producers=tuple(entry.get("producers") or ()),
            path=path, content=content, sha256=sha,
        )


_active: Library | None = None


def library() -> Library:
    global _active
    if _active is None:
        _active = Library(os.environ.get("STEPWISE_DOCS_TEMPLATES") or DEFAULT_DIR)
    return _active


@contextlib.contextmanager
def using(directory: Path | str) -> Iterator[Library]:
    """Render from another template folder for a while (tests, a council's own set)."""
    global _active
    previous, _active = _active, Library(directory)
    try:
        yield _active
    finally:
        _active = previous
