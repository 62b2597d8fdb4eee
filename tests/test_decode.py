"""Reading stored values: the fast per-kind readers a record is decoded with say what `decode_scalar` says."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magnet.record import Record, decode_record
from magnet.records import RECORD_TYPES
from magnet.values import decode_scalar

# What another writer (a peer's copy, an older magnet, a foreign tool) may store under any key.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["2026-12-06", "2026-12-06T10:00:00", "2026-12-06T10:00:00+02:00", "", "tomorrow"]),
    st.binary(max_size=4),
)
stored = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=4,
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("kind", RECORD_TYPES, ids=lambda kind: kind.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_field_reads_as_decode_scalar_reads_it(kind: type[Record], data: st.DataObject) -> None:
    specs = kind.all_specs()
    present = data.draw(st.sets(st.sampled_from(sorted(specs))), label="present")
    raw = {name: data.draw(stored, label=name) for name in sorted(present)}
    raw["from_a_newer_version"] = 1
    record = decode_record(kind, "r1", raw)
    for name, spec in specs.items():
        expected = decode_scalar(spec, raw[name]) if name in raw else decode_scalar(spec, None)
        if name not in raw and spec.kind.value == "choice":
            expected = getattr(kind(), name)  # a missing choice reads as the field's default
        assert _same(getattr(record, name), expected), (name, raw.get(name))
    assert record.extra == {"from_a_newer_version": 1}


def test_empty_maps_are_never_shared_between_records() -> None:
    for kind in RECORD_TYPES:
        one, two = decode_record(kind, "r1", {}), decode_record(kind, "r2", {})
        for name in kind.all_specs():
            if isinstance(getattr(one, name), dict):
                assert getattr(one, name) is not getattr(two, name), (kind.__name__, name)
