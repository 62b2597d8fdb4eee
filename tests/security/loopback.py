"""Test doubles that are not doubles: a real TCP listener on 127.0.0.1, a group's devices, and a
real `magnet serve` process."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from magnet.device import DeviceIdentity
from magnet.groupkey import GroupSecret, KeyRing

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[object]]
ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class Listener:
    """A TCP listener on 127.0.0.1 (port 0) that runs `handler` per connection and keeps what
    each call returned or raised, in order, for the test to inspect."""

    handler: Handler
    port: int = 0
    outcomes: asyncio.Queue[object] = field(default_factory=asyncio.Queue)
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        try:
            result: object = await self.handler(reader, writer)
        except Exception as exc:
            result = exc
        await self.outcomes.put(result)

    async def dial(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)

    async def outcome(self) -> object:
        """What the next connection's handler returned or raised (waits up to 5 s)."""
        return await asyncio.wait_for(self.outcomes.get(), 5.0)


@dataclass
class Group:
    """A group's key ring and three of its devices; `members` is who the document lists as active."""

    ring: KeyRing = field(default_factory=KeyRing.found)
    alice: DeviceIdentity = field(default_factory=DeviceIdentity.generate)
    bob: DeviceIdentity = field(default_factory=DeviceIdentity.generate)
    carol: DeviceIdentity = field(default_factory=DeviceIdentity.generate)
    members: set[bytes] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.members |= {self.alice.public_key, self.bob.public_key, self.carol.public_key}

    def is_active(self, public_key: bytes) -> bool:
        return public_key in self.members

    def rotate(self) -> GroupSecret:
        """Move to the next epoch, as alice (a coordinator) would; the new current key."""
        self.ring.rotate(self.alice, group_id="test group")
        return self.ring.current


Listen = Callable[[Handler], Awaitable[Listener]]


@contextlib.contextmanager
def magnet_serve(home: Path, *args: str) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`magnet serve --no-discovery` on `home` (not yet listening) and the log it writes; stopped
    with SIGTERM at the end, killed if it is still running 20 s later."""
    log = home.parent / f"{home.name}-serve-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "magnet", "--home", str(home), "serve", "--no-discovery", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        yield process, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(check: Callable[[], object], within: float = 30.0, what: str = "it") -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
