"""Which objects and keys a raw Automerge change writes, read from the change's own bytes.

rc1's `Document.diff(before, after)` costs time in proportion to the whole document (x10: ~240 ms
for a one-field change), and it is how a merge learned which records it touched. The change
itself says it: its op columns name each op's object and key. This reads those columns only
(no values), following the Automerge binary format:

    chunk:   magic 85 6f 4a 83 | checksum 4 | type (1 change, 2 DEFLATE-compressed change) | ULEB length
    change:  deps (ULEB n, n x 32 bytes) | actor | seq | start op | time (SLEB) | message |
             other actors | columns (ULEB n, n x (spec, length)) | column data | extra
    spec:    column << 4 | 8 if DEFLATE-compressed | type; objActor = 1, objCtr = 2, keyStr = 21,
             action = 66, all run-length coded (SLEB run: > 0 one value repeated, < 0 that many
             literals, 0 then a ULEB count of nulls)

Anything else (another chunk type, a truncated column, a column longer than the ops) raises
`ChangeFormatError`: the caller then asks Automerge for a diff as before.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from magnet.crdt import CHUNK_MAGIC

V = TypeVar("V")

CHANGE, COMPRESSED_CHANGE = 1, 2
OBJ_ACTOR, OBJ_CTR, KEY_STR, ACTION = 1, 2, 21, 66
MAKE_MAP, PUT, MAKE_LIST, DELETE, MAKE_TEXT, INCREMENT, MAKE_TABLE = range(7)
MAKES = frozenset({MAKE_MAP, MAKE_LIST, MAKE_TEXT, MAKE_TABLE})

ObjKey = tuple[int, bytes]  # (counter, actor): how a change names an object it did not make


class ChangeFormatError(ValueError):
    """Bytes this reader does not vouch for."""


class Op(NamedTuple):
    id: ObjKey  # the op's own id: the object it makes, when it makes one
    obj: ObjKey | None  # None: the document's root
    key: str | None  # None: a list position
    action: int


def parse_change(raw: bytes) -> list[Op]:
    """Every op of one change chunk, in order."""
    try:
        return _parse(raw)
    except (IndexError, ValueError, UnicodeDecodeError, zlib.error) as exc:
        raise ChangeFormatError(f"not a change this reader knows: {exc}") from exc


def _parse(raw: bytes) -> list[Op]:
    if raw[:4] != CHUNK_MAGIC:
        raise ValueError("no chunk magic")
    kind = raw[8]
    length, at = _uleb(raw, 9)
    body = raw[at : at + length]
    if len(body) != length:
        raise ValueError("truncated chunk")
    if kind == COMPRESSED_CHANGE:
        body = zlib.decompress(body, -15)
    elif kind != CHANGE:
        raise ValueError(f"chunk type {kind}")
    deps, at = _uleb(body, 0)
    at += 32 * deps
    actor, at = _bytes(body, at)
    _, at = _uleb(body, at)  # seq
    start, at = _uleb(body, at)
    _, at = _sleb(body, at)  # time
    _, at = _bytes(body, at)  # message
    actors = [actor]
    others, at = _uleb(body, at)
    for _ in range(others):
        other, at = _bytes(body, at)
        actors.append(other)
    count, at = _uleb(body, at)
    specs: list[tuple[int, int]] = []
    for _ in range(count):
        spec, at = _uleb(body, at)
        size, at = _uleb(body, at)
        specs.append((spec, size))
    columns: dict[int, bytes] = {}
    for spec, size in specs:
        data = body[at : at + size]
        if len(data) != size:
            raise ValueError("truncated column")
        at += size
        columns[spec & ~8] = zlib.decompress(data, -15) if spec & 8 else data
    actions = _runs(columns.get(ACTION, b""), _uleb)
    ops = len(actions)
    obj_actor = _padded(_runs(columns.get(OBJ_ACTOR, b""), _uleb), ops)
    obj_ctr = _padded(_runs(columns.get(OBJ_CTR, b""), _uleb), ops)
    key_str = _padded(_runs(columns.get(KEY_STR, b""), _text), ops)
    found: list[Op] = []
    for n in range(ops):
        action, ctr, index = actions[n], obj_ctr[n], obj_actor[n]
        if action is None:
            raise ValueError("an op without an action")
        obj = None if ctr is None or index is None else (ctr, actors[index])
        key = key_str[n]
        found.append(Op((start + n, actor), obj, key, action))
    return found


def _padded(values: list[V | None], length: int) -> list[V | None]:
    if len(values) > length:
        raise ValueError("a column longer than the ops")
    return values + [None] * (length - len(values))


def _runs(data: bytes, read: Callable[[bytes, int], tuple[V, int]]) -> list[V | None]:
    values: list[V | None] = []
    at = 0
    while at < len(data):
        run, at = _sleb(data, at)
        if run > 0:
            value, at = read(data, at)
            values.extend([value] * run)
        elif run < 0:
            for _ in range(-run):
                value, at = read(data, at)
                values.append(value)
        else:
            nulls, at = _uleb(data, at)
            values.extend([None] * nulls)
    return values


def _text(data: bytes, at: int) -> tuple[str, int]:
    raw, at = _bytes(data, at)
    return raw.decode(), at


def _bytes(data: bytes, at: int) -> tuple[bytes, int]:
    length, at = _uleb(data, at)
    value = data[at : at + length]
    if len(value) != length:
        raise ValueError("truncated")
    return value, at + length


def _uleb(data: bytes, at: int) -> tuple[int, int]:
    return _leb(data, at, signed=False)


def _sleb(data: bytes, at: int) -> tuple[int, int]:
    return _leb(data, at, signed=True)


def _leb(data: bytes, at: int, *, signed: bool) -> tuple[int, int]:
    """A LEB128 number; unlike crdt.read_uleb128, a truncated one raises (IndexError)."""
    result = shift = 0
    while True:
        byte = data[at]
        at += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return (result - (1 << shift) if signed and byte & 0x40 else result), at
        if shift > 63:
            raise ValueError("an over-long number")
