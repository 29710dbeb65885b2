"""A Camunda Form as GOV.UK components: the form's component tree, with values and errors, as
plain `Widget`s the task page's macros render server-side.

HTML names are data paths (``decision``, ``meeting.date``, ``actions[0].owner``; GOV.UK date
inputs add ``-day``/``-month``/``-year``), so ``engine.forms.nest(form, request.form)`` turns a
post back into the data ``validate`` reads, and errors come back under the same names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from markupsafe import Markup, escape

from engine import forms
from engine.forms.model import Component

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def html_id(name: str) -> str:
    return "f-" + _ID_UNSAFE.sub("-", name).strip("-")


@dataclass
class Widget:
    kind: str  # field | group | list | text
    type: str  # form-js type
    name: str = ""  # the HTML name (data path with item numbers)
    id: str = ""
    label: str = ""
    hint: str | None = None
    required: bool = False
    readonly: bool = False
    subtype: str | None = None
    value: Any = None  # text / list of chosen values / {"day","month","year"} / bool
    error: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    children: list["Widget"] = field(default_factory=list)  # group
    items: list[list["Widget"]] = field(default_factory=list)  # list: each item's widgets
    addable: bool = True
    hidden: bool = False  # conditional.hide is true for the data shown
    hide_source: str | None = None
    html: Markup | None = None  # text


def markdown(text: str) -> Markup:
    """The small part of markdown the forms use (headings, bullet lists, paragraphs, **bold**), escaped."""
    out: list[str] = []
    paragraph: list[str] = []
    bullets: list[str] = []

    def inline(line: str) -> str:
        return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", str(escape(line)))

    def flush() -> None:
        if paragraph:
            out.append(f'<p class="govuk-body">{inline(" ".join(paragraph))}</p>')
            paragraph.clear()
        if bullets:
            out.append('<ul class="govuk-list govuk-list--bullet">' + "".join(f"<li>{inline(b)}</li>" for b in bullets) + "</ul>")
            bullets.clear()

    for line in text.splitlines():
        stripped = line.strip()
        heading = re.match(r"(#{1,6})\s+(.*)", stripped)
        if not stripped:
            flush()
        elif heading:
            flush()
            size = "m" if len(heading.group(1)) <= 1 else "s"
            out.append(f'<h2 class="govuk-heading-{size}">{inline(heading.group(2))}</h2>')
        elif re.match(r"[-*]\s+", stripped):
            if paragraph:
                flush()
            bullets.append(re.sub(r"^[-*]\s+", "", stripped))
        else:
            if bullets:
                flush()
            paragraph.append(stripped)
    flush()
    return Markup("".join(out))


def _get(data: Any, key: str | None) -> Any:
    if key is None:
        return data
    for part in key.split("."):
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


def _display(node: Component, value: Any) -> Any:
    if node.type == "checklist":
        return [str(v) for v in value] if isinstance(value, list) else ([value] if isinstance(value, str) and value else [])
    if node.type == "checkbox":
        return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "on", "yes", "1"))
    if node.type == "datetime" and (node.subtype or "date") == "date":
        if isinstance(value, Mapping):
            return {p: str(value.get(p) or "") for p in ("day", "month", "year")}
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            year, month, day = value.split("-")
            return {"day": day.lstrip("0"), "month": month.lstrip("0"), "year": year}
        return {"day": "", "month": "", "year": ""}
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def build(form: forms.Form, data: Mapping[str, Any] | None, errors: Mapping[str, str] | None = None,
          variables: Mapping[str, Any] | None = None) -> list[Widget]:
    """Widgets for every component, with values from `data` (nested, as `nest` returns) and
    errors keyed by data path (as `InvalidSubmission.errors`)."""
    data = dict(data or {})
    scope = {**dict(variables or {}), **data}
    return _nodes(form.components, data, scope, dict(errors or {}), "")


def _nodes(nodes, data: Mapping, scope: Mapping, errors: dict, prefix: str) -> list[Widget]:
    widgets = []
    for node in nodes:
        widget = _node(node, data, scope, errors, prefix)
        if widget is not None:
            if node.hide is not None:
                widget.hide_source = node.hide.source
                try:
                    widget.hidden = node.hide.is_true(scope)
                except Exception:  # noqa: BLE001 - a condition that cannot be read leaves the field shown
                    widget.hidden = False
            widgets.append(widget)
    return widgets


def _node(node: Component, data: Mapping, scope: Mapping, errors: dict, prefix: str) -> Widget | None:
    if node.kind == "text":
        return Widget("text", node.type, html=markdown(node.text or ""))
    if node.kind == "layout":
        return None
    if node.kind == "group":
        inner = _get(data, node.key) if node.key else data
        inner = inner if isinstance(inner, Mapping) else {}
        inner_scope = {**scope, **inner} if node.key else scope
        name = prefix + node.key if node.key else prefix.rstrip(".")
        return Widget("group", node.type, name=name, id=html_id(name or "group"), label=node.label,
                      children=_nodes(node.children, inner, inner_scope, errors, prefix + node.key + "." if node.key else prefix))
    name = prefix + (node.key or "")
    if node.kind == "list":
        given = _get(data, node.key)
        items = list(given) if isinstance(given, list) else []
        if given is None:
            items = [{} for _ in range(int(node.raw.get("defaultRepetitions") or 1))]
        widget = Widget("list", node.type, name=name, id=html_id(name), label=node.label, hint=node.description,
                        error=errors.get(name), addable=node.raw.get("allowAddRemove", True) is not False)
        for index, item in enumerate(items):
            item = item if isinstance(item, Mapping) else {}
            widget.items.append(_nodes(node.children, item, {**scope, **item}, errors, f"{name}[{index}]."))
        return widget
    value = _get(data, node.key)
    return Widget("field", node.type, name=name, id=html_id(name), label=node.label, hint=node.description,
                  required=node.required, readonly=node.readonly, subtype=node.subtype or None,
                  value=_display(node, value), error=errors.get(name), options=list(node.options))


def error_list(widgets: list[Widget]) -> list[dict]:
    """GOV.UK error summary entries, in form order: [{"text", "href"}]."""
    found: list[dict] = []

    def visit(items: list[Widget]) -> None:
        for w in items:
            if w.error:
                target = w.id
                if w.kind == "field" and w.type == "datetime" and (w.subtype or "date") == "date":
                    target = w.id + "-day"
                found.append({"text": w.error, "href": "#" + target})
            visit(w.children)
            for item in w.items:
                visit(item)

    visit(widgets)
    return found


def change_list(data: dict, name: str, remove: int | None = None) -> bool:
    """'Add another' / 'Remove' without JavaScript: add an empty item to the list at `name`
    ("actions", "plan.actions", "actions[0].steps"), or remove item `remove`. True when done."""
    steps = forms.path_steps(name)
    if not steps:
        return False
    node: Any = data
    for step in steps[:-1]:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return False
            node = node[step]
        else:
            if not isinstance(node, dict):
                return False
            node = node.setdefault(step, {})
    last = steps[-1]
    if not isinstance(node, dict) or isinstance(last, int):
        return False
    items = node.get(last)
    items = list(items) if isinstance(items, list) else []
    if remove is None:
        items.append({})
    elif 0 <= remove < len(items):
        items.pop(remove)
    else:
        return False
    node[last] = items
    return True
