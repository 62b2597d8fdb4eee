"""Two maps made at one key: find the one a merge hid and fold what it holds into the one shown.

Automerge keeps one of two maps created concurrently at the same key and hides the other with
everything inside it. magnet avoids making such pairs (collections come from deterministic schema
changes, containers are made with their record), but an older version, a foreign Automerge tool or
a hostile file can still make one. A hidden map stays readable by its id, so after every merge
the keys that collided are looked at from each side's point of view (the heads before the merge,
and the heads that arrived); any map seen there that is not the one shown now is folded into it:
keys it lacks are copied, maps are folded recursively, and a value present on both sides is taken
from the hidden side only when it was written later (Lamport order of the two writes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from automerge.core import Document, ObjType, ScalarType, Transaction

from magnet import crdt

Prop = str | int


@dataclass(frozen=True)
class Hidden:
    """A map that a collision hid, and the map shown in its place."""

    parent: bytes
    key: str
    shown: bytes
    hidden: bytes


def find_hidden(doc: Document, keys: Iterable[tuple[bytes, str]], views: Sequence[list[bytes]]) -> list[Hidden]:
    """Maps visible at some view but not now, for each (parent, key) that may have collided."""
    found: list[Hidden] = []
    seen: set[tuple[bytes, bytes]] = set()
    for parent, key in keys:
        now = _get(doc, parent, key, None)
        if now is None or now[0] != ObjType.Map:
            continue
        for heads in views:
            then = _get(doc, parent, key, heads)
            if then is None or then[0] != ObjType.Map or then[1] == now[1] or (now[1], then[1]) in seen:
                continue
            seen.add((now[1], then[1]))
            found.append(Hidden(parent, key, now[1], then[1]))
    return found


def _get(doc: Document, obj: bytes, key: str, heads: list[bytes] | None) -> tuple[object, bytes] | None:
    try:
        found = doc.get(obj, key, heads) if heads is not None else doc.get(obj, key)
    except Exception:  # the parent did not exist at those heads
        return None
    return found


def fold(tx: Transaction, shown: bytes, hidden: bytes) -> int:
    """Copy into `shown` what only `hidden` holds (or holds a later write of); the number of values written."""
    written = 0
    for key, (value, op) in zip(tx.keys(hidden), tx.values(hidden), strict=True):
        here = tx.get(shown, key)
        if isinstance(value, ObjType):
            if value == ObjType.Map:
                if here is None:
                    written += 1 + fold(tx, tx.put_object(shown, key, ObjType.Map), op)
                elif here[0] == ObjType.Map:
                    written += fold(tx, here[1], op)
            elif here is None:
                written += _copy_sequence(tx, shown, key, value, op)
            continue
        scalar_type, scalar = value
        if scalar_type in (ScalarType.Counter, ScalarType.Unknown):
            continue  # rc1 cannot write these (a Counter put panics); the hidden one stays readable
        if here is None or (not isinstance(here[0], ObjType) and here[0] != value and later(op, here[1])):
            tx.put(shown, key, scalar_type, scalar)
            written += 1
    return written


def _copy_sequence(tx: Transaction, parent: bytes, key: str, kind: ObjType, source: bytes) -> int:
    target = tx.put_object(parent, key, kind)
    if kind == ObjType.Text:
        for index, char in enumerate(tx.text(source)):
            tx.insert(target, index, ScalarType.Str, char)
        return 1
    index = 0
    for value, _op in tx.values(source):
        if not isinstance(value, ObjType):
            tx.insert(target, index, value[0], value[1])
            index += 1
    return 1


def later(first: bytes, second: bytes) -> bool:
    """Whether op `first` comes after op `second` in Automerge's order (counter, then actor)."""
    return op_order(first) > op_order(second)


def op_order(op: bytes) -> tuple[int, bytes]:
    """(counter, actor) of an op id: Automerge's order of writes."""
    return crdt.op_id(op) or (0, b"")
