"""The secure channel's wire: frames, the hello, refusals, transport fragments, and their errors.

Every frame is `length u16 (big-endian) | body`.
Before authentication each body is at most 256 bytes and starts with a type byte:
    HELLO    initiator, first: magic "MGNT" | version u8 | kind u8 | epoch u32 |
             ref length u8 | ref | pake length u8 | pake         (all bound into the prologue)
    PAKE     responder, only for short codes: its SPAKE2 message (bound into the prologue)
    NOISE    a Noise handshake message: -> e; <- e, ee, s, es; -> s, se, psk
    STATUS   responder, last: encrypted ACCEPTED, or REFUSED with a reason
    REFUSAL  cleartext reason u8 | detail u32: a hint only, anyone on the path can forge one
After authentication each body is a Noise transport message whose plaintext is
`flag u8 | data`: MORE marks a fragment with more to follow, LAST ends a message.
"""

from __future__ import annotations

import asyncio
import enum
import struct
from dataclasses import dataclass
from typing import Any

from magnet.errors import MagnetError

PROTOCOL = b"magnet-sync/1"
VERSION = 1
MAGIC = b"MGNT"
# Handshake frames are under 200 bytes; anything bigger before authentication is hostile.
MAX_HANDSHAKE_FRAME = 256
# Noise caps a message at 65,535 bytes including its 16-byte tag; one byte goes to the flag.
MAX_FRAME = 65535
TAG_LEN = 16
MAX_FRAGMENT = MAX_FRAME - TAG_LEN - 1
DEFAULT_MAX_MESSAGE = 64 * 1024 * 1024
MAX_REF_LEN = 32
MAX_PAKE_LEN = 64

U16 = struct.Struct(">H")
REFUSAL_BODY = struct.Struct(">BI")
_HELLO_HEAD = struct.Struct(">4sBBI")

# Frame types before authentication.
HELLO, PAKE, NOISE, STATUS, REFUSAL = 1, 2, 3, 4, 5
# Transport plaintext flags.
LAST, MORE = 0, 1
ACCEPTED, REFUSED = 0x10, 0x11


class Refusal(enum.IntEnum):
    """Why a handshake was refused; sent to the peer so its user reads a clear reason."""

    KEY_MISMATCH = 1
    UNKNOWN_EPOCH = 2
    NOT_A_MEMBER = 3
    INVITE_UNKNOWN = 4
    INVITE_EXPIRED = 5
    INVITE_USED = 6
    INVITE_LOCKED = 7
    BAD_HELLO = 8
    VERSION = 9
    BUSY = 10
    TOO_MANY_GUESSES = 11


_REASONS = {
    Refusal.KEY_MISMATCH: "the handshake failed: not the same group key (or a mistyped code)",
    Refusal.UNKNOWN_EPOCH: "the peer does not hold that group key epoch (its newest: {detail})",
    Refusal.NOT_A_MEMBER: "the device is not an active device of the group",
    Refusal.INVITE_UNKNOWN: "unknown invite: check the code, or ask for a new invite",
    Refusal.INVITE_EXPIRED: "the invite has expired: ask for a new invite",
    Refusal.INVITE_USED: "the invite was already used: ask for a new invite",
    Refusal.INVITE_LOCKED: "too many wrong codes for this invite: ask for a new invite",
    Refusal.BAD_HELLO: "the peer did not understand the request",
    Refusal.VERSION: "the other side speaks magnet protocol version {detail}: update magnet",
    Refusal.BUSY: "the peer is busy: try again shortly",
    Refusal.TOO_MANY_GUESSES: "too many wrong codes from this address: check the code, or ask for a new one",
}


class ChannelError(MagnetError):
    """The channel cannot go on: malformed, hostile or failed. Log it with `peer`, then drop.

    `farewell`, when set, is a frame body to send before closing (a refusal the peer's user
    should read); the asyncio drivers send it.
    """

    def __init__(self, message: str, *, farewell: bytes | None = None) -> None:
        super().__init__(message)
        self.farewell = farewell
        self.peer: str | None = None


class FrameError(ChannelError):
    """A frame that breaks the wire format: too large, empty, or of the wrong type."""


class MessageTooLarge(ChannelError):
    """A message over the channel's maximum size."""


class ChannelClosed(ChannelError):
    """The peer closed the connection (possibly mid-message)."""


class HandshakeFailed(ChannelError):
    """The cryptographic handshake failed: another group's key, a replay, or tampering."""


class HandshakeTimeout(ChannelError):
    """The handshake did not finish in time."""


class HandshakeRefused(ChannelError):
    """A policy refusal, by us or by the peer (`by_peer`), for `reason`.

    A refusal received before authentication (`authenticated` False) is only a hint: anyone on
    the network path could have sent it.
    """

    def __init__(
        self,
        reason: Refusal,
        detail: int = 0,
        *,
        by_peer: bool = False,
        authenticated: bool = False,
        farewell: bytes | None = None,
    ) -> None:
        text = _REASONS[reason].format(detail=detail)
        super().__init__(f"refused by the peer: {text}" if by_peer else text, farewell=farewell)
        self.reason = reason
        self.detail = detail
        self.by_peer = by_peer
        self.authenticated = authenticated


class HelloKind(enum.IntEnum):
    """What the initiator asks for, and so which PSK the responder expects."""

    MEMBER = 1  # a group device; PSK from the group secret of `epoch`
    INVITE = 2  # a new device with a long invite code; PSK from its token, `ref` its id
    SHORT_CODE = 3  # a new device with a typed code; PSK from SPAKE2, `ref` the nameplate


@dataclass(frozen=True)
class Hello:
    """The initiator's cleartext opening. Nothing in it is secret; all of it is authenticated
    through the Noise prologue, so a changed hello fails the handshake."""

    kind: HelloKind
    epoch: int = 0
    ref: bytes = b""
    pake: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.epoch < 2**32:
            raise ValueError("epoch out of range")
        if len(self.ref) > MAX_REF_LEN or len(self.pake) > MAX_PAKE_LEN:
            raise ValueError("hello field too long")
        wants_ref = self.kind is not HelloKind.MEMBER
        wants_pake = self.kind is HelloKind.SHORT_CODE
        if bool(self.ref) != wants_ref or bool(self.pake) != wants_pake:
            raise ValueError(f"malformed hello for {self.kind.name}")

    def encode(self) -> bytes:
        return b"".join(
            (
                _HELLO_HEAD.pack(MAGIC, VERSION, self.kind, self.epoch),
                bytes([len(self.ref)]),
                self.ref,
                bytes([len(self.pake)]),
                self.pake,
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> Hello:
        """Parse a hello; ChannelError for a stranger's bytes, HandshakeRefused for a version
        or request we cannot serve (with a farewell so the peer's user learns why)."""
        if len(data) < _HELLO_HEAD.size + 2 or data[:4] != MAGIC:
            raise FrameError("not a magnet peer (bad hello)")
        _, version, kind, epoch = _HELLO_HEAD.unpack_from(data)
        if version != VERSION:
            raise refusal(Refusal.VERSION, VERSION)
        try:
            at = _HELLO_HEAD.size
            ref_len = data[at]
            ref = data[at + 1 : at + 1 + ref_len]
            at += 1 + ref_len
            pake_len = data[at]
            pake = data[at + 1 : at + 1 + pake_len]
            if len(ref) != ref_len or len(pake) != pake_len or at + 1 + pake_len != len(data):
                raise ValueError("hello length mismatch")
            return cls(HelloKind(kind), epoch, ref, pake)
        except (IndexError, ValueError) as exc:
            raise refusal(Refusal.BAD_HELLO) from exc


def refusal(reason: Refusal, detail: int = 0) -> HandshakeRefused:
    """Our refusal of the peer, carrying the cleartext REFUSAL frame it should receive."""
    farewell = bytes([REFUSAL]) + REFUSAL_BODY.pack(reason, detail)
    return HandshakeRefused(reason, detail, farewell=farewell)


class SecureSession:
    """Transport after the handshake, sans-IO: messages to frames and back.

    Noise nonces make every frame usable once and in order: a replayed, reordered or altered
    frame fails authentication, and the session refuses everything after it.
    """

    def __init__(self, noise: Any, *, max_message: int = DEFAULT_MAX_MESSAGE) -> None:
        self._noise = noise
        self.max_message = max_message
        self._partial = bytearray()
        self._broken = False

    @property
    def handshake_hash(self) -> bytes:
        """Unique to this session on both ends: usable as channel binding."""
        return bytes(self._noise.get_handshake_hash())

    def seal(self, message: bytes) -> list[bytes]:
        """The frame bodies that carry `message`, in order (at least one, even when empty)."""
        if len(message) > self.max_message:
            raise MessageTooLarge(f"message of {len(message)} bytes over {self.max_message}")
        view = memoryview(message)
        frames = []
        for start in range(0, max(len(message), 1), MAX_FRAGMENT):
            chunk = view[start : start + MAX_FRAGMENT]
            flag = MORE if start + MAX_FRAGMENT < len(message) else LAST
            frames.append(self._noise.encrypt(b"".join((bytes([flag]), chunk))))
        return frames

    def open(self, frame: bytes) -> bytes | None:
        """Take one frame body; return a whole message once its last fragment arrives."""
        if self._broken:
            raise ChannelError("the channel already failed")
        if not TAG_LEN < len(frame) <= MAX_FRAME:
            self._broken = True
            raise FrameError(f"transport frame of {len(frame)} bytes")
        try:
            plain = self._noise.decrypt(bytes(frame))
        except Exception as exc:  # NoiseInvalidMessage, or a nonce error
            self._broken = True
            raise ChannelError("a frame failed authentication: altered, replayed or reordered") from exc
        flag, data = plain[0], memoryview(plain)[1:]  # no copy of a 64 KiB fragment
        if flag not in (LAST, MORE):
            self._broken = True
            raise FrameError(f"unknown transport flag {flag}")
        if len(self._partial) + len(data) > self.max_message:
            self._broken = True
            self._partial = bytearray()
            raise MessageTooLarge(f"the peer sent a message over {self.max_message} bytes")
        if flag == MORE:
            self._partial += data
            return None
        if not self._partial:
            return bytes(data)
        self._partial += data
        message, self._partial = bytes(self._partial), bytearray()
        return message


def encode_frame(body: bytes) -> bytes:
    if not 0 < len(body) <= MAX_FRAME:
        raise FrameError(f"frame of {len(body)} bytes")
    return U16.pack(len(body)) + body


async def read_frame(reader: asyncio.StreamReader, limit: int) -> bytes:
    """One frame body; refuses a length over `limit` before reading (or allocating) it."""
    try:
        head = await reader.readexactly(U16.size)
        (size,) = U16.unpack(head)
        if size == 0 or size > limit:
            raise FrameError(f"frame of {size} bytes (limit {limit})")
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as exc:
        raise ChannelClosed("the peer closed the connection") from exc
    except (ConnectionError, OSError) as exc:
        raise ChannelClosed(f"connection lost: {exc}") from exc


def peer_name(writer: asyncio.StreamWriter) -> str:
    """host:port of the other end, for logs."""
    address = writer.get_extra_info("peername")
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address) if address else "unknown peer"
