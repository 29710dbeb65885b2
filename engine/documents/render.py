"""Render one docxtpl template to .docx bytes: sandboxed Jinja, autoescaped, strict about names.

The context is the case (see `CASE_FIELDS`), the document's own facts (who, when, version) and
the task data. Option values come out as their form labels and checkboxes as Yes/No; a field
the catalogue lists but the data lacks (an optional or hidden field, an upstream task the case
did not pass) renders empty. Any other name is an error: `StrictUndefined` raises, so a template
that names a field no form provides never produces a quietly blank document.
"""
from __future__ import annotations

import io
import threading
from collections import OrderedDict
from typing import Any, Iterable, Mapping

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

# Names every template may use besides form fields: the case and the document's own facts.
CASE_FIELDS = frozenset({
    "case_reference", "council", "council_name", "address", "locality", "children", "household", "people",
    "child_name", "child_date_of_birth",
    "generated_on", "completed_by", "completed_on", "task_name", "document_id", "document_title", "version",
})

COUNCIL_NAMES = {
    "halton": "Halton Borough Council",
    "north_somerset": "North Somerset Council",
    "shropshire": "Shropshire Council",
    "swindon": "Swindon Borough Council",
    "warwickshire": "Warwickshire County Council",
}


class RenderError(Exception):
    """The template could not be rendered (bad template, unknown field, unsafe access)."""


class _Blank:
    """A field with no value: prints as nothing, iterates as an empty list, is false."""

    __slots__ = ()

    def __str__(self) -> str:
        return ""

    def __html__(self) -> str:
        return ""

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return False


BLANK = _Blank()


def _finalize(value: Any) -> Any:
    if value is None or value is BLANK:
        return ""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return value


class _Environment(SandboxedEnvironment):
    """The sandbox, remembering compiled sources: docxtpl compiles each part of a template (body,
    headers, footers) from a string on every render, and a template's parts rarely change."""

    CACHE_SIZE = 512

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._compiled: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        with self._lock:
            found = self._compiled.get(source)
            if found is not None:
                self._compiled.move_to_end(source)
                return found
        compiled = super().from_string(source)
        with self._lock:
            self._compiled[source] = compiled
            while len(self._compiled) > self.CACHE_SIZE:
                self._compiled.popitem(last=False)
        return compiled


_shared: _Environment | None = None


def environment() -> SandboxedEnvironment:
    """The sandboxed, autoescaping, strict environment every document renders in (shared, so
    compiled template parts are reused; docxtpl sets `autoescape`, which is already on)."""
    global _shared
    if _shared is None:
        _shared = _Environment(autoescape=True, undefined=StrictUndefined, finalize=_finalize)
    return _shared


def humanise(value: Any, key: str, labels: Mapping[str, Mapping[str, str]]) -> Any:
    """Option values to their labels (lists item by item, dynamiclist items field by field)."""
    options = labels.get(key)
    if isinstance(value, list):
        if options:
            return [options.get(v, v) if isinstance(v, str) else v for v in value]
        return [{k: humanise(v, f"{key}[].{k}", labels) for k, v in item.items()} if isinstance(item, Mapping) else item
                for item in value]
    if isinstance(value, Mapping):
        return {k: humanise(v, f"{key}.{k}", labels) for k, v in value.items()}
    if options and isinstance(value, str):
        return options.get(value, value)
    return value


def labels_of(forms: Iterable) -> dict[str, dict[str, str]]:
    """{field path: {option value: label}} over the given parsed forms (first form wins)."""
    found: dict[str, dict[str, str]] = {}
    for form in forms:
        if form is None:
            continue
        for field in form.fields():
            if field.options and field.key not in found:
                found[field.key] = dict(field.options)
    return found


def build_context(*, case: Mapping[str, Any], facts: Mapping[str, Any], data: Mapping[str, Any],
                  fields: Iterable[str], own_keys: Iterable[str] = (),
                  labels: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """The template's context. `fields`: the names the catalogue lists for the template (missing
    ones render empty); `own_keys`: the producing form's keys, which win over case names (a
    MARF's `child_name` is what the referrer wrote)."""
    labels = labels or {}
    own = set(own_keys)
    context: dict[str, Any] = {key: BLANK for key in fields if key not in CASE_FIELDS}
    for key, value in data.items():
        if key in CASE_FIELDS and key not in own:
            continue
        context[key] = humanise(value, key, labels)
    for key, value in {**case, **facts}.items():
        if key not in own or key not in data:
            context[key] = value
    return context


def render(template: bytes, context: Mapping[str, Any]) -> bytes:
    """The rendered .docx; `RenderError` on any template problem."""
    try:
        document = DocxTemplate(io.BytesIO(template))
        document.render(dict(context), jinja_env=environment(), autoescape=True)
        out = io.BytesIO()
        document.save(out)
    except Exception as error:  # noqa: BLE001 - jinja, security, XML and zip errors alike
        raise RenderError(f"{error.__class__.__name__}: {error}") from error
    return out.getvalue()


def template_fields(template: bytes) -> set[str]:
    """Every top-level name the template reads (loop variables excluded)."""
    return DocxTemplate(io.BytesIO(template)).get_undeclared_template_variables(jinja_env=environment())
