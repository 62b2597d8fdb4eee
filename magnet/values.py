"""How a stored value reads and prints, by field kind, with nothing else of magnet imported.

`magnet list` formats records straight from the read model with these (a small command must not
pay for building every record class); the record classes decode and print with the same
functions, so both read a value alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol


class FieldKind(StrEnum):
    """How a field's value is shaped and stored."""

    TEXT = "text"  # Str
    INTEGER = "integer"  # Int
    NUMBER = "number"  # F64
    FLAG = "flag"  # Boolean
    DATE = "date"  # Str, YYYY-MM-DD
    MOMENT = "moment"  # Str, local wall time YYYY-MM-DDTHH:MM[:SS]
    CHOICE = "choice"  # Str, one of `choices` (or the group's own when open)
    REF = "ref"  # Str, the id of a record in `ref`
    TAGS = "tags"  # Map key -> True: a set that merges concurrent adds
    MAPPING = "mapping"  # Map key -> Str: e.g. skill -> level, member -> RSVP
    TALLY = "tally"  # Map actor -> F64: a counter; concurrent +2 and -1 both apply
    ENTRIES = "entries"  # Map id -> Map of scalars: milestones, questions, rally points


class Shape(Protocol):
    """What decoding and printing need to know of a field (a `FieldSpec` is one)."""

    @property
    def kind(self) -> FieldKind: ...

    @property
    def choices(self) -> tuple[str, ...]: ...

    @property
    def entry_fields(self) -> Mapping[str, Shape]: ...


def choice_label(value: str) -> str:
    """'core_team' -> 'core team': how a stored choice reads to a person."""
    return value.replace("_", " ")


def decode_scalar(spec: Shape, raw: Any) -> Any:
    """Read one stored value; anything unexpected becomes the field's empty value, never an error."""
    kind = spec.kind
    if kind in (FieldKind.TEXT, FieldKind.REF, FieldKind.CHOICE):
        return raw if isinstance(raw, str) else ""
    if kind is FieldKind.INTEGER:
        if isinstance(raw, bool):
            return int(raw)
        if isinstance(raw, int):
            return raw
        return int(raw) if isinstance(raw, float) and raw.is_integer() else 0
    if kind is FieldKind.NUMBER:
        return float(raw) if finite(raw) else 0.0
    if kind is FieldKind.FLAG:
        return bool(raw) if isinstance(raw, bool | int) else False
    if kind is FieldKind.DATE:
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, str) and raw:
            try:
                return date.fromisoformat(raw[:10])
            except ValueError:
                return None
        return None
    if kind is FieldKind.MOMENT:
        if isinstance(raw, datetime):
            return raw.replace(tzinfo=None)
        if isinstance(raw, str) and raw:
            try:
                return datetime.fromisoformat(raw).replace(tzinfo=None)
            except ValueError:
                return None
        return None
    if kind is FieldKind.TAGS:
        return decode_tags(raw)
    if kind is FieldKind.MAPPING:
        return decode_mapping(raw)
    if kind is FieldKind.TALLY:
        return tally_total(raw)
    if kind is FieldKind.ENTRIES:
        if not isinstance(raw, dict):
            return {}
        return {str(k): decode_entry(spec, v) for k, v in raw.items() if isinstance(v, dict)}
    raise AssertionError(kind)


def decode_tags(raw: Any) -> frozenset[str]:
    """A set of tags: the keys of a map set to true (or, from another writer, a list)."""
    if isinstance(raw, dict):
        return frozenset([k if type(k) is str else str(k) for k, v in raw.items() if v])
    if isinstance(raw, list):
        return frozenset([str(v) for v in raw])
    return frozenset()


def decode_mapping(raw: Any) -> dict[str, str]:
    """A map of text to text (a member's phones, a skill's level)."""
    if isinstance(raw, dict):
        return {(k if type(k) is str else str(k)): (v if type(v) is str else str(v)) for k, v in raw.items()}
    return {}


def tally_total(raw: Any) -> float:
    """The value of a tally: the sum of every device's contribution (or a plain stored number)."""
    if isinstance(raw, dict):
        return round(sum(float(v) for v in raw.values() if finite(v)), 9)
    return float(raw) if finite(raw) else 0.0


def finite(raw: Any) -> bool:
    """A number a quantity can count: not a flag, not NaN, not infinite (another writer may store those)."""
    return isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw)


def decode_entry(spec: Shape, raw: dict[str, Any]) -> dict[str, Any]:
    """One sub-record; unknown keys from newer versions are kept as they are."""
    entry: dict[str, Any] = {}
    for key, value in raw.items():
        sub = spec.entry_fields.get(key)
        entry[key] = decode_scalar(sub, value) if sub is not None else value
    for key, sub in spec.entry_fields.items():
        entry.setdefault(key, decode_scalar(sub, None))
    return entry


def format_value(spec: Shape, value: Any) -> str:
    """One line of text for a decoded value, as a list, a printout or a CSV cell shows it."""
    if value is None:
        return ""
    kind = spec.kind
    if kind is FieldKind.FLAG:
        return "yes" if value else "no"
    if kind is FieldKind.DATE:
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind is FieldKind.MOMENT:
        return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else str(value)
    if kind is FieldKind.CHOICE:
        return choice_label(str(value)) if str(value) in spec.choices else str(value)
    if kind in (FieldKind.NUMBER, FieldKind.TALLY):
        return f"{float(value):g}"
    if kind is FieldKind.TAGS:
        return ", ".join(sorted(value))
    if kind is FieldKind.MAPPING:
        return ", ".join(f"{k}: {choice_label(v)}" if v else k for k, v in sorted(value.items()))
    if kind is FieldKind.ENTRIES:
        return f"{len(value)} item{'s' if len(value) != 1 else ''}"
    return str(value)
