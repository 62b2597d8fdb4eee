"""The shape every record shares: an id, an archive flag, who touched it last, and unknown fields kept."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, NamedTuple, Self, TypeVar

from magnet.fields import FieldSpec, flag, moment, text
from magnet.kinds import Kind
from magnet.values import FieldKind, decode_mapping, decode_scalar, decode_tags, finite, format_value, tally_total

# Fields every record carries; the collection writes them, people do not.
SYSTEM_FIELDS = ("archived", "created_at", "updated_at", "updated_by")


@dataclass(frozen=True, kw_only=True)
class Record:
    """A row of one collection. Frozen: change one with `edit()` and store it with `update()`."""

    KIND: ClassVar[Kind] = Kind("", noun="record")
    # Derived from KIND for every subclass, so call sites read one attribute.
    COLLECTION: ClassVar[str] = ""
    NOUN: ClassVar[str] = "record"  # how a person names one: "member", "item"
    TITLE_FIELD: ClassVar[str] = "name"

    id: str = ""
    archived: bool = flag("Archived")
    created_at: datetime | None = moment("Created")
    updated_at: datetime | None = moment("Updated")
    updated_by: str = text("Updated by")
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.COLLECTION = cls.KIND.collection
        cls.NOUN = cls.KIND.noun
        cls.TITLE_FIELD = cls.KIND.title

    @classmethod
    def specs(cls) -> dict[str, FieldSpec]:
        """The fields people edit, in declaration order (system fields excluded)."""
        return {name: spec for name, spec in _all_specs(cls).items() if name not in SYSTEM_FIELDS}

    @classmethod
    def all_specs(cls) -> dict[str, FieldSpec]:
        return _all_specs(cls)

    @classmethod
    def spec(cls, name: str) -> FieldSpec:
        return _all_specs(cls)[name]

    @property
    def title(self) -> str:
        """The text a list shows for this record."""
        return str(getattr(self, self.TITLE_FIELD, "")) or self.id

    def edit(self, **changes: Any) -> Self:
        return dataclasses.replace(self, **changes)

    def values(self) -> dict[str, Any]:
        """Field name -> value for every declared field (system ones included)."""
        return {name: getattr(self, name) for name in _all_specs(type(self))}


R = TypeVar("R", bound=Record)


_SPECS: dict[type[Record], dict[str, FieldSpec]] = {}


def _all_specs(cls: type[Record]) -> dict[str, FieldSpec]:
    cached = _SPECS.get(cls)
    if cached is not None:
        return cached
    specs: dict[str, FieldSpec] = {}
    for f in dataclasses.fields(cls):
        spec = f.metadata.get("spec")
        if isinstance(spec, FieldSpec):
            system = f.name in SYSTEM_FIELDS
            specs[f.name] = dataclasses.replace(spec, name=f.name, system=system)
    _SPECS[cls] = specs
    return specs


# ---- reading records out of a document (lenient) --------------------------------------------


Decoder = Callable[[Any], Any]


class _Plan(NamedTuple):
    """How to decode one record type: a step per stored key, and the empty values of the rest."""

    steps: dict[str, Decoder]
    empty: dict[str, Any]  # the immutable empty values, copied for each record
    fresh: tuple[tuple[str, Callable[[], Any]], ...]  # mutable ones ({}), made for each record


_PLANS: dict[type[Record], _Plan] = {}
# Kinds whose empty value is a dict: made anew for each record, never shared between two.
_MUTABLE_EMPTY = (FieldKind.MAPPING, FieldKind.ENTRIES)


def _text(raw: Any) -> Any:
    return raw if type(raw) is str else ""


def _moment(raw: Any) -> Any:
    if type(raw) is str and raw:
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            return None
        return value if value.tzinfo is None else value.replace(tzinfo=None)
    return raw.replace(tzinfo=None) if isinstance(raw, datetime) else None


def _flag(raw: Any) -> bool:
    return raw if type(raw) is bool else bool(raw) if type(raw) is int else False


def _number(raw: Any) -> float:
    return float(raw) if finite(raw) else 0.0


_FAST: dict[FieldKind, Decoder] = {
    FieldKind.TEXT: _text,
    FieldKind.REF: _text,
    FieldKind.CHOICE: _text,
    FieldKind.MOMENT: _moment,
    FieldKind.FLAG: _flag,
    FieldKind.NUMBER: _number,
    FieldKind.TALLY: tally_total,
    FieldKind.TAGS: decode_tags,
    FieldKind.MAPPING: decode_mapping,
}


def _decoder(spec: FieldSpec) -> Decoder:
    """The decoder for one field; the common kinds skip `decode_scalar`'s dispatch."""
    return _FAST.get(spec.kind) or functools.partial(decode_scalar, spec)


def _plan(cls: type[Record]) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        defaults = {f.name: f for f in dataclasses.fields(cls)}
        steps: dict[str, Decoder] = {}
        empty: dict[str, Any] = {}
        fresh: list[tuple[str, Callable[[], Any]]] = []
        for name, spec in _all_specs(cls).items():
            steps[name] = _decoder(spec)
            if spec.kind is FieldKind.CHOICE:
                empty[name] = defaults[name].default
            elif spec.kind in _MUTABLE_EMPTY:
                fresh.append((name, functools.partial(decode_scalar, spec, None)))
            else:
                empty[name] = decode_scalar(spec, None)
        plan = _PLANS[cls] = _Plan(steps, empty, tuple(fresh))
    return plan


def decode_record(cls: type[R], record_id: str, raw: Mapping[str, Any]) -> R:
    """Build a typed record from the plain values stored under one id.

    Bypasses the dataclass __init__ (a measurable cost when a group holds thousands of records);
    every declared field is still set, from the stored value or the field's empty value.
    """
    steps, empty, fresh = _plan(cls)
    values = empty.copy()
    extra: dict[str, Any] = {}
    for key, value in raw.items():
        step = steps.get(key)
        if step is None:
            extra[key] = value
        else:
            values[key] = step(value)
    for key, make in fresh:
        if key not in raw:
            values[key] = make()
    record = cls.__new__(cls)
    record.__dict__.update(values, id=record_id, extra=extra)
    return record


def display(record: Record, name: str) -> str:
    """A field of `record` as text, e.g. for a table cell."""
    return format_value(record.spec(name), getattr(record, name))


__all__ = ["SYSTEM_FIELDS", "Record", "decode_record", "display"]
