"""The group's records in a compact file beside the store, so reading them does not replay history.

Loading the Automerge document replays every change the group ever made: seconds for a large
group. Most commands and the app's first screen only read. This file holds the plain values of
every collection as of one exact state of the store file (its inode, size and modification time:
the store only appends, and compaction makes a new inode), one blob per collection so a reader unpacks only
what it shows. The document stays the only truth: a file that is missing, damaged or made for
another state of the store is ignored, and whoever has the document loaded writes a new one.

    header: b"MAGNETR\\x02" | length u32 | crc32 u32 | msgpack {group_id, schema, heads, state,
            index: {name: [offset, length, crc32]}, sealed, listings: [how to list each kind]}
    then:   one blob per collection (msgpack {id: values}), sealed like the store when it is encrypted

Every part carries a checksum: a damaged file gives no answer (`ReadModelDamaged`), never a wrong one.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar, cast

import msgpack

if TYPE_CHECKING:
    from magnet.record import Record

FILE = "records.mgr"
# \x02: a datetime another writer stored comes back as a datetime (\x01 kept it as text).
MAGIC = b"MAGNETR\x02"
_DATETIME = 1  # msgpack extension type: a datetime's isoformat()
_HEADER = struct.Struct("<8sII")
PROFILE = "group"
R = TypeVar("R", bound="Record")


class ReadModelDamaged(ValueError):
    """A blob whose checksum does not match: read the document instead."""


class Sealer(Protocol):
    """Seals blobs when the group is encrypted at rest (the store's chunk cipher)."""

    def seal(self, plaintext: bytes, aad: bytes) -> bytes: ...

    def open(self, ciphertext: bytes, aad: bytes) -> bytes: ...


class StoreState(NamedTuple):
    """One exact state of the store file's bytes: appends change its size, compaction its inode,
    and anything else that writes to it its modification time."""

    inode: int
    size: int
    modified_ns: int

    @classmethod
    def of(cls, store_file: Path) -> StoreState | None:
        try:
            return cls.of_stat(os.stat(store_file))
        except OSError:
            return None

    @classmethod
    def of_stat(cls, info: os.stat_result) -> StoreState:
        return cls(info.st_ino, info.st_size, info.st_mtime_ns)


class ReadModel:
    """Plain values of the group's collections, decoded into records on demand."""

    def __init__(
        self, path: Path, header: Mapping[str, Any], data: bytes, sealer: Sealer | None, group_id: str
    ) -> None:
        self.path = path
        self.group_id = group_id
        self.state = StoreState(*header["state"])
        self.heads = [bytes.fromhex(head) for head in header.get("heads", [])]
        self.schema = int(header.get("schema", 0))
        self.sealed = bool(header.get("sealed", True))  # older files did not say: take them as sealed
        self.listings: list[Any] = list(header.get("listings", []))
        self._index: dict[str, tuple[int, int, int]] = {
            str(k): (int(v[0]), int(v[1]), int(v[2])) for k, v in header["index"].items()
        }
        self._data = data
        self._sealer = sealer
        self._raw: dict[str, dict[str, Any]] = {}

    def names(self) -> list[str]:
        return [name for name in self._index if name != PROFILE]

    def blob(self, name: str) -> tuple[bytes, int] | None:
        """One part as stored (sealed, when the group is encrypted) and its checksum, to carry over."""
        place = self._index.get(name)
        if place is None:
            return None
        return self._data[place[0] : place[0] + place[1]], place[2]

    def raw(self, name: str) -> dict[str, Any]:
        """The plain values stored for one collection (or the profile), id -> values."""
        cached = self._raw.get(name)
        if cached is None:
            place = self._index.get(name)
            if place is None:
                return {}
            blob = self._data[place[0] : place[0] + place[1]]
            if zlib.crc32(blob) != place[2]:
                raise ReadModelDamaged(f"{self.path}: the {name} part is damaged")
            if self._sealer is not None:
                blob = self._sealer.open(blob, _aad(self.group_id, name))
            cached = self._raw[name] = _unpack(blob)
        return cached

    def records(self, record_type: type[R]) -> list[R]:
        from magnet.record import decode_record

        return [
            decode_record(record_type, key, value)
            for key, value in self.raw(record_type.COLLECTION).items()
            if isinstance(value, dict)
        ]


def load(directory: Path, state: StoreState | None, sealer: Sealer | None = None) -> ReadModel | None:
    """The read model of `directory`, if it was made for exactly `state` of the store; else None."""
    if state is None:
        return None
    path = directory / FILE
    try:
        data = path.read_bytes()
        magic, length, checksum = _HEADER.unpack_from(data, 0)
        packed = data[_HEADER.size : _HEADER.size + length]
        if magic != MAGIC or zlib.crc32(packed) != checksum:
            return None
        header = _unpack(packed)
        made_for = header.get("state")
        if not isinstance(made_for, list) or StoreState(*made_for) != state:
            return None
        body = data[_HEADER.size + length :]
        return ReadModel(path, header, body, sealer, str(header.get("group_id", "")))
    except (OSError, ValueError, TypeError, KeyError, struct.error):
        return None  # missing or damaged: the document is read instead, and a new file written


def write(
    directory: Path,
    state: StoreState,
    *,
    group_id: str,
    schema: int,
    heads: Iterable[bytes] = (),
    collections: Iterable[tuple[str, Mapping[str, Any]]],
    sealer: Sealer | None = None,
    carry: Iterable[tuple[str, tuple[bytes, int]]] = (),
    listings: Iterable[Any] = (),
) -> None:
    """Write the read model for `state` (atomically, owner-only).

    `carry` holds parts of an earlier read model of the same group that did not change, as
    `ReadModel.blob` gave them: copied as they are, neither unpacked nor sealed again. `listings`
    says how to list each kind (`magnet.formats.listing.Listing.plain()`), so `magnet list` reads
    this file without importing the record classes.
    """
    from magnet.fileio import write_private

    blobs: list[bytes] = []
    index: dict[str, list[int]] = {}
    offset = 0
    parts: list[tuple[str, bytes, int]] = [(name, blob, crc) for name, (blob, crc) in carry]
    for name, values in collections:
        blob = msgpack.packb(dict(values), use_bin_type=True, datetime=False, default=_plain)
        if sealer is not None:
            blob = sealer.seal(blob, _aad(group_id, name))
        parts.append((name, blob, zlib.crc32(blob)))
    for name, blob, crc in parts:
        index[name] = [offset, len(blob), crc]
        offset += len(blob)
        blobs.append(blob)
    header = msgpack.packb(
        {
            "group_id": group_id,
            "schema": schema,
            "heads": [head.hex() for head in heads],
            "state": [state.inode, state.size, state.modified_ns],
            "index": index,
            "sealed": sealer is not None,
            "listings": list(listings),
        },
        use_bin_type=True,
    )
    write_private(directory / FILE, _HEADER.pack(MAGIC, len(header), zlib.crc32(header)) + header + b"".join(blobs))


def patched(raw: Mapping[str, Any], changed: Mapping[str, Any]) -> dict[str, Any]:
    """A collection's stored values with some records changed (a record's values, None: gone).

    A new dict: a loaded read model keeps the values it read."""
    result = {**raw, **changed}
    return {key: value for key, value in result.items() if value is not None}


def discard(directory: Path) -> None:
    """Remove the read model (it would be ignored anyway; this keeps a stale copy off the disk)."""
    (directory / FILE).unlink(missing_ok=True)


def _unpack(blob: bytes) -> dict[str, Any]:
    value = msgpack.unpackb(blob, raw=False, strict_map_key=False, ext_hook=_ext)
    if not isinstance(value, dict):
        raise ValueError("not a map")
    return cast(dict[str, Any], value)


def _plain(value: Any) -> Any:
    """What msgpack cannot pack as it is: a datetime (another writer's Timestamp) exactly, else text.

    A read from the read model must give what a read of the document gives, or a value of the
    wrong type would read differently (and `magnet check` would stop seeing it).
    """
    if isinstance(value, datetime):
        return msgpack.ExtType(_DATETIME, value.isoformat().encode())
    return str(value)


def _ext(code: int, data: bytes) -> Any:
    if code == _DATETIME:
        return datetime.fromisoformat(data.decode())
    return msgpack.ExtType(code, data)


def _aad(group_id: str, name: str) -> bytes:
    return b"magnet-records\x00" + group_id.encode() + b"\x00" + name.encode()
