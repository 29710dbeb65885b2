"""Camunda's typed variables and date format, to and from plain JSON data."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Mapping

from .errors import invalid

_INTEGERS = {"integer": (-2**31, 2**31 - 1), "short": (-2**15, 2**15 - 1), "long": (-2**63, 2**63 - 1)}


def camunda_date(value: datetime | None) -> str | None:
    """Camunda's default date format, `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, in UTC."""
    if value is None:
        return None
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_date(text: str, name: str) -> datetime:
    """Camunda's format or any ISO 8601 date-time; without a zone it is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise invalid(f"Cannot set query parameter '{name}' to value '{text}': "
                      "expected a date like 2026-11-23T09:00:00.000+0000") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _typed(name: str, entry: Any) -> Any:
    if not isinstance(entry, Mapping) or "value" not in entry and entry.get("type", "").lower() != "null":
        raise invalid(f"variable '{name}' must be an object {{\"value\": ..., \"type\": ...}}")
    value = entry.get("value")
    kind = str(entry.get("type") or "").lower()
    if kind in ("", "object"):
        return value
    if kind == "null":
        return None
    if value is None:
        return None
    if kind == "string":
        if not isinstance(value, str):
            raise invalid(f"Cannot convert value '{value}' of type 'String' for variable '{name}'")
        return value
    if kind == "boolean":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise invalid(f"Cannot convert value '{value}' of type 'Boolean' for variable '{name}'")
        return value
    if kind in _INTEGERS:
        low, high = _INTEGERS[kind]
        try:
            number = int(value) if isinstance(value, str) else value
        except ValueError:
            number = None
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
            raise invalid(f"Cannot convert value '{value}' of type '{kind.title()}' for variable '{name}'")
        return number
    if kind == "double":
        try:
            number = float(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else value
        except ValueError:
            number = None
        if not isinstance(number, float) or number != number or number in (float("inf"), float("-inf")):
            raise invalid(f"Cannot convert value '{value}' of type 'Double' for variable '{name}'")
        return number
    if kind == "date":
        if not isinstance(value, str):
            raise invalid(f"Cannot convert value '{value}' of type 'Date' for variable '{name}'")
        parse_date(value, name)  # checked; kept as the text sent (forms hold dates as text)
        return value
    if kind == "json":
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise invalid(f"Cannot convert value '{value[:60]}' of type 'Json' for variable '{name}'") from None
    raise invalid(f"Unsupported value type '{entry.get('type')}' for variable '{name}'")


def typed_value(value: Any) -> dict[str, Any]:
    """A plain value as Camunda's typed one (the reverse of `plain`)."""
    if value is None:
        kind = "Null"
    elif isinstance(value, bool):
        kind = "Boolean"
    elif isinstance(value, int):
        kind = "Integer" if -2**31 <= value < 2**31 else "Long"
    elif isinstance(value, float):
        kind = "Double"
    elif isinstance(value, str):
        kind = "String"
    else:
        return {"value": json.dumps(value), "type": "Json", "valueInfo": {}}  # Camunda sends Json as text
    return {"value": value, "type": kind, "valueInfo": {}}


def plain(variables: Any, what: str = "variables") -> dict[str, Any]:
    """`{"name": {"value": v, "type": t}}` -> `{"name": v}` (400 on a value that is not its type)."""
    if variables is None:
        return {}
    if not isinstance(variables, Mapping):
        raise invalid(f"{what} must be an object of typed values")
    return {str(name): _typed(str(name), entry) for name, entry in variables.items()}


def _has_nul(value: Any) -> bool:
    """Whether a NUL character is anywhere in the JSON data (PostgreSQL text cannot hold one)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def json_body() -> dict[str, Any]:
    """The request's JSON object ({} when there is no body)."""
    from flask import request

    if not request.get_data(cache=True):
        return {}
    try:
        body = json.loads(request.get_data(cache=True))
    except (ValueError, UnicodeDecodeError):
        raise invalid("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid("the request body must be a JSON object")
    if _has_nul(body):
        raise invalid("the request body must not contain NUL characters (\\u0000)")
    return body


MAX_FIRST_RESULT = 2**31 - 1


def paging(args) -> tuple[int, int]:
    """firstResult and maxResults (default 100, at most 1000)."""
    try:
        first = int(args.get("firstResult", 0))
        size = int(args.get("maxResults", 100))
    except ValueError:
        raise invalid("firstResult and maxResults must be whole numbers") from None
    if first < 0 or size < 0:
        raise invalid("firstResult and maxResults must not be negative")
    if first > MAX_FIRST_RESULT:
        # Beyond what the databases take as an OFFSET (and far beyond any real list).
        raise invalid(f"firstResult must be at most {MAX_FIRST_RESULT}")
    return first, min(size, 1000)


def flag(value: str | None, name: str) -> bool:
    if value is None or value == "":
        return False
    if value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid(f"'{name}' must be true or false, not '{value[:40]}'")
