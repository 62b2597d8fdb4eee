"""The secure channel between two devices over asyncio streams: handshake with a timeout, then
whole messages, authenticated and encrypted.

`connect` (dialer) and `accept` (listener) drive the sans-IO `Handshake`; `SecureChannel` carries
messages of up to `max_message` bytes, fragmented under Noise's 65,535-byte limit. The wire and
the errors are in `sync.frames`, the handshake in `sync.handshake`; both are re-exported here.
"""

from __future__ import annotations

import asyncio
import contextlib

from magnet.device import DeviceIdentity, device_id_for
from magnet.groupkey import GroupSecret
from sync.frames import (
    DEFAULT_MAX_MESSAGE,
    MAX_FRAME,
    MAX_HANDSHAKE_FRAME,
    PROTOCOL,
    U16,
    ChannelClosed,
    ChannelError,
    FrameError,
    HandshakeFailed,
    HandshakeRefused,
    HandshakeTimeout,
    Hello,
    HelloKind,
    MessageTooLarge,
    Refusal,
    SecureSession,
    encode_frame,
    peer_name,
    read_frame,
    refusal,
)
from sync.handshake import Admission, Admit, Authorize, Handshake, PakeFinish, admit_members

__all__ = [
    "DEFAULT_HANDSHAKE_TIMEOUT",
    "DEFAULT_MAX_MESSAGE",
    "PROTOCOL",
    "Admission",
    "Admit",
    "Authorize",
    "ChannelClosed",
    "ChannelError",
    "FrameError",
    "Handshake",
    "HandshakeFailed",
    "HandshakeRefused",
    "HandshakeTimeout",
    "Hello",
    "HelloKind",
    "MessageTooLarge",
    "PakeFinish",
    "Refusal",
    "SecureChannel",
    "SecureSession",
    "accept",
    "admit_members",
    "connect",
    "refusal",
    "run_handshake",
]

DEFAULT_HANDSHAKE_TIMEOUT = 10.0


class SecureChannel:
    """An authenticated, encrypted message channel to one group device (or joining device)."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        session: SecureSession,
        *,
        hello: Hello,
        peer_public_key: bytes,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._session = session
        self.hello = hello
        self.peer_public_key = peer_public_key
        self.peer_device_id = device_id_for(peer_public_key)
        self.peer_address = peer_name(writer)

    @property
    def epoch(self) -> int:
        """The group key epoch this connection was made with (for MEMBER hellos)."""
        return self.hello.epoch

    @property
    def handshake_hash(self) -> bytes:
        return self._session.handshake_hash

    async def send(self, message: bytes) -> None:
        # One write for all fragments: concurrent sends never interleave, and a snapshot costs
        # one system call rather than one per 64 KiB fragment.
        frames = self._session.seal(message)
        self._writer.write(b"".join(part for frame in frames for part in (U16.pack(len(frame)), frame)))
        try:
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            raise self._tag(ChannelClosed(f"connection lost: {exc}")) from exc

    async def recv(self) -> bytes:
        """The next whole message; ChannelClosed at the end, ChannelError on a bad frame."""
        try:
            while True:
                frame = await read_frame(self._reader, MAX_FRAME)
                message = self._session.open(frame)
                if message is not None:
                    return message
        except ChannelError as exc:
            self.close()  # a channel that failed once is never trusted again
            raise self._tag(exc) from None

    def close(self) -> None:
        self._writer.close()

    async def wait_closed(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()

    async def __aenter__(self) -> SecureChannel:
        return self

    async def __aexit__(self, *_: object) -> None:
        self.close()
        await self.wait_closed()

    def _tag(self, exc: ChannelError) -> ChannelError:
        exc.peer = self.peer_address
        return exc


async def run_handshake(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    handshake: Handshake,
    *,
    handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
) -> SecureChannel:
    """Drive `handshake` over a stream. On any failure the connection is closed (after a
    farewell frame, if any) and the ChannelError is raised with `peer` set."""
    peer = peer_name(writer)
    turn = contextlib.AsyncExitStack()
    try:
        async with asyncio.timeout(handshake_timeout) as deadline:
            for body in handshake.start():
                writer.write(encode_frame(body))
            await writer.drain()
            waiting_turn = True
            while not handshake.done:
                frame = await read_frame(reader, MAX_HANDSHAKE_FRAME)
                replies = handshake.receive(frame)
                admission = handshake.admission
                if waiting_turn and admission is not None and admission.turn is not None:
                    waiting_turn = False
                    await turn.enter_async_context(admission.turn)  # one guess at a code at a time
                    window = asyncio.get_running_loop().time() + admission.turn_window
                    if admission.turn_window and window < (deadline.when() or window):
                        deadline.reschedule(window)
                for body in replies:
                    writer.write(encode_frame(body))
                await writer.drain()
    except asyncio.CancelledError:
        writer.close()
        raise
    except TimeoutError:
        await _close(writer)
        error: ChannelError = HandshakeTimeout(f"no handshake within {handshake_timeout:g} s")
        error.peer = peer
        raise error from None
    except ChannelError as exc:
        if exc.farewell:
            with contextlib.suppress(Exception):
                writer.write(encode_frame(exc.farewell))
        await _close(writer)
        exc.peer = peer
        raise
    except (ConnectionError, OSError) as exc:
        await _close(writer)
        error = ChannelClosed(f"connection lost during the handshake: {exc}")
        error.peer = peer
        raise error from exc
    except Exception:
        # A policy callback failed (say, an unreadable invite book): no channel, and no socket left open.
        await _close(writer)
        raise
    finally:
        await turn.aclose()  # after the hang-up: a wrong guess holds the turn a little longer
    assert handshake.hello is not None and handshake.remote_static is not None
    return SecureChannel(
        reader, writer, handshake.session, hello=handshake.hello, peer_public_key=handshake.remote_static
    )


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(writer.wait_closed(), 1.0)


async def connect(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    identity: DeviceIdentity,
    secret: GroupSecret,
    authorize: Authorize,
    handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
    max_message: int = DEFAULT_MAX_MESSAGE,
) -> SecureChannel:
    """Open a channel to a group device as the dialer, with the group key of `secret.epoch`.

    `authorize` sees the peer's static key before we reveal ours. On UNKNOWN_EPOCH (a peer
    behind us) the refusal's `detail` is its newest epoch: dial again with that one if held.
    """
    handshake = Handshake.initiator(
        identity,
        Hello(HelloKind.MEMBER, epoch=secret.epoch),
        secret.channel_psk(),
        authorize,
        max_message=max_message,
    )
    return await run_handshake(reader, writer, handshake, handshake_timeout=handshake_timeout)


async def accept(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    identity: DeviceIdentity,
    admit: Admit,
    handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
    max_message: int = DEFAULT_MAX_MESSAGE,
) -> SecureChannel:
    """Answer a dialer: `admit` (see `admit_members`) picks the PSK and the static-key check.

    `channel.hello.kind` then says whether this is a group device or a joining one.
    """
    handshake = Handshake.responder(identity, admit, max_message=max_message)
    return await run_handshake(reader, writer, handshake, handshake_timeout=handshake_timeout)
