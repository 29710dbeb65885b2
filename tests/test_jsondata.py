"""`plain_copy` is a JSON round trip: the same value back, or the same error, and nothing shared."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from hypothesis import given, strategies as st

from engine.jsondata import plain_copy

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10),
                    st.dates(), st.datetimes(timezones=st.just(timezone.utc)))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=6), inner, max_size=4),
        st.dictionaries(st.one_of(st.integers(), st.booleans(), st.none()), inner, max_size=2),
    ),
    max_leaves=15,
)


def _objects(value):
    """Every dict and list inside `value` (by identity)."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        yield value
        for item in value:
            yield from _objects(item)


@given(values)
def test_a_copy_is_what_a_json_round_trip_gives(value):
    copied = plain_copy(value, default=str)
    assert copied == json.loads(json.dumps(value, default=str))
    assert not {id(o) for o in _objects(copied)} & {id(o) for o in _objects(value)}


def test_what_json_refuses_is_refused_the_same_way():
    with pytest.raises(TypeError):
        plain_copy({"when": date(2026, 12, 4)})  # no default: a date is not JSON
    circular: list = []
    circular.append(circular)
    with pytest.raises(ValueError, match="Circular"):
        plain_copy({"loop": circular})


def test_str_subclasses_and_keys_come_back_as_json_gives_them():
    class Name(str):
        pass

    copied = plain_copy({"name": Name("Ava"), 1: [True, None], "when": datetime(2026, 12, 4, tzinfo=timezone.utc)},
                        default=str)
    assert copied == {"name": "Ava", "1": [True, None], "when": "2026-12-04 00:00:00+00:00"}
    assert type(copied["name"]) is str
