"""Message channels over TCP: what the node needs from a connection, and the plain one for tests.

The product speaks only through `sync.secure.GroupSecurity` (Noise, see sync/channel.py). The plain
link here frames messages as `length u32 | bytes` with no authentication at all: it exists so the
engine can be tested and benchmarked without encryption, and nothing in the product builds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from typing import Protocol

from sync.frames import peer_name
from sync.protocol import DEFAULT_MAX_MESSAGE

CONNECT_TIMEOUT = 5.0
_LENGTH = struct.Struct(">I")


class TransportError(Exception):
    """The connection failed or the peer broke the framing; `peer` says who."""

    refused = False  # a policy said no (not a member, a wrong key), rather than the network
    itself = False  # the peer turned out to be this very device
    retry_epoch: int | None = None  # the peer holds this other key epoch, which we hold too

    def __init__(self, message: str, peer: str = "") -> None:
        super().__init__(message)
        self.peer = peer


class Refused(TransportError):
    """The handshake was refused, by the peer or by us."""

    refused = True

    def __init__(self, message: str, peer: str = "", *, itself: bool = False, retry_epoch: int | None = None) -> None:
        super().__init__(message, peer)
        self.itself = itself
        self.retry_epoch = retry_epoch


class MessageChannel(Protocol):
    """Whole messages to and from one peer, in order."""

    @property
    def peer_address(self) -> str: ...

    @property
    def peer_device_id(self) -> str | None:
        """The peer's device id as the channel proved it; None when only its hello says so."""
        ...

    async def send(self, message: bytes) -> None: ...

    async def recv(self) -> bytes:
        """The next message; raises at the end of the connection or on a broken frame."""
        ...

    def close(self) -> None: ...

    async def wait_closed(self) -> None: ...


class Link(Protocol):
    """How a node opens channels on fresh TCP streams, as the dialer or as the listener."""

    secure: bool

    async def dial(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, epoch: int | None
    ) -> MessageChannel: ...

    async def answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> MessageChannel: ...


class PlainChannel:
    """Length-prefixed messages with no protection. Tests and benchmarks only."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, max_message: int = DEFAULT_MAX_MESSAGE
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._max = max_message
        self.peer_address = peer_name(writer)
        self.peer_device_id: str | None = None

    async def send(self, message: bytes) -> None:
        self._writer.write(_LENGTH.pack(len(message)) + message)
        try:
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            raise TransportError(f"connection lost: {exc}", self.peer_address) from exc

    async def recv(self) -> bytes:
        try:
            head = await self._reader.readexactly(_LENGTH.size)
            (size,) = _LENGTH.unpack(head)
            if size == 0 or size > self._max:
                self.close()
                raise TransportError(f"frame of {size} bytes (limit {self._max})", self.peer_address)
            return await self._reader.readexactly(size)
        except asyncio.IncompleteReadError as exc:
            raise TransportError("the peer closed the connection", self.peer_address) from exc
        except (ConnectionError, OSError) as exc:
            raise TransportError(f"connection lost: {exc}", self.peer_address) from exc

    def close(self) -> None:
        self._writer.close()

    async def wait_closed(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()


class PlainLink:
    """Opens PlainChannels. Never used by the product: it authenticates nobody."""

    secure = False

    def __init__(self, *, max_message: int = DEFAULT_MAX_MESSAGE) -> None:
        self.max_message = max_message

    async def dial(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, epoch: int | None
    ) -> MessageChannel:
        return PlainChannel(reader, writer, max_message=self.max_message)

    async def answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> MessageChannel:
        return PlainChannel(reader, writer, max_message=self.max_message)


def parse_address(text: str, default_port: int) -> tuple[str, int]:
    """'host', 'host:port' or '[v6]:port' -> (host, port); ValueError when it is none of them."""
    text = text.strip()
    if not text:
        raise ValueError("empty address")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":") if sep else ""
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host or any(c.isspace() for c in host):
        raise ValueError(f"bad address {text!r}")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"bad port in {text!r}")
    return host, int(port_text)


def address_problem(text: str) -> str | None:
    """Why `text` is not an address to dial ('host', 'host:port', '[v6]:port'); None when it is."""
    try:
        parse_address(text, 1)
    except ValueError:
        return "an address looks like 192.168.1.20:7787 (host:port)"
    return None


def format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def open_stream(
    host: str, port: int, *, within: float = CONNECT_TIMEOUT
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TCP connection, or TransportError after `within` seconds."""
    address = format_address(host, port)
    try:
        async with asyncio.timeout(within):
            return await asyncio.open_connection(host, port)
    except TimeoutError as exc:
        raise TransportError(f"no answer within {within:g} s", address) from exc
    except OSError as exc:
        raise TransportError(exc.strerror or str(exc), address) from exc
