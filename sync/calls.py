"""Writes the app hands to its node's process, and the records that process feeds back.

The app shows a large group from its read model and never loads the whole document (seconds of
Automerge with the interpreter's lock held); the node's process holds it anyway. So a write the
app makes travels over the control pipe as (collection, operation, arguments), runs there with
every check a write makes here, and the records it touched come back before its answer. Changes
merged there (peers, other processes) are fed back the same way.

Values travel as msgpack (dates, moments and sets as extension types), base64 inside the pipe's
JSON lines. Only the writes a screen makes are accepted (`WRITES`), on known collections.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

import msgpack

from magnet import errors
from magnet.document import PROFILE_KEY, GroupDocument
from magnet.errors import MagnetError
from magnet.record import Record
from magnet.records import COLLECTIONS

log = logging.getLogger("magnet.sync")

COLLECTION_WRITES = frozenset(
    {"add", "add_many", "update", "archive", "restore", "purge", "adjust", "put_entry", "remove_entry"}
)
PROFILE_WRITES = frozenset({"update_profile", "put_rally_point"})
# A change touching more records than this is not fed record by record: the read model is written
# and the app reads it again (one line of the pipe stays well under its 1 MiB).
FEED_LIMIT = 500
FEED_BYTES = 512 * 1024
_MOMENT, _DAY, _SET = 1, 2, 3
# Errors rebuilt by name on the app's side, so a form shows the same message and field.
_ERRORS: dict[str, type[MagnetError]] = {
    name: value
    for name, value in vars(errors).items()
    if isinstance(value, type) and issubclass(value, MagnetError) and value is not errors.ValidationError
}


class CallRefused(MagnetError):
    """The app asked the node's process for something that is not a write it makes."""


def pack(value: Any) -> str:
    """Plain values (and dates, moments, sets) as text for one JSON line."""
    return base64.b64encode(msgpack.packb(value, default=_extend, use_bin_type=True)).decode()


def unpack(text: object) -> Any:
    """The value `pack` made; ValueError for anything else."""
    if not isinstance(text, str):
        raise ValueError("not packed values")
    try:
        return msgpack.unpackb(base64.b64decode(text, validate=True), raw=False, strict_map_key=False, ext_hook=_ext)
    except (binascii.Error, ValueError, msgpack.UnpackException) as exc:
        raise ValueError(f"damaged values: {exc}") from exc


def _extend(value: Any) -> msgpack.ExtType:
    if isinstance(value, datetime):
        return msgpack.ExtType(_MOMENT, value.isoformat().encode())
    if isinstance(value, date):
        return msgpack.ExtType(_DAY, value.isoformat().encode())
    if isinstance(value, set | frozenset):
        return msgpack.ExtType(_SET, msgpack.packb(sorted(value, key=repr), default=_extend, use_bin_type=True))
    raise TypeError(f"cannot hand over a {type(value).__name__}")


def _ext(code: int, data: bytes) -> Any:
    if code == _MOMENT:
        return datetime.fromisoformat(data.decode())
    if code == _DAY:
        return date.fromisoformat(data.decode())
    if code == _SET:
        return frozenset(msgpack.unpackb(data, raw=False, strict_map_key=False, ext_hook=_ext))
    raise ValueError(f"unknown value type {code}")


# ---- the node's process: making the write ---------------------------------------------------------


def perform(doc: GroupDocument, target: object, op: object, packed: object) -> Any:
    """Run one write the app asked for; its answer as plain values (a record's id for a record)."""
    if target == PROFILE_KEY and op in PROFILE_WRITES:
        receiver: Any = doc
    elif isinstance(target, str) and target in COLLECTIONS and op in COLLECTION_WRITES:
        receiver = getattr(doc, target)
    else:
        raise CallRefused(f"not a write the app makes: {target!r} {op!r}")
    try:
        args, kwargs = unpack(packed)
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise ValueError("not arguments")
    except (TypeError, ValueError) as exc:
        raise CallRefused(f"unreadable arguments: {exc}") from exc
    result = getattr(receiver, str(op))(*args, **kwargs)
    if isinstance(result, Record):
        return None if target == PROFILE_KEY else result.id
    if isinstance(result, list):
        return [record.id for record in result]
    return result


def failure(exc: BaseException) -> dict[str, Any]:
    """What the app needs to raise the same error (a form shows the field it names)."""
    if isinstance(exc, errors.ValidationError):
        return {"type": "ValidationError", "field": exc.field, "message": exc.reason}
    if isinstance(exc, MagnetError):
        return {"type": type(exc).__name__ if type(exc).__name__ in _ERRORS else "MagnetError", "message": str(exc)}
    log.exception("a write the app asked for failed")
    return {"type": "MagnetError", "message": f"the write failed: {type(exc).__name__}: {exc}"}


def raised(raw: object) -> MagnetError:
    """The error `failure` described, as the app raises it."""
    found = raw if isinstance(raw, dict) else {}
    message = str(found.get("message") or "the write failed")
    if found.get("type") == "ValidationError":
        return errors.ValidationError(str(found.get("field") or ""), message)
    kind = _ERRORS.get(str(found.get("type")), MagnetError)
    try:
        return kind(message)
    except TypeError:  # an error that takes other arguments
        return MagnetError(message)


# ---- the node's process: feeding the records back --------------------------------------------------


def reload_message(state: Iterable[int] | None, heads: list[str]) -> dict[str, Any]:
    """Read the read model again: the one written for store `state` (None: none could be written)."""
    return {"reload": list(state) if state is not None else None, "heads": heads}


def feed(doc: GroupDocument, send: Callable[[dict[str, Any]], None], origin: str, *, reload: Callable[[], Any]) -> None:
    """Send the records changed since the last feed, or, for too many, a read model to read again.

    Called under a lock the caller holds across the send, so feeds reach the app in the order
    the document changed.
    """
    changed = doc.take_changed()
    if changed is None or changed:
        send_changed(doc, send, changed, origin, reload=reload)


def send_changed(
    doc: GroupDocument,
    send: Callable[[dict[str, Any]], None],
    changed: dict[str, set[str] | None] | None,
    origin: str,
    *,
    reload: Callable[[], Any],
) -> None:
    """Send these records as the document holds them now (None: all of them, as a read model)."""
    heads = [head.hex() for head in doc.heads()]
    if changed is None or any(ids is None for name, ids in changed.items() if name != PROFILE_KEY):
        too_many = True
    else:
        too_many = sum(len(ids or ()) for ids in changed.values()) > FEED_LIMIT
    if not too_many:
        assert changed is not None
        packed = pack({name: doc.record_values(name, ids or ()) for name, ids in changed.items()})
        if len(packed) <= FEED_BYTES:
            send({"records": packed, "heads": heads, "origin": origin})
            return
    send(reload_message(reload(), heads))
