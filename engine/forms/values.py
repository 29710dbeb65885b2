"""One field's value: ``coerce`` turns what was submitted into its type, ``check`` applies
the field's rules. Neither raises for any input."""
from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Callable

from . import messages
from .model import Component

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING", "__bool__": lambda self: False})()

TRUE_WORDS = frozenset({"true", "on", "yes", "1", "checked"})
FALSE_WORDS = frozenset({"false", "off", "no", "0", ""})
LARGEST = Decimal(10) ** 15
NUMBER_TEXT = re.compile(r"-?(?:\d+(?:\.\d+)?|\.\d+)")
DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
DATETIME_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?")
TIME_TEXT = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?")
EMAIL_TEXT = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
PHONE_CHARS = re.compile(r"\+?[\d\s().-]+")

Result = tuple[Any, "str | None"]  # (value or MISSING, error message or None)


def coerce(node: Component, raw: Any) -> Result:
    """(typed value, None), (MISSING, None) when nothing was given, or (MISSING, message)."""
    return _COERCE[node.type](node, raw)


def check(node: Component, value: Any, today: Callable[[], date]) -> str | None:
    """The first rule ``value`` (already coerced) breaks, or None."""
    rules = node.validate
    if node.type in ("textfield", "textarea"):
        return _check_text(node, value, rules)
    if node.type == "number":
        return _check_number(node, value, rules)
    if node.type in ("radio", "select"):
        return None if value in dict(node.options) else messages.not_an_option(node)
    if node.type == "checklist":
        allowed = dict(node.options)
        return None if all(item in allowed for item in value) else messages.not_an_option(node)
    if node.type == "datetime" and node.raw.get("disallowPassedDates") is True and node.subtype != "time":
        return messages.date_in_past(node) if date.fromisoformat(value[:10]) < today() else None
    return None


def is_empty(node: Component, value: Any) -> bool:
    """Whether a coerced value fails ``validate.required``."""
    if node.type == "checkbox":
        return value is not True
    if node.type == "checklist":
        return not value
    return value is MISSING


# --- coercion, per type ----------------------------------------------------------------

def _blank(raw: Any) -> bool:
    return raw is MISSING or raw is None or (isinstance(raw, str) and not raw.strip())


def _clean_text(text: str) -> str:
    """Drop NUL characters and lone surrogates: a database cannot store them."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8") if _has_surrogate(text) else text


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _coerce_text(node: Component, raw: Any) -> Result:
    if _blank(raw):
        return MISSING, None
    if not isinstance(raw, str):
        return MISSING, messages.not_text(node)
    text = _clean_text(raw)
    if node.type == "textarea":
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip()
    return (text, None) if text else (MISSING, None)


def _decimal(node: Component, raw: Any) -> tuple[Decimal | None, str | None]:
    if isinstance(raw, bool):
        return None, messages.not_a_number(node)
    if isinstance(raw, int):
        number = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            return None, messages.not_a_number(node)
        number = Decimal(repr(raw))
    elif isinstance(raw, Decimal):
        if not raw.is_finite():
            return None, messages.not_a_number(node)
        number = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if len(text) > 40 or not NUMBER_TEXT.fullmatch(text):
            return None, messages.not_a_number(node)
        number = Decimal(text)
    else:
        return None, messages.not_a_number(node)
    if abs(number) >= LARGEST:
        return None, messages.too_large(node)
    return number, None


def _coerce_number(node: Component, raw: Any) -> Result:
    if _blank(raw):
        return MISSING, None
    number, error = _decimal(node, raw)
    if error:
        return MISSING, error
    if node.raw.get("serializeToString") is True:
        return messages.number(number), None
    digits = node.raw.get("decimalDigits")
    if number == number.to_integral_value() and (digits is None or digits == "" or digits == 0):
        return int(number), None
    return float(number), None


def _coerce_checkbox(node: Component, raw: Any) -> Result:
    if raw is MISSING or raw is None:
        return False, None
    if isinstance(raw, bool):
        return raw, None
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True, None
        if word in FALSE_WORDS:
            return False, None
    return MISSING, messages.not_boolean(node)


def _coerce_choice(node: Component, raw: Any) -> Result:
    if raw is MISSING or raw is None or raw == "":
        return MISSING, None
    if not isinstance(raw, str):
        return MISSING, messages.not_an_option(node)
    return raw, None


def _coerce_checklist(node: Component, raw: Any) -> Result:
    if raw is MISSING or raw is None or raw == "":
        return [], None
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, (list, tuple)) or not all(isinstance(item, str) for item in raw):
        return MISSING, messages.not_an_option(node)
    chosen = {item for item in raw if item}
    order = [value for value, _ in node.options]
    known = [value for value in order if value in chosen]
    unknown = sorted(chosen.difference(order))
    return known + unknown, None  # unknown values are kept so that ``check`` refuses them


def _coerce_datetime(node: Component, raw: Any) -> Result:
    subtype = node.subtype or "date"
    if isinstance(raw, dict) and subtype == "date":
        return _date_parts(node, raw)
    if _blank(raw):
        return MISSING, None
    if isinstance(raw, datetime):
        if subtype == "date":
            return MISSING, messages.date_with_time(node)
        raw = raw.isoformat()
    if isinstance(raw, date) and not isinstance(raw, datetime) and subtype == "date":
        return raw.isoformat(), None
    if isinstance(raw, time) and subtype == "time":
        raw = raw.isoformat()
    if not isinstance(raw, str):
        return MISSING, messages.not_a_date(node)
    text = raw.strip()
    if subtype == "date":
        if DATETIME_TEXT.fullmatch(text):
            return MISSING, messages.date_with_time(node)
        parse, pattern = date.fromisoformat, DATE_TEXT
    elif subtype == "datetime":
        parse, pattern = datetime.fromisoformat, DATETIME_TEXT
    else:
        parse, pattern = time.fromisoformat, TIME_TEXT
    if not pattern.fullmatch(text):
        return MISSING, messages.not_a_date(node)
    try:
        parse(text)
    except ValueError:
        return MISSING, messages.not_a_date(node)
    return text, None


def _date_parts(node: Component, raw: dict) -> Result:
    """A GOV.UK date input's parts: {"day": "23", "month": "11", "year": "2026"}."""
    parts = {part: raw.get(part) for part in ("day", "month", "year")}
    if any(value is not None and not isinstance(value, (str, int)) or isinstance(value, bool)
           for value in parts.values()):
        return MISSING, messages.not_a_date(node)
    text = {part: str(value).strip() if value is not None else "" for part, value in parts.items()}
    missing = [part for part in ("day", "month", "year") if not text[part]]
    if len(missing) == 3:
        return MISSING, None
    if missing:
        return MISSING, messages.date_missing(node, missing)
    if not all(re.fullmatch(r"\d{1,4}", value) for value in text.values()) or len(text["year"]) != 4:
        return MISSING, messages.not_a_date(node)
    try:
        return date(int(text["year"]), int(text["month"]), int(text["day"])).isoformat(), None
    except ValueError:
        return MISSING, messages.not_a_date(node)


_COERCE: dict[str, Callable[[Component, Any], Result]] = {
    "textfield": _coerce_text,
    "textarea": _coerce_text,
    "number": _coerce_number,
    "checkbox": _coerce_checkbox,
    "checklist": _coerce_checklist,
    "radio": _coerce_choice,
    "select": _coerce_choice,
    "datetime": _coerce_datetime,
}


# --- rules ---------------------------------------------------------------------------------

def _check_text(node: Component, text: str, rules: dict) -> str | None:
    short, long = rules.get("minLength"), rules.get("maxLength")
    if isinstance(short, int) and not isinstance(short, bool) and len(text) < short:
        return messages.too_short(node, short)
    if isinstance(long, int) and not isinstance(long, bool) and len(text) > long:
        return messages.too_long(node, long)
    pattern = rules.get("pattern")
    if isinstance(pattern, str) and pattern and not re.search(pattern, text):
        return messages.pattern(node)
    kind = rules.get("validationType")
    if kind == "email" and not EMAIL_TEXT.fullmatch(text):
        return messages.EMAIL
    if kind == "phone" and not _phone(text):
        return messages.PHONE
    return None


def _phone(text: str) -> bool:
    if not PHONE_CHARS.fullmatch(text) or "+" in text[1:]:
        return False
    digits = sum(char.isdigit() for char in text)
    return 10 <= digits <= 15


def _check_number(node: Component, value: Any, rules: dict) -> str | None:
    number, error = _decimal(node, Decimal(value) if isinstance(value, str) else value)
    if error:
        return error
    low, high = _setting(rules.get("min")), _setting(rules.get("max"))
    if (low is not None and number < low) or (high is not None and number > high):
        return messages.out_of_range(node, low, high)
    digits = node.raw.get("decimalDigits")
    if isinstance(digits, int) and not isinstance(digits, bool):
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > digits:
            return messages.decimals(node, digits)
    step = _setting(node.raw.get("increment"))
    if step is not None and step > 0 and Fraction(number) % Fraction(step) != 0:
        return messages.increment(node, step)
    return None


def _setting(value: Any) -> Decimal | None:
    """A number from the schema (form-js writes some as strings); parse_form checked it."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(repr(value) if isinstance(value, (int, float)) else str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
