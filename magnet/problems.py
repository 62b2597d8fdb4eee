"""Values another writer stored that magnet cannot read as their field says: found, named, left alone.

Reading is lenient (a name stored as a number shows as empty, a NaN quantity counts 0) so one odd
value never breaks a screen. This is the other half: every such value is listed with its record,
its field and what was found, so a person can fix it on purpose. Nothing here writes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from magnet.document import PROFILE_KEY, GroupDocument
from magnet.fields import FieldSpec
from magnet.record import Record
from magnet.records import COLLECTIONS, GroupProfile
from magnet.values import FieldKind


@dataclass(frozen=True)
class Problem:
    """One stored value that does not fit its field."""

    collection: str
    record_id: str
    title: str  # the record's name, as far as it can be read
    field: str  # the field's label
    found: str  # what is stored, shown safely (a short repr)
    expected: str

    def describe(self) -> str:
        where = f"{self.collection} {self.title or self.record_id} ({self.record_id[:8]})"
        return f"{where}: {self.field} holds {self.found}, not {self.expected}"


def find_problems(doc: GroupDocument) -> list[Problem]:
    """Every value in the group that does not have the shape its field declares."""
    raw = doc.export()
    found: list[Problem] = []
    profile = raw.get(PROFILE_KEY)
    if isinstance(profile, dict):
        found.extend(_record_problems(PROFILE_KEY, GroupProfile, PROFILE_KEY, profile))
    for name, record_type in COLLECTIONS.items():
        records = raw.get(name)
        if records is None:
            continue
        if not isinstance(records, dict):
            found.append(Problem(name, "", "", "the collection", _shown(records), "a map of records"))
            continue
        for record_id, values in records.items():
            if not isinstance(values, dict):
                found.append(Problem(name, record_id, "", "the record", _shown(values), "a record"))
                continue
            found.extend(_record_problems(name, record_type, record_id, values))
    return found


def _record_problems(
    collection: str, record_type: type[Record], record_id: str, values: dict[str, Any]
) -> list[Problem]:
    title_value = values.get(record_type.TITLE_FIELD)
    title = title_value if isinstance(title_value, str) else ""
    problems: list[Problem] = []
    for name, spec in record_type.all_specs().items():
        if name not in values or values[name] is None:
            continue
        expected = _mismatch(spec, values[name])
        if expected is not None:
            problems.append(Problem(collection, record_id, title, spec.label, _shown(values[name]), expected))
    return problems


def _mismatch(spec: FieldSpec, value: Any) -> str | None:
    """What the field expects, when `value` is not that; None when it fits."""
    check, expected = _CHECKS[spec.kind]
    if spec.kind is FieldKind.ENTRIES and isinstance(value, dict):
        for entry in value.values():
            if not isinstance(entry, dict):
                return "a set of entries"
            for key, sub in spec.entry_fields.items():
                if key in entry and entry[key] is not None and _mismatch(sub, entry[key]) is not None:
                    return f"entries whose {sub.label.lower()} is {_CHECKS[sub.kind][1]}"
        return None
    return None if check(value) else expected


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _iso(parse: Callable[[str], object]) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if isinstance(value, datetime | date):
            return True
        if not isinstance(value, str):
            return False
        try:
            parse(value)
        except ValueError:
            return False
        return True

    return check


_CHECKS: dict[FieldKind, tuple[Callable[[Any], bool], str]] = {
    FieldKind.TEXT: (lambda v: isinstance(v, str), "text"),
    FieldKind.REF: (lambda v: isinstance(v, str), "a record id"),
    FieldKind.CHOICE: (lambda v: isinstance(v, str), "one of its choices"),
    FieldKind.INTEGER: (lambda v: _number(v) and float(v).is_integer(), "a whole number"),
    FieldKind.NUMBER: (_number, "a finite number"),
    FieldKind.FLAG: (lambda v: isinstance(v, bool), "yes or no"),
    FieldKind.DATE: (_iso(lambda text: date.fromisoformat(text[:10])), "a date"),
    FieldKind.MOMENT: (_iso(datetime.fromisoformat), "a date and time"),
    FieldKind.TAGS: (lambda v: isinstance(v, dict | list), "a set"),
    FieldKind.MAPPING: (
        lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
        "a list of names and values",
    ),
    FieldKind.TALLY: (
        lambda v: _number(v) or (isinstance(v, dict) and all(_number(x) for x in v.values())),
        "a quantity",
    ),
    FieldKind.ENTRIES: (lambda v: isinstance(v, dict), "a set of entries"),
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
