"""`magnet serve --control`: the node as the app's child process, told what to do on stdin.

It runs exactly what `magnet serve` runs, and also reports to its parent (sync/control.py): the
port it listens on, every node event, and the peer list whenever it changes. It stops on
{"stop": true}, on SIGTERM, and when its stdin closes (the app ended, however it ended).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

from magnet.errors import MagnetError
from magnet.home import Home, OpenGroup
from magnet.store import read_header
from sync import control
from sync.events import NodeConfig, NodeEvent
from sync.node import Node
from sync.secure import GroupSecurity

PEERS_EVERY = 0.5  # seconds between looks at the peer list (sent only when it changed)


class Reporter:
    """Writes messages to the parent; safe from any thread."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        data = control.encode(message)
        with self._lock:
            try:
                self._out.write(data)
                self._out.flush()
            except (OSError, ValueError):
                pass  # the parent is gone: stdin's end will stop us


async def run(
    group: OpenGroup,
    config: NodeConfig,
    *,
    stop_on_signals: Callable[[asyncio.AbstractEventLoop, Callable[[], None]], None],
    commands: BinaryIO | None = None,
    out: BinaryIO | None = None,
) -> None:
    reporter = Reporter(out or sys.stdout.buffer)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    security = GroupSecurity(group, group.home.device, handshake_timeout=config.handshake_timeout)

    def on_event(event: NodeEvent) -> None:
        reporter.send(control.event_message(event))

    node = Node(
        group, config, link=security, membership=security, device_id=group.home.device.device_id, on_event=on_event
    )
    stop_on_signals(loop, stop.set)
    await node.start()
    reporter.send({"listening": node.port})

    def obey(message: dict[str, Any]) -> None:
        if message.get("stop"):
            stop.set()
        address = message.get("add_peer")
        if isinstance(address, str):
            node.add_peer(address)

    def read_commands(source: BinaryIO) -> None:
        for line in source:
            message = control.decode(line)
            if message is not None:
                loop.call_soon_threadsafe(obey, message)
        loop.call_soon_threadsafe(stop.set)  # stdin closed: the app is gone

    threading.Thread(
        target=read_commands, args=(commands or sys.stdin.buffer,), name="magnet-control", daemon=True
    ).start()
    last: list[dict[str, Any]] | None = None
    try:
        while not stop.is_set():
            peers = control.peers_message(node.peers())
            if peers["peers"] != last:
                last = peers["peers"]
                reporter.send(peers)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PEERS_EVERY)
    finally:
        await node.stop()


def open_controlled(home: Home, ref: str | None, commands: BinaryIO | None = None) -> OpenGroup:
    """Open the group as the parent asks: its first line says the data key of an encrypted store."""
    source = commands or sys.stdin.buffer
    first = control.decode(source.readline()) or {}
    info = home.find(ref)
    key = first.get("unlock")
    if not read_header(info.store_path).sealed:
        return home.open_group(info)
    if not isinstance(key, str):
        raise MagnetError("this group is encrypted and the app gave no key")
    from magnet.sealing import ChunkSealer

    return home.open_group(info, cipher=ChunkSealer(bytes.fromhex(key)))
