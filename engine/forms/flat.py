"""From an HTML form post to the nested data ``validate`` reads.

Name inputs by data path, with item numbers for dynamic lists, and errors come back under
the same names::

    decision                  -> {"decision": ...}
    contingency.plan          -> {"contingency": {"plan": ...}}
    actions[0].owner          -> {"actions": [{"owner": ...}]}
    meeting_date-day / -month / -year  (GOV.UK date input) -> {"meeting_date": {"day", "month", "year"}}

Checklist inputs keep every value; any other input keeps its last value. List items are
numbered in order of their numbers (gaps close up), so re-render from the nested data.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .model import Form

__all__ = ["nest"]

_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d{1,6})\])?")
_DATE_PARTS = ("day", "month", "year")


def nest(form: Form, posted: Any) -> dict:
    """Nest ``posted`` (a werkzeug ``MultiDict`` such as ``request.form``, a mapping of name to
    value or list of values, or (name, value) pairs) by the form's data paths."""
    multiple = {node.path for node in form.walk() if node.type == "checklist"}
    dates = {node.path for node in form.walk() if node.type == "datetime" and (node.subtype or "date") == "date"}
    tree: dict = {}
    for name, value in _pairs(posted):
        if not isinstance(name, str):
            continue
        part = None
        base, dash, suffix = name.rpartition("-")
        if dash and suffix in _DATE_PARTS and _template(base) in dates:
            name, part = base, suffix
        steps = path_steps(name)
        if steps is None:
            continue
        if part is not None:
            steps.append(part)
            _set(tree, steps, value, append=False)
        else:
            _set(tree, steps, value, append=_template(name) in multiple)
    return _lists(tree)


def _pairs(posted: Any) -> Iterable[tuple[Any, Any]]:
    if hasattr(posted, "lists"):  # werkzeug MultiDict
        return [(name, value) for name, values in posted.lists() for value in values]
    if isinstance(posted, Mapping):
        pairs = []
        for name, value in posted.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            pairs.extend((name, item) for item in values)
        return pairs
    return list(posted or ())


def path_steps(name: str) -> list | None:
    """"actions[0].owner" -> ["actions", 0, "owner"]; None for names that are not data paths."""
    steps: list = []
    for piece in name.split("."):
        match = _PART.fullmatch(piece)
        if not match:
            return None
        steps.append(match.group(1))
        if match.group(2) is not None:
            steps.append(int(match.group(2)))
    return steps


def _template(name: str) -> str:
    return re.sub(r"\[\d+\]", "[]", name)


class _Items(dict):
    """List items by number while nesting; turned into a list at the end."""


def _set(tree: dict, steps: list, value: Any, append: bool) -> None:
    node: Any = tree
    for step, following in zip(steps, steps[1:]):
        child = node.get(step)
        wanted = _Items if isinstance(following, int) else dict
        if type(child) is not wanted:
            child = node[step] = wanted()
        node = child
    last = steps[-1]
    if append:
        existing = node.get(last)
        node[last] = (existing if isinstance(existing, list) else []) + [value]
    else:
        node[last] = value


def _lists(node: Any) -> Any:
    if isinstance(node, _Items):
        return [_lists(node[index]) for index in sorted(node)]
    if isinstance(node, dict):
        return {key: _lists(value) for key, value in node.items()}
    return node
