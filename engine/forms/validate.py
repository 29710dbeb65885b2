"""Server-side validation of a submission against a form: errors by field path, typed data.

Hiding: a component whose ``conditional.hide`` is true is neither validated nor kept. Hide
conditions read the submission as typed as it can be (a number field's "7" reads as 7, an
unusable value reads as given), over any other keys in ``data`` and the ``variables`` passed
in (process variables). Inside a group with a path, or a dynamiclist item, a name is looked up
in that local data first, then outwards: ``=owner = null`` in an action item reads that
item's owner; ``=decision = "close"`` still reads the form's decision.

Read-only (``readonly``/``disabled``) fields are never taken from a submission.
"""
from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from . import messages
from .model import Component, Form
from .values import MISSING, check, coerce, is_empty

__all__ = ["ValidationResult", "validate"]


@dataclass
class ValidationResult:
    errors: dict[str, str] = field(default_factory=dict)  # path -> message: "actions[1].due"
    cleaned: dict = field(default_factory=dict)  # typed data, nested as the form nests it

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(form: Form, data: Mapping[str, Any], *, variables: Mapping[str, Any] | None = None,
             today: date | None = None) -> ValidationResult:
    """Validate ``data`` (HTML-form-ish strings or typed JSON values) against ``form``.

    ``variables`` (e.g. the process instance's data) are readable by hide conditions but are
    never taken as field values. ``today`` is for ``disallowPassedDates``; by default the
    engine clock's date in England. Never raises for any input mapping."""
    if not isinstance(data, Mapping):
        data = {}
    result = ValidationResult()
    context = _context(form.components, data, variables if isinstance(variables, Mapping) else {})
    walker = _Walker(result.errors, _today_from(today))
    walker.walk(form.components, data, context, ChainMap(context), result.cleaned, "")
    return result


def _today_from(today: date | None) -> Callable[[], date]:
    if today is not None:
        return lambda: today

    def engine_today() -> date:
        from engine import clock
        try:
            from zoneinfo import ZoneInfo
            return clock.now().astimezone(ZoneInfo("Europe/London")).date()
        except Exception:  # no time zone database: the UTC date will do
            return clock.now().date()

    return engine_today


class _Walker:
    def __init__(self, errors: dict[str, str], today: Callable[[], date]):
        self.errors = errors
        self.today = today

    def walk(self, nodes, raw: Mapping, context: dict, scope: ChainMap, out: dict, prefix: str) -> None:
        for node in nodes:
            if node.hide is not None and node.hide.is_true(scope):
                continue
            if node.kind == "group":
                if node.key is None:
                    self.walk(node.children, raw, context, scope, out, prefix)
                else:
                    inner_raw = _get(raw, node.key)
                    inner_context = _get(context, node.key)
                    inner_context = inner_context if isinstance(inner_context, dict) else {}
                    self.walk(node.children, inner_raw if isinstance(inner_raw, Mapping) else {},
                              inner_context, scope.new_child(inner_context), _ensure(out, node.key),
                              f"{prefix}{node.key}.")
            elif node.kind == "list":
                self.items(node, raw, context, scope, out, prefix)
            elif node.kind == "field" and not node.readonly:
                self.field(node, raw, out, prefix)

    def items(self, node: Component, raw: Mapping, context: dict, scope: ChainMap, out: dict, prefix: str) -> None:
        given = _get(raw, node.key)
        if given is MISSING or given is None or given == "":
            given = []
        if not isinstance(given, (list, tuple)):
            self.errors[prefix + node.key] = messages.not_a_list(node)
            return
        contexts = _get(context, node.key)
        cleaned = []
        for index, item in enumerate(given):
            where = f"{prefix}{node.key}[{index}]"
            if not isinstance(item, Mapping):
                self.errors[where] = messages.bad_item(node, index)
                continue
            item_context = contexts[index] if isinstance(contexts, list) and index < len(contexts) \
                and isinstance(contexts[index], dict) else {}
            item_out: dict = {}
            self.walk(node.children, item, item_context, scope.new_child(item_context), item_out, where + ".")
            cleaned.append(item_out)
        _put(out, node.key, cleaned)

    def field(self, node: Component, raw: Mapping, out: dict, prefix: str) -> None:
        value, error = coerce(node, _get(raw, node.key))
        if error is None and is_empty(node, value):
            error = messages.required(node) if node.required else None
        elif error is None:
            error = check(node, value, self.today)
        if error is not None:
            self.errors[prefix + node.key] = error
        elif value is not MISSING:
            _put(out, node.key, value)


# --- the data hide conditions read --------------------------------------------------------

def _context(nodes, raw: Mapping, outer: Mapping | None = None) -> dict:
    """``raw`` (over ``outer``) with each field's value typed where it can be (as given where not)."""
    context = {key: value for key, value in (outer or {}).items() if isinstance(key, str)}
    context.update((key, value) for key, value in raw.items() if isinstance(key, str))
    _fill(nodes, raw, context)
    return context


def _fill(nodes, raw: Mapping, context: dict) -> None:
    for node in nodes:
        if node.kind == "group":
            if node.key is None:
                _fill(node.children, raw, context)
            else:
                inner = _get(raw, node.key)
                _put(context, node.key, _context(node.children, inner if isinstance(inner, Mapping) else {}))
        elif node.kind == "list":
            given = _get(raw, node.key)
            if isinstance(given, (list, tuple)):
                _put(context, node.key, [
                    _context(node.children, item) if isinstance(item, Mapping) else item for item in given
                ])
        elif node.kind == "field":
            given = _get(raw, node.key)
            value, error = coerce(node, given)
            if error is not None:
                value = given
            if value is not MISSING:
                _put(context, node.key, value)


# --- dotted keys ----------------------------------------------------------------------------

def _get(data: Any, key: str) -> Any:
    """``data["a"]["b"]`` for key "a.b", or MISSING."""
    for part in key.split("."):
        if not isinstance(data, Mapping) or part not in data:
            return MISSING
        data = data[part]
    return data


def _put(data: dict, key: str, value: Any) -> None:
    *parents, last = key.split(".")
    for part in parents:
        inner = data.get(part)
        data[part] = inner = dict(inner) if isinstance(inner, Mapping) else {}
        data = inner
    data[last] = value


def _ensure(data: dict, key: str) -> dict:
    """The nested dict at ``key`` in ``data`` (created empty if need be)."""
    for part in key.split("."):
        inner = data.get(part)
        if not isinstance(inner, dict):
            data[part] = inner = {}
        data = inner
    return data
