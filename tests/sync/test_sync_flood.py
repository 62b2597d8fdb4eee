"""A handshake flood from a hundred addresses at a real `magnet serve` with a tight descriptor limit.

Connections still in the handshake count toward the node's cap, a few per address; the node
stays below its file-descriptor limit and refuses politely; refusals reach the log at most once a
minute per address and kind. Meanwhile an honest device keeps syncing through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from syncnodes import found_group, member_of

from magnet.home import Home
from sync.frames import HELLO, MAGIC, VERSION
from sync.runfile import running_port

assert sys.platform != "win32"  # POSIX-only (descriptor limits); mypy --platform win32 skips the rest

pytestmark = pytest.mark.slow

FD_LIMIT = 96  # the node then allows fewer than its usual 64 connections
ADDRESSES = 100
FLOOD_SECONDS = 8.0
# A hello cut short: the node waits for the rest until its handshake timeout.
HALF_HELLO = struct.pack(">H", 12) + bytes([HELLO]) + struct.pack(">4sBB", MAGIC, VERSION, 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(home: Path, log: Path, *args: str) -> subprocess.Popen[str]:
    def tight_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))

    with log.open("w") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "magnet",
                "--home",
                str(home),
                "serve",
                "--no-discovery",
                "--keepalive",
                "0.5",
                *args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "MAGNET_INTERFACES": "127.0.0.1"},
            preexec_fn=tight_limit,  # noqa: PLW1509 - the child runs no threads before exec
        )


def wait_for(condition: object, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g} s waiting for {what}")
        time.sleep(0.05)


async def flood(port: int, until: float) -> int:
    """Half-open handshakes from 127.0.2.1 ... 127.0.2.100, as fast as the node takes them."""
    opened = 0

    async def from_address(n: int) -> None:
        nonlocal opened
        while time.monotonic() < until:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(f"127.0.2.{n}", 0))
            except OSError:
                await asyncio.sleep(0.05)
                continue
            opened += 1
            writer.write(HALF_HELLO)
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(reader.read(), 1.5)  # held until the node drops it
            writer.close()

    await asyncio.gather(*(from_address(n) for n in range(1, ADDRESSES + 1) for _ in range(3)))
    return opened


def test_a_handshake_flood_from_many_addresses_leaves_the_node_serving(tmp_path: Path) -> None:
    ann = found_group(tmp_path)
    bob = member_of(tmp_path, ann, "Bob")
    ann_home, bob_home = ann.home.root, bob.home.root
    for group in (ann, bob):
        group.close()
    port = free_port()
    ann_log, bob_log = tmp_path / "ann.log", tmp_path / "bob.log"
    ann_serve = serve(ann_home, ann_log, "--port", str(port))
    bob_serve = None
    try:
        wait_for(lambda: running_port(next(iter(Home(ann_home).groups())).path) is not None, 20, "Ann serving")
        bob_serve = serve(bob_home, bob_log, "--port", str(free_port()), "--peer", f"127.0.0.1:{port}")
        ann_group = Home(ann_home).open_group()
        bob_group = Home(bob_home).open_group()
        try:
            before = bob_group.doc.members.add(name="Before the flood")
            wait_for(lambda: ann_group.poll() >= 0 and ann_group.doc.members.find(before.id), 20, "the first sync")
            fds: list[int] = []

            async def flood_and_watch() -> int:
                until = time.monotonic() + FLOOD_SECONDS
                flooding = asyncio.create_task(flood(port, until))
                edits: list[str] = []
                while not flooding.done():
                    fds.append(len(os.listdir(f"/proc/{ann_serve.pid}/fd")))
                    if len(edits) < 8 and len(fds) % 10 == 0:
                        edits.append(bob_group.doc.members.add(name=f"During the flood {len(edits)}").id)
                    await asyncio.sleep(0.1)
                opened = await flooding
                await asyncio.to_thread(
                    wait_for,
                    lambda: ann_group.poll() >= 0 and all(ann_group.doc.members.find(e) for e in edits),
                    20,
                    "Bob's edits on Ann during the flood",
                )
                return opened

            opened = asyncio.run(flood_and_watch())
        finally:
            ann_group.close()
            bob_group.close()
        assert ann_serve.poll() is None  # still serving after the flood
        ann_serve.send_signal(signal.SIGTERM)
        ann_serve.wait(15)
        text = ann_log.read_text()
        assert opened > 300  # the flood was real (38,000 in 8 s on a quiet machine; far fewer on a busy one)
        assert max(fds) < FD_LIMIT - 8, max(fds)
        assert "Traceback" not in text and "Too many open files" not in text, text[-2000:]
        assert len(text) < 40_000, len(text)  # bounded, however many connections were refused
        assert "refused" in text and " more " in text  # told once, with a count of the rest
        assert "Traceback" not in bob_log.read_text()
        print(f"{opened} flood connections; Ann held at most {max(fds)} descriptors; log {len(text)} bytes")
    finally:
        for process in (ann_serve, bob_serve):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
