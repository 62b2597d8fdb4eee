"""The sync node for an embedder (the TUI): its own asyncio loop on a daemon thread, a thread-safe handle.

    node = NodeHandle(group, NodeConfig(), on_event=callback)   # callback runs on the node's thread
    node.start()            # returns once listening; node.port is the port bound
    node.peers()            # list[PeerStatus], from any thread
    node.add_peer("192.168.1.20:7787")
    node.stop()             # goodbyes sent, peers remembered; the group stays open (the caller closes it)

Only the secure channel is used: a peer gets in when it is an active device of the group.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from magnet.errors import MagnetError
from magnet.home import OpenGroup
from sync.events import DEFAULT_PORT, NodeConfig, NodeEvent, PeerStatus
from sync.node import Node
from sync.secure import GroupSecurity

__all__ = ["DEFAULT_PORT", "NodeConfig", "NodeEvent", "NodeHandle", "PeerStatus"]

START_TIMEOUT = 20.0

log = logging.getLogger("magnet.sync")


class NodeHandle:
    """Runs one group's node on a thread of its own."""

    def __init__(
        self, group: OpenGroup, config: NodeConfig, on_event: Callable[[NodeEvent], None] | None = None
    ) -> None:
        self.group = group
        self.config = config
        self.on_event = on_event
        self._node: Node | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        return self._node.port if self._node is not None else 0

    def start(self) -> None:
        """Start the node; returns once it listens. MagnetError when it cannot start."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._main, name="magnet-sync", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise MagnetError("the sync node did not start in time")
        if self._error is not None:
            error = self._error
            if isinstance(error, MagnetError):
                raise error
            raise MagnetError(f"sync could not start: {error}") from error

    def stop(self, timeout: float = 5) -> None:
        """Stop the node and wait up to `timeout` seconds for it."""
        loop, stop, thread = self._loop, self._stop, self._thread
        if loop is None or stop is None or thread is None:
            return
        try:
            loop.call_soon_threadsafe(stop.set)
        except RuntimeError:
            return  # the loop already ended
        thread.join(timeout)

    def add_peer(self, address: str) -> None:
        """Dial `address` (host:port) from now on."""
        loop, node = self._loop, self._node
        if loop is None or node is None:
            raise MagnetError("sync is not running")
        loop.call_soon_threadsafe(node.add_peer, address)

    def peers(self) -> list[PeerStatus]:
        return self._node.peers() if self._node is not None else []

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:  # reported to start(); the thread must not die silently
            if not self._ready.is_set():
                self._error = exc
                self._ready.set()
            else:
                log.exception("the sync node stopped with an error")

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        security = GroupSecurity(self.group, self.group.home.device, handshake_timeout=self.config.handshake_timeout)
        node = Node(
            self.group,
            self.config,
            link=security,
            membership=security,
            device_id=self.group.home.device.device_id,
            on_event=self.on_event,
        )
        self._node = node
        await node.start()
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await node.stop()
