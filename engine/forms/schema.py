"""Read a Camunda Forms (form-js) schema into a ``Form``, refusing what Stepwise cannot run."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from . import feel
from .errors import FormError
from .model import FIELD_TYPES, LAYOUT_TYPES, OPTION_TYPES, Component, Form

KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
RESERVED = frozenset({"true", "false", "null", "and", "or", "not"})
SUBTYPES = ("date", "datetime", "time")
MAX_NESTING = 20

# validate.* rules each component type may carry
RULES: dict[str, frozenset[str]] = {
    "textfield": frozenset({"required", "minLength", "maxLength", "pattern", "validationType"}),
    "textarea": frozenset({"required", "minLength", "maxLength", "pattern"}),
    "number": frozenset({"required", "min", "max"}),
    "datetime": frozenset({"required"}),
    "checkbox": frozenset({"required"}),
    "checklist": frozenset({"required"}),
    "radio": frozenset({"required"}),
    "select": frozenset({"required"}),
}
VALIDATION_TYPES = ("email", "phone", "custom")
EXPRESSION_PROPERTIES = ("label", "description", "text", "dateLabel", "timeLabel", "readonly", "disabled")
REFUSED_TYPES = {"html": "html components are not allowed (use a text component: markdown)"}


def parse_form(source: str | bytes | dict, filename: str | None = None) -> Form:
    """Parse a ``.form`` file's content (JSON text, bytes, or the decoded dict).

    Raises ``FormError`` for invalid JSON, a missing id, an unknown component type, a FEEL
    expression outside the subset, duplicate keys or dynamic options."""
    schema = _load(source, filename)
    form_id = schema.get("id")
    if not isinstance(form_id, str) or not form_id.strip():
        raise FormError("the form has no id (set it in Camunda Modeler's form properties)", filename=filename)
    if schema.get("type", "default") != "default":
        raise FormError(f"unsupported form type {schema.get('type')!r} (expected 'default')", form_id)
    components = schema.get("components")
    if not isinstance(components, list):
        raise FormError("'components' must be a list", form_id)
    builder = _Builder(form_id)
    nodes = builder.nodes(components, prefix="", scope=_Scope(), base=(), depth=0)
    return Form(id=form_id, schema=schema, components=nodes, filename=filename)


def _load(source: Any, filename: str | None) -> dict:
    if isinstance(source, dict):
        return source
    if isinstance(source, (bytes, bytearray)):
        try:
            source = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise FormError(f"not UTF-8 text ({error.reason} at byte {error.start})", filename=filename) from None
    if not isinstance(source, str):
        raise FormError(f"expected JSON text, bytes or a dict, not {type(source).__name__}", filename=filename)
    try:
        schema = json.loads(source)
    except json.JSONDecodeError as error:
        raise FormError(f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}",
                        filename=filename or "<text>") from None
    except RecursionError:
        raise FormError("invalid JSON: nested too deeply", filename=filename or "<text>") from None
    if not isinstance(schema, dict):
        raise FormError("a form file holds a JSON object", filename=filename or "<text>")
    return schema


@dataclass
class _Claim:
    kind: str  # "leaf" or "container"
    who: str


@dataclass
class _Scope:
    """Data keys claimed in one data object (the form's data, or one dynamiclist item)."""

    claims: dict[tuple[str, ...], _Claim] = field(default_factory=dict)

    def claim(self, segments: tuple[str, ...], kind: str, who: str) -> str | None:
        """Record a claim; the reason it clashes with an earlier one, or None."""
        for size in range(1, len(segments)):
            held = self.claims.get(segments[:size])
            if held and held.kind == "leaf":
                return f"'{'.'.join(segments)}' sits inside '{'.'.join(segments[:size])}', the data of component '{held.who}'"
        held = self.claims.get(segments)
        if held and (kind == "leaf" or held.kind == "leaf"):
            return f"duplicate key '{'.'.join(segments)}' (also component '{held.who}')"
        for size in range(1, len(segments)):
            self.claims.setdefault(segments[:size], _Claim("container", who))
        if not held:
            self.claims[segments] = _Claim(kind, who)
        return None


class _Builder:
    def __init__(self, form_id: str):
        self.form_id = form_id
        self.ids: set[str] = set()

    def fail(self, raw: Any, message: str) -> FormError:
        return FormError(message, self.form_id, _ref(raw))

    def nodes(self, components: Any, prefix: str, scope: _Scope, base: tuple[str, ...],
              depth: int) -> tuple[Component, ...]:
        """Nodes for ``components``; ``prefix`` starts their data paths, ``base`` is where they
        sit inside ``scope`` (the form's data or one dynamiclist item)."""
        if depth > MAX_NESTING:
            raise FormError(f"components are nested more than {MAX_NESTING} deep", self.form_id)
        out = []
        for index, raw in enumerate(components):
            if not isinstance(raw, dict):
                raise FormError(f"component #{index + 1} is not a JSON object", self.form_id)
            node = self.node(raw, prefix, scope, base, depth)
            if node is not None:
                out.append(node)
        return tuple(out)

    def node(self, raw: dict, prefix: str, scope: _Scope, base: tuple[str, ...], depth: int) -> Component:
        kind_of = raw.get("type")
        if not isinstance(kind_of, str) or not kind_of:
            raise self.fail(raw, "component has no type")
        if kind_of in REFUSED_TYPES:
            raise self.fail(raw, REFUSED_TYPES[kind_of])
        if kind_of not in FIELD_TYPES | LAYOUT_TYPES | {"group", "dynamiclist", "text"}:
            raise self.fail(raw, f"unsupported component type '{kind_of}'")
        component_id = self.component_id(raw)
        self.no_expressions(raw)
        hide = self.hide(raw)
        label = _text(raw.get("label"))
        description = _text(raw.get("description")) or None
        self.rules(raw, kind_of)

        if kind_of in LAYOUT_TYPES:
            return Component(kind_of, "layout", component_id, None, None, label, raw=raw, hide=hide)
        if kind_of == "text":
            text = raw.get("text", "")
            if not isinstance(text, str):
                raise self.fail(raw, "a text component's 'text' must be a string")
            return Component(kind_of, "text", component_id, None, None, label, text=text, raw=raw, hide=hide)
        if kind_of in ("group", "dynamiclist"):
            return self.container(raw, kind_of, component_id, label, description, hide, prefix, scope, base, depth)

        key = self.key(raw, raw.get("key"), "key")
        who = _ref(raw)
        clash = scope.claim(base + tuple(key.split(".")), "leaf", who)
        if clash:
            raise self.fail(raw, clash)
        subtype = None
        if kind_of == "datetime":
            subtype = raw.get("subtype", "date")
            if subtype not in SUBTYPES:
                raise self.fail(raw, f"unsupported datetime subtype {subtype!r} (expected one of {', '.join(SUBTYPES)})")
            label = _text(raw.get("timeLabel") if subtype == "time" else raw.get("dateLabel")) or label
        if kind_of == "number":
            self.number_settings(raw)
        options = self.options(raw) if kind_of in OPTION_TYPES else ()
        return Component(
            kind_of, "field", component_id, key, prefix + key, label or _humanise(key), description,
            required=(raw.get("validate") or {}).get("required") is True, options=options, subtype=subtype,
            hide=hide, readonly=raw.get("readonly") is True or raw.get("disabled") is True, raw=raw,
        )

    def container(self, raw, kind_of, component_id, label, description, hide, prefix, scope, base, depth) -> Component:
        children = raw.get("components", [])
        if not isinstance(children, list):
            raise self.fail(raw, "'components' must be a list")
        path = raw.get("path")
        if kind_of == "group" and (path is None or path == ""):
            nodes = self.nodes(children, prefix, scope, base, depth + 1)
            return Component(kind_of, "group", component_id, None, None, label, description,
                             hide=hide, children=nodes, raw=raw)
        if kind_of == "dynamiclist" and not path:
            raise self.fail(raw, "a dynamic list needs a path (the key its items are stored under)")
        path = self.key(raw, path, "path")
        who = _ref(raw)
        segments = base + tuple(path.split("."))
        clash = scope.claim(segments, "container" if kind_of == "group" else "leaf", who)
        if clash:
            raise self.fail(raw, clash)
        if kind_of == "group":
            nodes = self.nodes(children, prefix + path + ".", scope, segments, depth + 1)
            return Component(kind_of, "group", component_id, path, prefix + path, label, description,
                             hide=hide, children=nodes, raw=raw)
        for setting in ("defaultRepetitions",):
            value = raw.get(setting)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise self.fail(raw, f"'{setting}' must be a whole number, 0 or more")
        nodes = self.nodes(children, prefix + path + "[].", _Scope(), (), depth + 1)
        return Component(kind_of, "list", component_id, path, prefix + path, label or _humanise(path),
                         description, hide=hide, children=nodes, raw=raw)

    def component_id(self, raw: dict) -> str | None:
        component_id = raw.get("id")
        if component_id is None:
            return None
        if not isinstance(component_id, str) or not component_id:
            raise self.fail(raw, "component id must be a non-empty string")
        if component_id in self.ids:
            raise self.fail(raw, f"duplicate component id '{component_id}'")
        self.ids.add(component_id)
        return component_id

    def key(self, raw: dict, key: Any, what: str) -> str:
        if not isinstance(key, str) or not key:
            raise self.fail(raw, f"a {raw['type']} needs a {what}")
        if not KEY_PATTERN.fullmatch(key):
            raise self.fail(raw, f"{what} '{key}' must be letters, digits and '_' (dots separate levels), "
                                 "starting with a letter, so expressions and templates can name it")
        reserved = RESERVED.intersection(key.split("."))
        if reserved:
            raise self.fail(raw, f"{what} '{key}' uses the FEEL word '{sorted(reserved)[0]}'")
        return key

    def no_expressions(self, raw: dict) -> None:
        for name in EXPRESSION_PROPERTIES:
            value = raw.get(name)
            if isinstance(value, str) and value.startswith("="):
                raise self.fail(raw, f"{name} '{value}' is an expression: only conditional.hide may use FEEL")
            if isinstance(value, str) and "{{" in value:
                raise self.fail(raw, f"{name} uses templating ({{{{ ... }}}}), which is not supported")
            if name in ("readonly", "disabled") and value is not None and not isinstance(value, bool):
                raise self.fail(raw, f"'{name}' must be true or false")
        for name in ("valuesKey", "valuesExpression"):
            if raw.get(name):
                raise self.fail(raw, f"options from '{name}' are not supported: only static options "
                                     "(a 'values' list written in the form) are supported")

    def hide(self, raw: dict) -> feel.Expression | None:
        conditional = raw.get("conditional")
        if conditional is None:
            return None
        if not isinstance(conditional, dict):
            raise self.fail(raw, "'conditional' must be an object")
        unknown = set(conditional) - {"hide"}
        if unknown:
            raise self.fail(raw, f"unsupported conditional property '{sorted(unknown)[0]}' (only 'hide')")
        source = conditional.get("hide")
        if source is None or source == "":
            return None
        try:
            return feel.parse(source)
        except feel.FeelError as error:
            raise self.fail(raw, f"conditional.hide: {error}") from None

    def rules(self, raw: dict, kind_of: str) -> None:
        rules = raw.get("validate")
        if rules is None:
            return
        if not isinstance(rules, dict):
            raise self.fail(raw, "'validate' must be an object")
        allowed = RULES.get(kind_of, frozenset())
        for name, value in rules.items():
            if value is None or value is False or value == "":
                continue
            if name not in allowed:
                raise self.fail(raw, f"validation rule '{name}' is not supported on a {kind_of}")
            if name == "required" and value is not True:
                raise self.fail(raw, "validate.required must be true or false")
            if name in ("minLength", "maxLength") and (
                    not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise self.fail(raw, f"validate.{name} must be a whole number, 0 or more")
            if name in ("min", "max") and _number(value) is None:
                raise self.fail(raw, f"validate.{name} must be a number, not {value!r}")
            if name == "pattern":
                if not isinstance(value, str):
                    raise self.fail(raw, "validate.pattern must be a string")
                try:
                    re.compile(value)
                except (re.error, RecursionError, OverflowError) as error:
                    raise self.fail(raw, f"validate.pattern {value!r} is not a regular expression: {error}") from None
            if name == "validationType" and value not in VALIDATION_TYPES:
                raise self.fail(raw, f"unsupported validationType {value!r} (expected email, phone or custom)")
        low, high = _number(rules.get("min")), _number(rules.get("max"))
        if low is not None and high is not None and low > high:
            raise self.fail(raw, "validate.min is greater than validate.max")
        short, long = rules.get("minLength"), rules.get("maxLength")
        if isinstance(short, int) and isinstance(long, int) and short > long:
            raise self.fail(raw, "validate.minLength is greater than validate.maxLength")

    def number_settings(self, raw: dict) -> None:
        digits = raw.get("decimalDigits")
        if digits is not None and digits != "" and (not isinstance(digits, int) or isinstance(digits, bool) or digits < 0):
            raise self.fail(raw, "decimalDigits must be a whole number, 0 or more")
        increment = raw.get("increment")
        if increment is not None and increment != "":
            step = _number(increment)
            if step is None or step <= 0:
                raise self.fail(raw, f"increment must be a number greater than 0, not {increment!r}")

    def options(self, raw: dict) -> tuple[tuple[str, str], ...]:
        values = raw.get("values")
        if not isinstance(values, list) or not values:
            raise self.fail(raw, "has no options: add static options ('values') in the form editor")
        seen: set[str] = set()
        out = []
        for option in values:
            if not isinstance(option, dict):
                raise self.fail(raw, "each option must be an object with 'label' and 'value'")
            value = option.get("value")
            if not isinstance(value, str) or not value:
                raise self.fail(raw, f"option values must be non-empty text, not {value!r}")
            if value in seen:
                raise self.fail(raw, f"option value '{value}' appears twice")
            seen.add(value)
            label = option.get("label")
            out.append((value, label if isinstance(label, str) and label else value))
        return tuple(out)


def _ref(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return None
    for name in ("key", "path", "id"):
        value = raw.get(name)
        if isinstance(value, str) and value:
            return value
    kind_of = raw.get("type")
    return kind_of if isinstance(kind_of, str) and kind_of else None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _humanise(key: str) -> str:
    words = key.rsplit(".", 1)[-1].replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def _number(value: Any) -> Decimal | None:
    """A finite number from a JSON number or numeric string (form-js writes some as strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        value = repr(value)
    if not isinstance(value, str) or len(value) > 100:
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
