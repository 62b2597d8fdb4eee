"""The Noise XXpsk3 handshake between two devices, sans-IO: frame bodies in, frame bodies out.

Both ends prove their static X25519 device key and knowledge of a PSK (the group's for a
member, one an invite gives for a joining device) and get forward-secret transport keys. The
cleartext hello (and, for a short code, the responder's PAKE reply) is the Noise prologue, so
changing it on the way fails the handshake.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from noise.connection import Keypair, NoiseConnection

from magnet.device import DeviceIdentity
from magnet.groupkey import KeyRing
from sync.frames import (
    ACCEPTED,
    DEFAULT_MAX_MESSAGE,
    HELLO,
    NOISE,
    PAKE,
    PROTOCOL,
    REFUSAL,
    REFUSAL_BODY,
    REFUSED,
    STATUS,
    ChannelError,
    FrameError,
    HandshakeFailed,
    HandshakeRefused,
    Hello,
    HelloKind,
    Refusal,
    SecureSession,
    refusal,
)

NOISE_NAME = b"Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s"


Authorize = Callable[[bytes], bool]
"""Is this remote static public key allowed in? May raise HandshakeRefused for a precise reason."""

PakeFinish = Callable[[bytes], bytes]
"""The initiator's second PAKE step: the responder's PAKE message in, the derived PSK out."""


@dataclass(frozen=True)
class Admission:
    """How the responder treats a hello: which PSK to expect and who to let in.

    `pake_reply` is sent (and bound into the prologue) before the Noise handshake. `on_failure`
    runs when the peer's third message fails under this PSK: with SPAKE2 that is the one guess
    at a short code a connection gets. A peer that walks away earlier has learned nothing about
    the code (the PSK enters only in that message), so walking away is not counted.

    `turn`, when set, is entered (by the asyncio driver) before anything is sent back and left
    when the handshake ends: guesses at one short code wait for it one at a time, and once a
    connection has its turn it must finish within `turn_window` seconds.
    """

    psk: bytes
    authorize: Authorize
    pake_reply: bytes = b""
    on_failure: Callable[[], None] | None = None
    turn: AbstractAsyncContextManager[object] | None = None
    turn_window: float = 0.0


Admit = Callable[[Hello], Admission]
"""The responder's policy: a hello in, an Admission out, or HandshakeRefused raised."""


def admit_members(
    keyring: KeyRing | Callable[[], KeyRing],
    authorize: Authorize,
    *,
    joins: Admit | None = None,
) -> Admit:
    """The usual policy: group devices on any epoch we still hold, and joins via `joins`.

    `keyring` may be a callable so a long-running node sees a rotation another process saved.
    Old epochs are accepted so a device that missed a rotation can be told the new secret;
    `authorize` (an active device of the group?) is what keeps revoked devices out.
    """

    def admit(hello: Hello) -> Admission:
        if hello.kind is not HelloKind.MEMBER:
            if joins is None:
                raise refusal(Refusal.INVITE_UNKNOWN)
            return joins(hello)
        ring = keyring() if callable(keyring) else keyring
        secret = ring.get(hello.epoch)
        if secret is None:
            raise refusal(Refusal.UNKNOWN_EPOCH, ring.current.epoch)
        return Admission(psk=secret.channel_psk(), authorize=authorize)

    return admit


class _State(enum.Enum):
    AWAIT_HELLO = "await hello"
    AWAIT_PAKE = "await pake"
    AWAIT_MSG1 = "await noise 1"
    AWAIT_MSG2 = "await noise 2"
    AWAIT_MSG3 = "await noise 3"
    AWAIT_STATUS = "await status"
    DONE = "done"
    FAILED = "failed"


class Handshake:
    """One side of the handshake, sans-IO: feed it frame bodies, send what it returns.

    The initiator checks the responder's static key (`authorize`) before sending its third
    message, so its own identity is revealed only to a device it accepts. The responder checks
    the initiator's after the PSK is proven, and answers with an encrypted ACCEPTED or REFUSED.
    """

    def __init__(
        self,
        identity: DeviceIdentity,
        *,
        hello: Hello | None = None,
        psk: bytes | PakeFinish | None = None,
        authorize: Authorize | None = None,
        admit: Admit | None = None,
        protocol: bytes = PROTOCOL,
        max_message: int = DEFAULT_MAX_MESSAGE,
    ) -> None:
        self._identity = identity
        self._psk = psk
        self._authorize = authorize
        self._admit = admit
        self._protocol = protocol
        self._max_message = max_message
        self._state = _State.AWAIT_HELLO
        self._noise: Any = None
        self._noise_state: Any = None
        self._transcript = protocol + b"\x00"
        self._session: SecureSession | None = None
        self.hello = hello
        self.admission: Admission | None = None
        self.remote_static: bytes | None = None

    @classmethod
    def initiator(
        cls,
        identity: DeviceIdentity,
        hello: Hello,
        psk: bytes | PakeFinish,
        authorize: Authorize,
        *,
        protocol: bytes = PROTOCOL,
        max_message: int = DEFAULT_MAX_MESSAGE,
    ) -> Handshake:
        return cls(
            identity,
            hello=hello,
            psk=psk,
            authorize=authorize,
            protocol=protocol,
            max_message=max_message,
        )

    @classmethod
    def responder(
        cls,
        identity: DeviceIdentity,
        admit: Admit,
        *,
        protocol: bytes = PROTOCOL,
        max_message: int = DEFAULT_MAX_MESSAGE,
    ) -> Handshake:
        return cls(identity, admit=admit, protocol=protocol, max_message=max_message)

    @property
    def is_initiator(self) -> bool:
        return self._admit is None

    @property
    def done(self) -> bool:
        return self._state is _State.DONE

    @property
    def session(self) -> SecureSession:
        if self._session is None:
            raise ChannelError("handshake not finished")
        return self._session

    def start(self) -> list[bytes]:
        """The frames to send first: the initiator's hello (and first Noise message)."""
        if not self.is_initiator:
            return []
        assert self.hello is not None
        hello_frame = bytes([HELLO]) + self.hello.encode()
        self._transcript += hello_frame
        if callable(self._psk):
            self._state = _State.AWAIT_PAKE
            return [hello_frame]
        assert self._psk is not None
        return [hello_frame, self._begin_noise(self._psk)]

    def receive(self, frame: bytes) -> list[bytes]:
        """Take one frame body from the peer; return the frame bodies to send back.

        Raises a ChannelError subclass on anything wrong; the handshake is then dead.
        """
        try:
            return self._receive(frame)
        except ChannelError:
            self._state = _State.FAILED
            raise

    def _receive(self, frame: bytes) -> list[bytes]:
        if not frame:
            raise FrameError("empty frame")
        kind, body = frame[0], frame[1:]
        if self._state is _State.FAILED or self._state is _State.DONE:
            raise ChannelError(f"handshake is {self._state.value}")
        if kind == REFUSAL and self.is_initiator:
            raise self._peer_refusal(body)
        state = self._state
        if state is _State.AWAIT_HELLO:
            return self._on_hello(self._expect(kind, HELLO, frame), frame)
        if state is _State.AWAIT_PAKE:
            return self._on_pake(self._expect(kind, PAKE, frame), frame)
        if state is _State.AWAIT_MSG1:
            self._read_noise(self._expect(kind, NOISE, frame))
            self._state = _State.AWAIT_MSG3
            return [bytes([NOISE]) + self._write_noise()]
        if state is _State.AWAIT_MSG2:
            return self._on_msg2(self._expect(kind, NOISE, frame))
        if state is _State.AWAIT_MSG3:
            return self._on_msg3(self._expect(kind, NOISE, frame))
        return self._on_status(self._expect(kind, STATUS, frame))

    @staticmethod
    def _expect(kind: int, wanted: int, frame: bytes) -> bytes:
        if kind != wanted:
            raise FrameError(f"unexpected frame type {kind} during the handshake")
        return frame[1:]

    def _on_hello(self, body: bytes, frame: bytes) -> list[bytes]:
        assert self._admit is not None
        self.hello = Hello.decode(body)
        self._transcript += frame
        self.admission = self._admit(self.hello)
        out = []
        if self.admission.pake_reply:
            pake_frame = bytes([PAKE]) + self.admission.pake_reply
            self._transcript += pake_frame
            out.append(pake_frame)
        self._begin_noise(self.admission.psk)
        self._state = _State.AWAIT_MSG1
        return out

    def _on_pake(self, body: bytes, frame: bytes) -> list[bytes]:
        assert callable(self._psk)
        try:
            psk = self._psk(body)
        except Exception as exc:  # the PAKE library raises assorted types for bad input
            raise HandshakeFailed(f"bad PAKE message: {exc}") from exc
        self._transcript += frame
        return [self._begin_noise(psk)]

    def _on_msg2(self, body: bytes) -> list[bytes]:
        assert self._authorize is not None
        self._read_noise(body)
        self.remote_static = self._noise_state.rs.public_bytes
        if not self._authorize(self.remote_static):
            raise HandshakeRefused(Refusal.NOT_A_MEMBER)
        self._state = _State.AWAIT_STATUS
        return [bytes([NOISE]) + self._write_noise()]

    def _on_msg3(self, body: bytes) -> list[bytes]:
        assert self.admission is not None
        try:
            self._read_noise(body)
        except HandshakeFailed as exc:
            exc.farewell = bytes([REFUSAL]) + REFUSAL_BODY.pack(Refusal.KEY_MISMATCH, 0)
            if self.admission.on_failure:
                self.admission.on_failure()
            raise
        self.remote_static = self._noise_state.rs.public_bytes
        self._session = SecureSession(self._noise, max_message=self._max_message)
        try:
            allowed = self.admission.authorize(self.remote_static)
            reason, detail = Refusal.NOT_A_MEMBER, 0
        except HandshakeRefused as exc:
            allowed, reason, detail = False, exc.reason, exc.detail
        if not allowed:
            status = bytes([REFUSED]) + REFUSAL_BODY.pack(reason, detail)
            farewell = bytes([STATUS]) + self._noise.encrypt(status)
            raise HandshakeRefused(reason, detail, farewell=farewell)
        self._state = _State.DONE
        return [bytes([STATUS]) + self._noise.encrypt(bytes([ACCEPTED]))]

    def _on_status(self, body: bytes) -> list[bytes]:
        try:
            status = bytes(self._noise.decrypt(body))
        except Exception as exc:  # noiseprotocol raises several types for bad ciphertext
            raise HandshakeFailed("the peer's confirmation failed authentication") from exc
        if status == bytes([ACCEPTED]):
            self._session = SecureSession(self._noise, max_message=self._max_message)
            self._state = _State.DONE
            return []
        if len(status) == 1 + REFUSAL_BODY.size and status[0] == REFUSED:
            raise self._peer_refusal(status[1:], authenticated=True)
        raise FrameError("malformed handshake confirmation")

    @staticmethod
    def _peer_refusal(body: bytes, *, authenticated: bool = False) -> ChannelError:
        if len(body) != REFUSAL_BODY.size:
            return FrameError("malformed refusal")
        code, detail = REFUSAL_BODY.unpack(body)
        try:
            reason = Refusal(code)
        except ValueError:
            return FrameError(f"refused for an unknown reason ({code})")
        return HandshakeRefused(reason, detail, by_peer=True, authenticated=authenticated)

    def _begin_noise(self, psk: bytes) -> bytes:
        """Set up Noise with the whole cleartext transcript as prologue; the initiator's
        first message, or b"" for the responder."""
        try:
            noise = NoiseConnection.from_name(NOISE_NAME)
            noise.set_psks(psk)
            noise.set_prologue(self._transcript)
            noise.set_keypair_from_private_bytes(Keypair.STATIC, self._identity.private_key)
            if self.is_initiator:
                noise.set_as_initiator()
            else:
                noise.set_as_responder()
            noise.start_handshake()
        except Exception as exc:
            raise HandshakeFailed(f"cannot start the handshake: {exc}") from exc
        self._noise = noise
        # Kept because noiseprotocol drops its handshake state (and the remote static key
        # with it) as soon as the last message is processed.
        self._noise_state = noise.noise_protocol.handshake_state
        if not self.is_initiator:
            return b""
        self._state = _State.AWAIT_MSG2
        return bytes([NOISE]) + self._write_noise()

    def _read_noise(self, body: bytes) -> None:
        try:
            payload = self._noise.read_message(body)
        except Exception as exc:  # InvalidTag, NoiseValueError, ValueError from bad keys, ...
            raise HandshakeFailed("handshake message failed authentication") from exc
        if payload:
            raise HandshakeFailed("unexpected handshake payload")

    def _write_noise(self) -> bytes:
        return bytes(self._noise.write_message(b""))
