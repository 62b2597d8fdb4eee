"""Field specifications: one description per field drives validation, storage, forms and import.

A record class declares each field with one of the helpers below (`text`, `date_field`,
`choice`, ...). The spec says how a value is parsed from what a person typed or a spreadsheet
held, how it is stored in Automerge, and how it is shown. Parsing is strict (a clear
`ValidationError`); decoding what is already in a document is lenient, because a peer running a
newer version may have written something this version does not know.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypedDict, Unpack

from magnet.errors import ValidationError
from magnet.safetext import control_problem, one_kind_of_line_end
from magnet.values import FieldKind, choice_label

MAX_TEXT = 20_000


CONTAINER_KINDS = frozenset({FieldKind.TAGS, FieldKind.MAPPING, FieldKind.TALLY, FieldKind.ENTRIES})


@dataclass(frozen=True)
class FieldSpec:
    """Everything magnet knows about one field of a record."""

    kind: FieldKind
    label: str
    required: bool = False
    sensitive: bool = False
    choices: tuple[str, ...] = ()
    open_choice: bool = False
    minimum: float | None = None
    maximum: float | None = None
    aliases: tuple[str, ...] = ()
    ref: str | None = None
    value_choices: tuple[str, ...] = ()
    value_default: str = ""
    entry_fields: Mapping[str, FieldSpec] = field(default_factory=dict)
    help: str = ""
    system: bool = False
    name: str = ""
    multiline: bool = False  # notes, minutes, an agenda: line breaks and tabs allowed

    def named(self, name: str) -> FieldSpec:
        return dataclasses.replace(self, name=name)

    @property
    def is_container(self) -> bool:
        return self.kind in CONTAINER_KINDS


def _norm_choice(value: str) -> str:
    return re.sub(r"[\s\-/]+", "_", value.strip().lower())


# ---- declaring fields -------------------------------------------------------------------------


def _declare(spec: FieldSpec, default: Any = None, factory: Any = None) -> Any:
    if factory is not None:
        return field(default_factory=factory, metadata={"spec": spec})
    return field(default=default, metadata={"spec": spec})


class FieldOptions(TypedDict, total=False):
    """What every field may say about itself."""

    required: bool
    sensitive: bool
    aliases: tuple[str, ...]
    help: str


def text(label: str, *, multiline: bool = False, **opts: Unpack[FieldOptions]) -> Any:
    """A line of text; `multiline` for the fields people write paragraphs in."""
    return _declare(FieldSpec(FieldKind.TEXT, label, multiline=multiline, **opts), "")


def integer(
    label: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    default: int = 0,
    **opts: Unpack[FieldOptions],
) -> Any:
    return _declare(FieldSpec(FieldKind.INTEGER, label, minimum=minimum, maximum=maximum, **opts), default)


def number(
    label: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    default: float = 0.0,
    **opts: Unpack[FieldOptions],
) -> Any:
    return _declare(FieldSpec(FieldKind.NUMBER, label, minimum=minimum, maximum=maximum, **opts), default)


def flag(label: str, *, default: bool = False, **opts: Unpack[FieldOptions]) -> Any:
    return _declare(FieldSpec(FieldKind.FLAG, label, **opts), default)


def date_field(label: str, **opts: Unpack[FieldOptions]) -> Any:
    return _declare(FieldSpec(FieldKind.DATE, label, **opts), None)


def moment(label: str, **opts: Unpack[FieldOptions]) -> Any:
    return _declare(FieldSpec(FieldKind.MOMENT, label, **opts), None)


def choice(
    label: str, choices: type[StrEnum], *, default: str, open_choice: bool = False, **opts: Unpack[FieldOptions]
) -> Any:
    values = tuple(str(member.value) for member in choices)
    return _declare(FieldSpec(FieldKind.CHOICE, label, choices=values, open_choice=open_choice, **opts), default)


def ref(label: str, collection: str, **opts: Unpack[FieldOptions]) -> Any:
    return _declare(FieldSpec(FieldKind.REF, label, ref=collection, **opts), "")


def tags(label: str, *, ref_to: str | None = None, **opts: Unpack[FieldOptions]) -> Any:
    return _declare(FieldSpec(FieldKind.TAGS, label, ref=ref_to, **opts), frozenset())


def mapping(
    label: str,
    *,
    values: type[StrEnum] | None = None,
    value_default: str = "",
    ref_to: str | None = None,
    **opts: Unpack[FieldOptions],
) -> Any:
    value_choices = tuple(str(m.value) for m in values) if values else ()
    spec = FieldSpec(
        FieldKind.MAPPING, label, value_choices=value_choices, value_default=value_default, ref=ref_to, **opts
    )
    return _declare(spec, factory=dict)


def tally(label: str, *, minimum: float | None = 0, **opts: Unpack[FieldOptions]) -> Any:
    return _declare(FieldSpec(FieldKind.TALLY, label, minimum=minimum, **opts), 0.0)


def entries(label: str, **entry_fields: Any) -> Any:
    specs = {name: _spec_of(value).named(name) for name, value in entry_fields.items()}
    return _declare(FieldSpec(FieldKind.ENTRIES, label, entry_fields=specs), factory=dict)


def _spec_of(declared: Any) -> FieldSpec:
    spec = declared.metadata["spec"]
    assert isinstance(spec, FieldSpec)
    return spec


# ---- parsing what people type ----------------------------------------------------------------

_TRUE = {"yes", "y", "true", "t", "1", "x", "✓", "on"}
_FALSE = {"no", "n", "false", "f", "0", "", "off", "-"}
_MONTHS = {
    m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}


def parse_date(raw: str, name: str) -> date:
    """ISO dates, plus the unambiguous forms spreadsheets write; refuse 03/04/2025."""
    value = raw.strip()
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", value)
    if m:
        return _make_date(int(m[1]), int(m[2]), int(m[3]), raw, name)
    m = re.fullmatch(r"(\d{1,2})[ -]([A-Za-z]{3})[A-Za-z]*\.?[ -,]*(\d{4})", value)
    if m and m[2].lower() in _MONTHS:
        return _make_date(int(m[3]), _MONTHS[m[2].lower()], int(m[1]), raw, name)
    m = re.fullmatch(r"([A-Za-z]{3})[A-Za-z]*\.? (\d{1,2}),? (\d{4})", value)
    if m and m[1].lower() in _MONTHS:
        return _make_date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]), raw, name)
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", value)
    if m:
        # Day/month or month/day: accept only when exactly one reading is a real date.
        readings = {_real_date(int(m[3]), int(m[2]), int(m[1])), _real_date(int(m[3]), int(m[1]), int(m[2]))} - {None}
        if len(readings) == 1:
            return readings.pop()  # type: ignore[return-value]
        if not readings:
            raise ValidationError(name, f"{raw!r} is not a real date")
        raise ValidationError(name, f"{raw!r} is ambiguous (day/month or month/day?); use YYYY-MM-DD")
    raise ValidationError(name, f"{raw!r} is not a date; use YYYY-MM-DD")


def _real_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _make_date(year: int, month: int, day: int, raw: str, name: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValidationError(name, f"{raw!r} is not a real date") from None


def parse_moment(raw: str, name: str) -> datetime:
    """A local wall-clock time: 'YYYY-MM-DD HH:MM' (ISO 'T' also accepted)."""
    value = raw.strip()
    m = re.fullmatch(r"(.+?)[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?", value)
    if not m:
        day = parse_date(value, name)
        return datetime(day.year, day.month, day.day)
    day = parse_date(m[1], name)
    hour, minute, second = int(m[2]), int(m[3]), int(m[4] or 0)
    if m[5]:
        if not 1 <= hour <= 12:
            raise ValidationError(name, f"{raw!r} has an impossible hour")
        hour = hour % 12 + (12 if m[5].lower() == "pm" else 0)
    try:
        return datetime(day.year, day.month, day.day, hour, minute, second)
    except ValueError:
        raise ValidationError(name, f"{raw!r} is not a real time") from None


def parse_number(raw: object, spec: FieldSpec, name: str) -> float:
    if isinstance(raw, bool):
        raise ValidationError(name, "must be a number")
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        cleaned = str(raw).strip().replace(",", "")
        if not cleaned:
            value = 0.0
        else:
            try:
                value = float(cleaned)
            except ValueError:
                raise ValidationError(name, f"{raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValidationError(name, f"{raw!r} is not a finite number")
    if spec.minimum is not None and value < spec.minimum:
        what = "must not be negative" if spec.minimum == 0 else f"must be at least {spec.minimum:g}"
        raise ValidationError(name, f"{what} (got {value:g})")
    if spec.maximum is not None and value > spec.maximum:
        raise ValidationError(name, f"must be at most {spec.maximum:g} (got {value:g})")
    return value


def plain_text(value: str, name: str, *, multiline: bool = False) -> str:
    """`value` unchanged, or a `ValidationError` naming the control character it holds.

    Refused on the way in, so a name typed, imported or sent to join can never steer a
    terminal; what a peer already wrote is shown through `magnet.safetext.shown` instead.
    """
    problem = control_problem(value, multiline=multiline)
    if problem is not None:
        raise ValidationError(name, problem)
    return value


def _parse_choice(raw: object, spec: FieldSpec, name: str, choices: tuple[str, ...], open_choice: bool) -> str:
    value = plain_text(str(raw).strip(), name)
    if not value:
        raise ValidationError(name, "must not be empty")
    normal = _norm_choice(value)
    if normal in choices:
        return normal
    if open_choice:
        return value
    raise ValidationError(name, f"{value!r} is not one of: {', '.join(choice_label(c) for c in choices)}")


def split_list(raw: str) -> list[str]:
    """'first aid; radio, cooking' -> ['first aid', 'radio', 'cooking']."""
    return [part.strip() for part in re.split(r"[;,\n]", raw) if part.strip()]


def parse_value(spec: FieldSpec, raw: object) -> Any:
    """Turn typed input (a string from a form or spreadsheet, or a Python value) into a field value."""
    name = spec.name or spec.label
    kind = spec.kind
    if kind is FieldKind.TEXT:
        value = "" if raw is None else str(raw).strip()
        if spec.multiline:
            value = one_kind_of_line_end(value)
        if spec.required and not value:
            raise ValidationError(name, "must not be empty")
        if len(value) > MAX_TEXT:
            raise ValidationError(name, f"is too long ({len(value)} characters, at most {MAX_TEXT})")
        return plain_text(value, name, multiline=spec.multiline)
    if kind is FieldKind.REF:
        value = "" if raw is None else str(raw).strip()
        if spec.required and not value:
            raise ValidationError(name, "must not be empty")
        return plain_text(value, name)
    if kind is FieldKind.INTEGER:
        number_value = parse_number(raw, spec, name)
        if number_value != int(number_value):
            raise ValidationError(name, f"{raw!r} is not a whole number")
        return int(number_value)
    if kind in (FieldKind.NUMBER, FieldKind.TALLY):
        return parse_number(raw, spec, name)
    if kind is FieldKind.FLAG:
        if isinstance(raw, bool):
            return raw
        word = str(raw if raw is not None else "").strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ValidationError(name, f"{raw!r} is not yes or no")
    if kind is FieldKind.DATE:
        if raw is None or raw == "":
            if spec.required:
                raise ValidationError(name, "must not be empty")
            return None
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        return parse_date(str(raw), name)
    if kind is FieldKind.MOMENT:
        if raw is None or raw == "":
            if spec.required:
                raise ValidationError(name, "must not be empty")
            return None
        if isinstance(raw, datetime):
            return raw.replace(tzinfo=None, microsecond=0)
        if isinstance(raw, date):
            return datetime(raw.year, raw.month, raw.day)
        return parse_moment(str(raw), name)
    if kind is FieldKind.CHOICE:
        return _parse_choice(raw, spec, name, spec.choices, spec.open_choice)
    if kind is FieldKind.TAGS:
        items = split_list(raw) if isinstance(raw, str) else [str(x).strip() for x in (raw or ())]  # type: ignore[attr-defined]
        return frozenset(plain_text(item, name) for item in items if item)
    if kind is FieldKind.MAPPING:
        return _parse_mapping(raw, spec, name)
    if kind is FieldKind.ENTRIES:
        if not isinstance(raw, Mapping):
            raise ValidationError(name, "must be a set of entries")
        return {str(key): parse_entry(spec, value) for key, value in raw.items()}
    raise AssertionError(kind)


def _parse_mapping(raw: object, spec: FieldSpec, name: str) -> dict[str, str]:
    pairs: list[tuple[str, str]] = []
    if isinstance(raw, Mapping):
        pairs = [(str(k).strip(), "" if v is None else str(v).strip()) for k, v in raw.items()]
    elif isinstance(raw, str):
        for item in split_list(raw):
            key, sep, value = item.partition(":")
            if not sep:
                key, sep, value = item.partition("=")
            pairs.append((key.strip(), value.strip()))
    elif raw is not None:
        raise ValidationError(name, f"{raw!r} is not a list of 'name: value' pairs")
    result: dict[str, str] = {}
    for key, given in pairs:
        if not key:
            raise ValidationError(name, "an entry has no name")
        plain_text(key, name)
        # A value may be a survey's free answer or a progress note: lines, but no control.
        value = plain_text(one_kind_of_line_end(given), f"{name} ({key})", multiline=True) or spec.value_default
        if spec.value_choices and value:
            value = _parse_choice(value, spec, f"{name} ({key})", spec.value_choices, False)
        result[key] = value
    return result


def parse_entry(spec: FieldSpec, raw: object) -> dict[str, Any]:
    """Validate one sub-record (a milestone, a question) against the entry's own fields."""
    if not isinstance(raw, Mapping):
        raise ValidationError(spec.name or spec.label, "each entry must have named fields")
    result: dict[str, Any] = {}
    for key, value in raw.items():
        sub = spec.entry_fields.get(str(key))
        if sub is None:
            raise ValidationError(spec.name or spec.label, f"unknown entry field {key!r}")
        result[str(key)] = parse_value(dataclasses.replace(sub, name=f"{spec.name}.{key}"), value)
    for key, sub in spec.entry_fields.items():
        if sub.required and key not in result:
            raise ValidationError(f"{spec.name}.{key}", "must not be empty")
    return result
