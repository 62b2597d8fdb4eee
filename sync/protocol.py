"""The sync protocol's messages as bytes and back, sans-IO, with strict limits on what a peer may send.

Each message is one msgpack array whose first item is its type; the channel below (the secure
channel in the product) delimits, authenticates and encrypts messages. docs/PROTOCOL.md tells
the whole exchange; in short:

    HELLO    [1, "magnet-sync", version, min_version, {d: device id, g: group id, h: heads,
              n: change count, b: heads last synced with you, e: key epoch, p: listening port,
              k: digest of the signed rotations held (absent from an earlier magnet)}]
    CLOSE    [2, code, text]                 the sender hangs up and says why
    STATE    [3, heads, count]               "this is what I have: bring me up to date"
    LACK     [4, heads, count]               "I lack some of your changes"
    CHANGES  [5, [change, ...], heads|nil]   raw Automerge changes; heads (the sender's, after
                                             them) ends a batch and asks for an ACK
    SNAPSHOT [6, saved document, heads]      the whole document, for a new or far-behind peer
    SYNC     [7, automerge sync message]     the Automerge sync loop, for diverged peers
    ACK      [8, heads]                      applied and durable; these are my heads now
    PING     [9, heads, count] / PONG [10]   keepalive, and a check that nothing was lost
    KEYS     [11, epoch, secret]             a newer group secret, for an earlier magnet only:
                                             unsigned, so never taken (secure channel only)
    ROTATIONS [12, digest, [[statement, signature, secret], ...]]
                                             the signed rotations the sender holds, each with
                                             its secret (secure channel only; to peers whose
                                             hello had a digest)

A hello's first four items never change, so any version can read another's and refuse it
clearly. Unknown hello fields are ignored (later versions may add some); unknown message types
are an error.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgpack

MAGIC = "magnet-sync"
VERSION = 1
MIN_VERSION = 1  # the oldest version this one still talks to

HASH_LEN = 32
MAX_HEADS = 256  # concurrent branches tips; a real group has a handful
MAX_ITEMS = 10_000  # changes per CHANGES message (senders batch far below this)
MAX_TEXT = 1024
DEFAULT_MAX_MESSAGE = 64 * 1024 * 1024  # a snapshot of a very large group still fits
MAX_DEVICE_ID = 64
MAX_GROUP_ID = 128
SECRET_LEN = 32
MAX_DIGEST = 32
MAX_ROTATIONS = 256
MAX_STATEMENT = 8192
SIGNATURE_LEN = 64

Heads = tuple[bytes, ...]


class ProtocolError(Exception):
    """Bytes that are not a valid sync message: the session refuses them and hangs up."""


class IncompatibleVersion(ProtocolError):
    """A real magnet peer whose protocol version we cannot speak (or that cannot speak ours)."""

    def __init__(self, version: int, min_version: int) -> None:
        if version < MIN_VERSION:
            text = (
                f"the peer speaks sync protocol version {version}, we need {MIN_VERSION} or newer: update magnet there"
            )
        else:
            text = (
                f"the peer needs sync protocol version {min_version} or newer, we speak {VERSION}: update magnet here"
            )
        super().__init__(text)
        self.version = version
        self.min_version = min_version

    @property
    def for_peer(self) -> str:
        """The same refusal in the peer's words, sent to it before hanging up."""
        if self.version < MIN_VERSION:
            return f"the other device runs a newer magnet (sync protocol {VERSION}): update magnet on this device"
        return f"the other device runs an older magnet (sync protocol {VERSION}): update magnet there"


class Kind(enum.IntEnum):
    HELLO = 1
    CLOSE = 2
    STATE = 3
    LACK = 4
    CHANGES = 5
    SNAPSHOT = 6
    SYNC = 7
    ACK = 8
    PING = 9
    PONG = 10
    KEYS = 11
    ROTATIONS = 12


class CloseCode(enum.IntEnum):
    """Why a peer hangs up; the text with it is for the other side's log."""

    GOODBYE = 0  # shutting down
    VERSION = 1  # incompatible protocol version
    WRONG_GROUP = 2  # another group's document
    MALFORMED = 3  # a message we could not read
    DUPLICATE = 4  # another connection with this device won
    NOT_ALLOWED = 5  # not (or no longer) an active device of the group
    FAILED = 6  # we could not go on (e.g. the disk is full)
    SILENT = 7  # no answer within the keepalive limit


@dataclass(frozen=True)
class Hello:
    device_id: str
    group_id: str
    heads: Heads
    count: int
    base: Heads = ()
    epoch: int = 0
    port: int = 0
    keys: bytes | None = None  # digest of the rotations held; None from a peer that has no rotations
    version: int = VERSION
    min_version: int = MIN_VERSION


@dataclass(frozen=True)
class Close:
    code: CloseCode
    text: str = ""


@dataclass(frozen=True)
class State:
    heads: Heads
    count: int


@dataclass(frozen=True)
class Lack:
    heads: Heads
    count: int


@dataclass(frozen=True)
class Changes:
    changes: tuple[bytes, ...]
    heads: Heads | None = None  # set on the last message of a batch: "ack this"


@dataclass(frozen=True)
class Snapshot:
    data: bytes
    heads: Heads


@dataclass(frozen=True)
class Sync:
    data: bytes


@dataclass(frozen=True)
class Ack:
    heads: Heads


@dataclass(frozen=True)
class Ping:
    heads: Heads
    count: int


@dataclass(frozen=True)
class Pong:
    pass


@dataclass(frozen=True)
class Keys:
    epoch: int
    secret: bytes


@dataclass(frozen=True)
class Rotations:
    digest: bytes
    items: tuple[tuple[bytes, bytes, bytes], ...]  # (statement, signature, secret)


Message = Hello | Close | State | Lack | Changes | Snapshot | Sync | Ack | Ping | Pong | Keys | Rotations


# ---- encoding ------------------------------------------------------------------------------


def encode(message: Message) -> bytes:
    """The bytes of one message."""
    packed: bytes = msgpack.packb(_fields(message), use_bin_type=True)
    return packed


def _fields(message: Message) -> list[Any]:
    match message:
        case Hello():
            body = {
                "d": message.device_id,
                "g": message.group_id,
                "h": list(message.heads),
                "n": message.count,
                "b": list(message.base),
                "e": message.epoch,
                "p": message.port,
            }
            if message.keys is not None:
                body["k"] = message.keys
            return [Kind.HELLO, MAGIC, message.version, message.min_version, body]
        case Close():
            return [Kind.CLOSE, int(message.code), message.text[:MAX_TEXT]]
        case State():
            return [Kind.STATE, list(message.heads), message.count]
        case Lack():
            return [Kind.LACK, list(message.heads), message.count]
        case Changes():
            heads = None if message.heads is None else list(message.heads)
            return [Kind.CHANGES, list(message.changes), heads]
        case Snapshot():
            return [Kind.SNAPSHOT, message.data, list(message.heads)]
        case Sync():
            return [Kind.SYNC, message.data]
        case Ack():
            return [Kind.ACK, list(message.heads)]
        case Ping():
            return [Kind.PING, list(message.heads), message.count]
        case Pong():
            return [Kind.PONG]
        case Keys():
            return [Kind.KEYS, message.epoch, message.secret]
        case Rotations():
            return [Kind.ROTATIONS, message.digest, [list(item) for item in message.items]]


# ---- decoding ------------------------------------------------------------------------------


def decode(data: bytes, *, max_message: int = DEFAULT_MAX_MESSAGE) -> Message:
    """One message from a peer. Raises ProtocolError (IncompatibleVersion for a version we
    cannot speak) for anything else; never anything but ProtocolError."""
    if not data:
        raise ProtocolError("empty message")
    if len(data) > max_message:
        raise ProtocolError(f"message of {len(data)} bytes over the limit of {max_message}")
    try:
        items = msgpack.unpackb(
            data,
            raw=False,
            use_list=True,
            strict_map_key=True,
            max_bin_len=max_message,
            max_str_len=MAX_TEXT,
            max_array_len=MAX_ITEMS,
            max_map_len=32,
            max_ext_len=0,
        )
    except Exception as exc:  # msgpack raises several types (ExtraData, ValueError, ...)
        raise ProtocolError(f"not a msgpack message: {type(exc).__name__}") from None
    if not isinstance(items, list) or not items or not _is_int(items[0]):
        raise ProtocolError("a message is an array that starts with its type")
    try:
        kind = Kind(items[0])
    except ValueError:
        raise ProtocolError(f"unknown message type {items[0]}") from None
    try:
        return _DECODERS[kind](items[1:])
    except ProtocolError:
        raise
    except (TypeError, ValueError, IndexError) as exc:
        raise ProtocolError(f"malformed {kind.name}: {exc}") from None


def _decode_hello(rest: list[Any]) -> Hello:
    if len(rest) < 3 or rest[0] != MAGIC:
        raise ProtocolError("not a magnet sync peer (bad hello)")
    version, min_version = _int(rest[1], "version"), _int(rest[2], "min_version")
    if version < MIN_VERSION or min_version > VERSION:
        raise IncompatibleVersion(version, min_version)
    if len(rest) < 4 or not isinstance(rest[3], dict):
        raise ProtocolError("malformed HELLO: no fields")
    body: dict[str, Any] = rest[3]
    return Hello(
        device_id=_text(body.get("d", ""), "device id", MAX_DEVICE_ID),
        group_id=_text(body.get("g", ""), "group id", MAX_GROUP_ID),
        heads=_heads(body.get("h", [])),
        count=_int(body.get("n", 0), "count"),
        base=_heads(body.get("b", [])),
        epoch=_int(body.get("e", 0), "epoch"),
        port=_port(body.get("p", 0)),
        keys=None if "k" not in body else _digest(body["k"]),
        version=version,
        min_version=min_version,
    )


def _decode_close(rest: list[Any]) -> Close:
    _arity(rest, 2, "CLOSE")
    code = _int(rest[0], "code")
    try:
        reason = CloseCode(code)
    except ValueError:
        reason = CloseCode.FAILED  # a newer peer's reason: still a hang-up
    return Close(reason, _text(rest[1], "text", MAX_TEXT))


def _decode_state(rest: list[Any]) -> State:
    _arity(rest, 2, "STATE")
    return State(_heads(rest[0]), _int(rest[1], "count"))


def _decode_lack(rest: list[Any]) -> Lack:
    _arity(rest, 2, "LACK")
    return Lack(_heads(rest[0]), _int(rest[1], "count"))


def _decode_changes(rest: list[Any]) -> Changes:
    _arity(rest, 2, "CHANGES")
    if not isinstance(rest[0], list) or not all(isinstance(c, bytes) and c for c in rest[0]):
        raise ProtocolError("malformed CHANGES: changes must be non-empty byte strings")
    heads = None if rest[1] is None else _heads(rest[1])
    return Changes(tuple(rest[0]), heads)


def _decode_snapshot(rest: list[Any]) -> Snapshot:
    _arity(rest, 2, "SNAPSHOT")
    if not isinstance(rest[0], bytes) or not rest[0]:
        raise ProtocolError("malformed SNAPSHOT: no document")
    return Snapshot(rest[0], _heads(rest[1]))


def _decode_sync(rest: list[Any]) -> Sync:
    _arity(rest, 1, "SYNC")
    if not isinstance(rest[0], bytes) or not rest[0]:
        raise ProtocolError("malformed SYNC: no sync message")
    return Sync(rest[0])


def _decode_ack(rest: list[Any]) -> Ack:
    _arity(rest, 1, "ACK")
    return Ack(_heads(rest[0]))


def _decode_ping(rest: list[Any]) -> Ping:
    _arity(rest, 2, "PING")
    return Ping(_heads(rest[0]), _int(rest[1], "count"))


def _decode_pong(rest: list[Any]) -> Pong:
    _arity(rest, 0, "PONG")
    return Pong()


def _decode_keys(rest: list[Any]) -> Keys:
    _arity(rest, 2, "KEYS")
    epoch = _int(rest[0], "epoch")
    if epoch >= 2**32 or not isinstance(rest[1], bytes) or len(rest[1]) != SECRET_LEN:
        raise ProtocolError("malformed KEYS")
    return Keys(epoch, rest[1])


def _decode_rotations(rest: list[Any]) -> Rotations:
    _arity(rest, 2, "ROTATIONS")
    digest, items = _digest(rest[0]), rest[1]
    if not isinstance(items, list) or len(items) > MAX_ROTATIONS:
        raise ProtocolError(f"malformed ROTATIONS: at most {MAX_ROTATIONS} rotations")
    out = []
    for item in items:
        if not (isinstance(item, list) and len(item) == 3 and all(isinstance(part, bytes) for part in item)):
            raise ProtocolError("malformed ROTATIONS: each is [statement, signature, secret]")
        statement, signature, secret = item
        if len(statement) > MAX_STATEMENT or len(signature) != SIGNATURE_LEN or len(secret) != SECRET_LEN:
            raise ProtocolError("malformed ROTATIONS: a part of the wrong size")
        out.append((statement, signature, secret))
    return Rotations(digest, tuple(out))


_DECODERS: dict[Kind, Callable[[list[Any]], Message]] = {
    Kind.HELLO: _decode_hello,
    Kind.CLOSE: _decode_close,
    Kind.STATE: _decode_state,
    Kind.LACK: _decode_lack,
    Kind.CHANGES: _decode_changes,
    Kind.SNAPSHOT: _decode_snapshot,
    Kind.SYNC: _decode_sync,
    Kind.ACK: _decode_ack,
    Kind.PING: _decode_ping,
    Kind.PONG: _decode_pong,
    Kind.KEYS: _decode_keys,
    Kind.ROTATIONS: _decode_rotations,
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise ProtocolError(f"{what} must be a non-negative integer")
    return value


def _port(value: object) -> int:
    port = _int(value, "port")
    if port > 65535:
        raise ProtocolError("port out of range")
    return port


def _text(value: object, what: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise ProtocolError(f"{what} must be a string of at most {limit} characters")
    return value


def _digest(value: object) -> bytes:
    if not isinstance(value, bytes) or len(value) > MAX_DIGEST:
        raise ProtocolError(f"a key digest is at most {MAX_DIGEST} bytes")
    return value


def _heads(value: object) -> Heads:
    if not isinstance(value, list) or len(value) > MAX_HEADS:
        raise ProtocolError(f"heads must be a list of at most {MAX_HEADS} hashes")
    if not all(isinstance(h, bytes) and len(h) == HASH_LEN for h in value):
        raise ProtocolError(f"a head is a {HASH_LEN}-byte hash")
    return tuple(value)


def _arity(rest: Sequence[Any], count: int, what: str) -> None:
    if len(rest) != count:
        raise ProtocolError(f"malformed {what}: {len(rest)} fields, expected {count}")
