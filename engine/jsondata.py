"""Plain JSON data: the copy a JSON round trip makes, without the round trip when it is not needed.

The runtime copies submissions, audit details and task data as `json.loads(json.dumps(value))`
would, so that what it stores and hands on is plain data nobody else holds. Nearly always the
value is plain already (dicts with string keys, lists, strings, numbers, booleans, None): then a
walk that copies it costs a fraction of encoding and decoding it. Anything else (a tuple, a
datetime, a key that is not a string, a str subclass) takes the round trip itself.
"""
from __future__ import annotations

import json
from typing import Any, Callable

_SCALARS = frozenset({str, int, float, bool, type(None)})


class NotPlain(Exception):
    """A value that json does not write as it is (a callable, a set, a datetime, ...)."""


def _copy(value):
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        copied = {}
        for key, item in value.items():
            if type(key) is not str:
                raise NotPlain
            copied[key] = _copy(item)
        return copied
    if kind is list:
        return [_copy(item) for item in value]
    raise NotPlain


def plain_copy(value: Any, *, default: Callable[[Any], Any] | None = None) -> Any:
    """What `json.loads(json.dumps(value, default=default))` returns (and raises)."""
    try:
        return _copy(value)
    except (NotPlain, RecursionError):  # a circular value: json says so in its own words
        return json.loads(json.dumps(value, default=default))
