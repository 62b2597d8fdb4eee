"""One collection of records (members, inventory, ...) inside the group document.

Collections are Automerge maps keyed by random ids, so concurrent adds never collide. Updates
write only the fields that changed, so concurrent edits to different fields of one record both
survive. Deleting is an explicit purge; everyday removal is an archive flag.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from automerge.core import ObjType, ScalarType, Transaction

from magnet.checks import check_entry, check_record
from magnet.errors import NotFound, ValidationError
from magnet.fields import FieldSpec, parse_entry, parse_value
from magnet.record import Record, decode_record
from magnet.values import FieldKind

if TYPE_CHECKING:
    from magnet.document import GroupDocument

R = TypeVar("R", bound=Record)

_SCALAR_TYPES = {
    FieldKind.TEXT: ScalarType.Str,
    FieldKind.REF: ScalarType.Str,
    FieldKind.CHOICE: ScalarType.Str,
    FieldKind.DATE: ScalarType.Str,
    FieldKind.MOMENT: ScalarType.Str,
    FieldKind.INTEGER: ScalarType.Int,
    FieldKind.NUMBER: ScalarType.F64,
    FieldKind.FLAG: ScalarType.Boolean,
}


def new_id() -> str:
    """A random record id: 64 bits, so two devices adding offline never pick the same one."""
    return os.urandom(8).hex()


def now() -> datetime:
    return datetime.now().replace(microsecond=0)


def put_scalar(tx: Transaction, obj: bytes, key: str, spec: FieldSpec, value: Any) -> None:
    """Write one scalar field with its explicit Automerge type."""
    if value is None:
        tx.put(obj, key, ScalarType.Null, None)
        return
    kind = spec.kind
    if kind in (FieldKind.NUMBER, FieldKind.INTEGER, FieldKind.TALLY) and not math.isfinite(value):
        # The last guard: NaN and infinities never reach the document, whoever asked.
        raise ValidationError(spec.name or key, f"{value!r} is not a finite number")
    if kind is FieldKind.DATE:
        value = value.isoformat()
    elif kind is FieldKind.MOMENT:
        value = value.replace(microsecond=0).isoformat()
    elif kind is FieldKind.NUMBER:
        value = float(value)
    elif kind is FieldKind.INTEGER:
        value = int(value)
    tx.put(obj, key, _SCALAR_TYPES[kind], value)


def write_entry(
    tx: Transaction,
    entries_obj: bytes,
    spec: FieldSpec,
    entry_id: str,
    *,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
) -> None:
    """Write the fields of one sub-entry that differ from `old`, creating the entry if new."""
    found = tx.get(entries_obj, entry_id)
    is_new = found is None or found[0] != ObjType.Map
    entry_obj = tx.put_object(entries_obj, entry_id, ObjType.Map) if is_new or found is None else found[1]
    for key, value in new.items():
        if is_new or key not in old or old[key] != value:
            put_scalar(tx, entry_obj, key, spec.entry_fields[key], value)


def child_map(tx: Transaction, obj: bytes, key: str) -> bytes:
    """The map stored at `obj[key]`, created if an older record lacks it."""
    found = tx.get(obj, key)
    if found is not None and found[0] == ObjType.Map:
        return found[1]
    return tx.put_object(obj, key, ObjType.Map)


W = TypeVar("W", bound=Callable[..., Any])


def forwarded(write: W) -> W:
    """A write made in the process holding the whole document, when this copy reads the read model.

    The app shows a large group from its read model and never loads its history; its node's
    process holds the document, makes the write (checks and all) and feeds the records back.
    """

    @functools.wraps(write)
    def maybe_forwarded(self: Collection[Any], *args: Any, **kwargs: Any) -> Any:
        remote = self._doc.forwarding()
        if remote is None:
            return write(self, *args, **kwargs)
        return self._doc.forward(remote, self.name, write.__name__, args, kwargs)

    return cast(W, maybe_forwarded)


class Collection(Generic[R]):
    """Add, read, update, archive and purge the records of one kind."""

    def __init__(self, doc: GroupDocument, record_type: type[R]) -> None:
        self._doc = doc
        self.record_type = record_type
        self.name = record_type.COLLECTION

    # ---- reading ----------------------------------------------------------------------------

    def all(self, *, include_archived: bool = False) -> list[R]:
        """Every record, archived ones only when asked for."""
        records = self._doc.read_collection(self.record_type)
        if include_archived:
            return list(records)
        return [r for r in records if not r.archived]

    def __iter__(self) -> Iterator[R]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self.all())

    def find(self, record_id: str) -> R | None:
        return self._doc.record_index(self.record_type).get(record_id)

    def get(self, record_id: str) -> R:
        record = self.find(record_id)
        if record is None:
            raise NotFound(f"no {self.record_type.NOUN} with id {record_id!r}")
        return record

    def filter(
        self, where: Callable[[R], bool] | None = None, *, include_archived: bool = False, **equals: Any
    ) -> list[R]:
        """Records matching a predicate and/or field equality, e.g. `filter(zone="B")`."""
        for key in equals:
            if key not in self.record_type.all_specs():
                raise ValidationError(key, f"{self.record_type.NOUN} has no such field")
        return [
            r
            for r in self.all(include_archived=include_archived)
            if all(getattr(r, k) == v for k, v in equals.items()) and (where is None or where(r))
        ]

    # ---- validating -------------------------------------------------------------------------

    def parse(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Check every given field; raise the first clear `ValidationError`."""
        specs = self.record_type.specs()
        parsed: dict[str, Any] = {}
        for key, raw in values.items():
            spec = specs.get(key)
            if spec is None:
                raise ValidationError(key, f"{self.record_type.NOUN} has no such field")
            parsed[key] = parse_value(spec, raw)
        return parsed

    def validate_new(self, values: Mapping[str, Any]) -> dict[str, Any]:
        parsed = self.parse(values)
        for key, spec in self.record_type.specs().items():
            if spec.required and key not in parsed:
                raise ValidationError(key, "must not be empty")
        check_record(self._doc, self.record_type, parsed, None)
        return parsed

    # ---- writing ----------------------------------------------------------------------------

    @forwarded
    def add(self, **values: Any) -> R:
        """Validate and store a new record; returns it with its new id."""
        parsed = self.validate_new(values)
        record_id = new_id()
        with self._doc.change(self.name, record_id) as tx:
            self.write_new(tx, record_id, parsed)
        return self.get(record_id)

    @forwarded
    def add_many(self, rows: Sequence[Mapping[str, Any]]) -> list[R]:
        """Validate every row first, then store them all in one commit: all or nothing."""
        parsed = [self.validate_new(row) for row in rows]
        ids = [new_id() for _ in parsed]
        if not ids:
            return []
        with self._doc.change(self.name, *ids) as tx:
            for record_id, values in zip(ids, parsed, strict=True):
                self.write_new(tx, record_id, values)
        index = self._doc.record_index(self.record_type)
        return [index[record_id] for record_id in ids]

    def write_new(self, tx: Transaction, record_id: str, parsed: Mapping[str, Any]) -> None:
        """Create a record inside an open transaction (used by bulk imports for one commit)."""
        collection = self._doc.collection_obj(self.name)
        obj = tx.put_object(collection, record_id, ObjType.Map)
        stamp = now()
        specs = self.record_type.all_specs()
        put_scalar(tx, obj, "created_at", specs["created_at"], stamp)
        self._stamp(tx, obj, stamp)
        put_scalar(tx, obj, "archived", specs["archived"], False)
        defaults = self.record_type()
        for key, spec in self.record_type.specs().items():
            value = parsed.get(key, getattr(defaults, key))
            if spec.is_container:
                # Containers exist from the start: two devices adding the first skill at once
                # must write into one map, not race to create two.
                child = tx.put_object(obj, key, ObjType.Map)
                self._fill_container(tx, child, spec, value)
            elif key in parsed or spec.kind in (FieldKind.CHOICE, FieldKind.FLAG):
                put_scalar(tx, obj, key, spec, value)

    @forwarded
    def update(self, record_id: str, **values: Any) -> R:
        """Write only the fields whose value differs from what is stored now."""
        parsed = self.parse(values)
        current = self.get(record_id)
        for key, value in parsed.items():
            spec = self.record_type.spec(key)
            if spec.required and value in ("", None):
                raise ValidationError(key, "must not be empty")
        changed = {k: v for k, v in parsed.items() if getattr(current, k) != v}
        if not changed:
            return current
        check_record(self._doc, self.record_type, changed, current)
        with self._doc.change(self.name, record_id) as tx:
            obj = self._record_obj(tx, record_id)
            for key, value in changed.items():
                self._write_field(tx, obj, self.record_type.spec(key), getattr(current, key), value)
            self._stamp(tx, obj, now())
        return self.get(record_id)

    @forwarded
    def archive(self, record_id: str) -> R:
        return self._set_archived(record_id, True)

    @forwarded
    def restore(self, record_id: str) -> R:
        return self._set_archived(record_id, False)

    def _set_archived(self, record_id: str, archived: bool) -> R:
        current = self.get(record_id)
        if current.archived == archived:
            return current
        with self._doc.change(self.name, record_id) as tx:
            obj = self._record_obj(tx, record_id)
            put_scalar(tx, obj, "archived", self.record_type.spec("archived"), archived)
            self._stamp(tx, obj, now())
        return self.get(record_id)

    @forwarded
    def purge(self, record_id: str) -> None:
        """Delete a record for good. A concurrent edit to it elsewhere is lost: prefer archive."""
        self.get(record_id)
        with self._doc.change(self.name, record_id) as tx:
            tx.delete(self._doc.collection_obj(self.name), record_id)

    @forwarded
    def adjust(self, record_id: str, field: str, delta: float) -> R:
        """Add `delta` to a tally; concurrent adjustments on other devices all add up."""
        spec = self.record_type.spec(field)
        if spec.kind is not FieldKind.TALLY:
            raise ValidationError(field, "is not a quantity that can be adjusted")
        if isinstance(delta, bool) or not isinstance(delta, int | float) or not math.isfinite(delta):
            raise ValidationError(field, f"{delta!r} is not a finite number")
        current = float(getattr(self.get(record_id), field))
        if spec.minimum is not None and current + delta < spec.minimum:
            raise ValidationError(field, f"would drop below {spec.minimum:g} ({current:g} {delta:+g})")
        with self._doc.change(self.name, record_id) as tx:
            obj = self._record_obj(tx, record_id)
            self._add_to_tally(tx, obj, field, delta)
            self._stamp(tx, obj, now())
        return self.get(record_id)

    @forwarded
    def put_entry(self, record_id: str, field: str, entry_id: str | None = None, **values: Any) -> str:
        """Add or change one sub-entry (a milestone, a question), field by field."""
        spec = self.record_type.spec(field)
        if spec.kind is not FieldKind.ENTRIES:
            raise ValidationError(field, "does not hold entries")
        existing = getattr(self.get(record_id), field)
        if entry_id is None or entry_id not in existing:
            parsed = parse_entry(spec, values)
            old: dict[str, Any] = {}
        else:
            parsed = parse_entry(
                spec, {**{k: v for k, v in existing[entry_id].items() if k in spec.entry_fields}, **values}
            )
            old = existing[entry_id]
        check_entry(self.record_type, field, {**old, **parsed})
        entry_id = entry_id or new_id()
        with self._doc.change(self.name, record_id) as tx:
            obj = self._record_obj(tx, record_id)
            entries_obj = child_map(tx, obj, field)
            write_entry(tx, entries_obj, spec, entry_id, old=old, new=parsed)
            self._stamp(tx, obj, now())
        return entry_id

    @forwarded
    def remove_entry(self, record_id: str, field: str, entry_id: str) -> None:
        spec = self.record_type.spec(field)
        if spec.kind is not FieldKind.ENTRIES or entry_id not in getattr(self.get(record_id), field):
            raise NotFound(f"no entry {entry_id!r} in {field}")
        with self._doc.change(self.name, record_id) as tx:
            obj = self._record_obj(tx, record_id)
            tx.delete(child_map(tx, obj, field), entry_id)
            self._stamp(tx, obj, now())

    # ---- field writers ----------------------------------------------------------------------

    def _record_obj(self, tx: Transaction, record_id: str) -> bytes:
        found = tx.get(self._doc.collection_obj(self.name), record_id)
        if found is None or found[0] != ObjType.Map:
            raise NotFound(f"no {self.record_type.NOUN} with id {record_id!r}")
        return found[1]

    def _stamp(self, tx: Transaction, obj: bytes, stamp: datetime) -> None:
        specs = self.record_type.all_specs()
        put_scalar(tx, obj, "updated_at", specs["updated_at"], stamp)
        put_scalar(tx, obj, "updated_by", specs["updated_by"], self._doc.device_id)

    def _fill_container(self, tx: Transaction, child: bytes, spec: FieldSpec, value: Any) -> None:
        if spec.kind is FieldKind.TAGS:
            for tag in value:
                tx.put(child, tag, ScalarType.Boolean, True)
        elif spec.kind is FieldKind.MAPPING:
            for key, item in value.items():
                tx.put(child, key, ScalarType.Str, item)
        elif spec.kind is FieldKind.TALLY:
            if value:
                tx.put(child, self._doc.actor_key, ScalarType.F64, float(value))
        elif spec.kind is FieldKind.ENTRIES:
            for entry_id, entry in value.items():
                write_entry(tx, child, spec, entry_id, old={}, new=entry)

    def _write_field(self, tx: Transaction, obj: bytes, spec: FieldSpec, old: Any, new: Any) -> None:
        key = spec.name
        kind = spec.kind
        if not spec.is_container:
            put_scalar(tx, obj, key, spec, new)
        elif kind is FieldKind.TAGS:
            child = child_map(tx, obj, key)
            for tag in new - old:
                tx.put(child, tag, ScalarType.Boolean, True)
            for tag in old - new:
                tx.delete(child, tag)
        elif kind is FieldKind.MAPPING:
            child = child_map(tx, obj, key)
            for item_key, item in new.items():
                if old.get(item_key) != item:
                    tx.put(child, item_key, ScalarType.Str, item)
            for item_key in old.keys() - new.keys():
                tx.delete(child, item_key)
        elif kind is FieldKind.TALLY:
            self._add_to_tally(tx, obj, key, float(new) - float(old))
        elif kind is FieldKind.ENTRIES:
            child = child_map(tx, obj, key)
            for entry_id, entry in new.items():
                write_entry(tx, child, spec, entry_id, old=old.get(entry_id, {}), new=entry)
            for entry_id in old.keys() - new.keys():
                tx.delete(child, entry_id)

    def _add_to_tally(self, tx: Transaction, obj: bytes, key: str, delta: float) -> None:
        """Each device (actor) keeps its own running contribution; the value is their sum.

        automerge 1.0.0rc1 cannot create Counter values, so this is the classic per-replica
        counter built from a map: every actor writes only its own key, so concurrent
        adjustments never overwrite each other. A Counter written by another Automerge
        (e.g. JavaScript) is honoured and incremented in place.
        """
        if delta == 0:
            return
        found = tx.get(obj, key)
        if found is not None and not isinstance(found[0], ObjType):
            scalar_type, value = found[0]
            if scalar_type == ScalarType.Counter and float(delta).is_integer():
                tx.increment(obj, key, int(delta))
                return
            base = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
            child = tx.put_object(obj, key, ObjType.Map)
            # The plain number becomes the tally's base under a key named after the write that
            # stored it: two devices converting it at once write the same key, so once their
            # maps are folded together the base still counts once.
            if base and math.isfinite(base):
                tx.put(child, "base-" + found[1].hex(), ScalarType.F64, base)
            tx.put(child, self._doc.actor_key, ScalarType.F64, delta)
            return
        child = child_map(tx, obj, key)
        mine = tx.get(child, self._doc.actor_key)
        current = 0.0
        if mine is not None and not isinstance(mine[0], ObjType):
            raw = mine[0][1]
            if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
                current = float(raw)
        tx.put(child, self._doc.actor_key, ScalarType.F64, current + delta)


def decode_collection(record_type: type[R], raw: Mapping[str, Any]) -> list[R]:
    """Typed records from a collection's plain values, skipping anything that is not a record."""
    return [decode_record(record_type, key, value) for key, value in raw.items() if isinstance(value, dict)]
