"""One open group while the app runs: its document, the poller for other processes, the sync node.

No Textual here: the app hands in callbacks and turns them into messages. Everything that may
block (polling the store, starting or stopping the node) runs off the UI thread.
"""

from __future__ import annotations

import contextlib
import selectors
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar, cast

from magnet.document import CannotForward, GroupDocument, RemoteWrites
from magnet.errors import MagnetError
from magnet.home import OpenGroup
from magnet.readiness import ReadinessMemo
from magnet.records import Device, Member
from magnet.wakeup import Wakeup
from screens.sync_link import NodeFactory, NodeLike, SyncUnavailable

# Rings carry other processes' commits at once; this only catches a ring that got lost.
POLL_INTERVAL = 2.0
NODE_START_WAIT = 60.0  # a write waits this long for the node's process to start (x10: ~4 s)
# How long quitting waits for the node's process to save and exit before ending it: a large
# group's last compaction and read model take seconds, and the next start reads that read model.
NODE_STOP_WAIT = 30.0
T = TypeVar("T")


class NodeToCome:
    """Where writes wait while the node's process starts (a RemoteWrites that hands them on)."""

    def __init__(self) -> None:
        self._node: RemoteWrites | None = None
        self._settled = threading.Event()

    def settle(self, node: RemoteWrites | None) -> None:
        self._node = node
        self._settled.set()

    def call(self, target: str, op: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self._settled.wait(NODE_START_WAIT)
        if self._node is None:
            raise CannotForward("sync is not running")
        return self._node.call(target, op, args, kwargs)


class Session:
    """The group the app works on, shared by every screen (attributes down)."""

    def __init__(self, group: OpenGroup, *, clock: Callable[[], datetime] = datetime.now) -> None:
        self.group = group
        self.clock = clock
        self.node: NodeLike | None = None
        self.checkin_since_hours = 24
        self.values_checked = False  # the app says once what stored values do not fit their fields
        # The dashboard's parts, kept until what each reads changes: the first screen's reading,
        # made while the group opens, is the dashboard's too (x10: one edit redoes one part).
        self.readiness_memo = ReadinessMemo()
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._bell: Wakeup | None = None
        self._closed = False
        self._close_lock = threading.Lock()
        # Writes go through one thread, in the order people made them, and never wait on the
        # UI loop (a commit fsyncs, which takes a while on a Pi's SD card).
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="magnet-write")
        # Told (on any thread) once the whole document is open, or why it could not be: "".
        self.on_whole: Callable[[str], None] | None = None
        self._node_to_come: NodeToCome | None = None
        if not group.whole:
            # Shown from its read model: whatever needs the whole document opens it here first.
            group.doc.open_whole = self._open_whole_here

    @property
    def doc(self) -> GroupDocument:
        return self.group.doc

    @property
    def name(self) -> str:
        return self.group.info.name

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    # ---- who is using this device ------------------------------------------------------------

    @property
    def device_id(self) -> str:
        return self.group.home.device.device_id

    def this_device(self) -> Device | None:
        found = self.doc.devices.filter(device_id=self.device_id, include_archived=True)
        return found[0] if found else None

    def me(self) -> Member | None:
        """The member this device speaks for, when one is set."""
        device = self.this_device()
        return self.doc.members.find(device.member_id) if device and device.member_id else None

    # ---- writing --------------------------------------------------------------------------------

    def submit(self, write: Callable[[], T]) -> Future[T]:
        return self._writer.submit(write)

    def open_whole(self) -> Future[None]:
        """Open the whole document of a group shown from its read model, ahead of every write.

        On the writer thread, so writes made meanwhile wait for it in order (OpenGroup.finish_opening).
        """
        return self._writer.submit(self._open_whole_here)

    def _open_whole_here(self) -> None:
        try:
            opened = self.group.finish_opening()
        except Exception as exc:
            if self.on_whole is not None:
                self.on_whole(str(exc) if isinstance(exc, MagnetError) else f"{type(exc).__name__}: {exc}")
            raise
        if opened and self.on_whole is not None:
            self.on_whole("")

    @property
    def forwarding(self) -> bool:
        """Whether writes go to the node's process, which feeds every change back (sync/calls.py)."""
        return self.doc.forwarding() is not None

    def expect_node(self) -> None:
        """Writes wait for the node's process to start rather than open the whole document here."""
        if not self.group.whole and self._node_to_come is None:
            self._node_to_come = NodeToCome()
            self.doc.remote = self._node_to_come

    def settle(self) -> None:
        """Wait until every write submitted so far is durable (tests, quitting)."""
        self._writer.submit(lambda: None).result()

    # ---- other processes on this data dir -----------------------------------------------------

    def start_polling(self, on_problem: Callable[[str], None], interval: float = POLL_INTERVAL) -> None:
        """Pick up what other processes commit (the node's process, a CLI import) the moment they do.

        The thread sleeps until the store's doorbell rings (magnet.wakeup); `interval` is only
        the fallback for a ring that got lost, so an idle app does nothing.
        """
        if self._poller is not None:
            return
        bell = self.group.doorbell()
        self._bell = bell

        def loop() -> None:
            last_problem = ""
            with selectors.DefaultSelector() as selector:
                selector.register(bell.socket, selectors.EVENT_READ)
                while not self._stop.is_set():
                    if selector.select(interval):
                        bell.drain()
                    if self._stop.is_set():
                        return
                    last_problem = self._poll_once(on_problem, last_problem)

        self._poller = threading.Thread(target=loop, name="magnet-poll", daemon=True)
        self._poller.start()

    def _poll_once(self, on_problem: Callable[[str], None], last_problem: str) -> str:
        """Merge what other processes appended; report a new problem once."""
        try:
            # Under the document's lock: a node on this process's thread journals merges through
            # the same store, and the store's scan position must not move under either.
            self.group.poll(sliced=True)
            problem = self.group.store.last_problem or ""
        except MagnetError as exc:
            problem = str(exc)
        if problem and problem != last_problem:
            on_problem(problem)
        return problem

    # ---- the sync node ------------------------------------------------------------------------

    def start_node(self, factory: NodeFactory, on_event: Callable[[Any], None]) -> NodeLike:
        """Build and start the node (blocking: call from a worker thread)."""
        to_come, self._node_to_come = self._node_to_come, None
        try:
            node = factory(self.group, on_event)
            feeds = isinstance(node, RemoteWrites) and bool(getattr(node, "feeds", False))
            remote = cast(RemoteWrites, node) if feeds else None
            if to_come is not None:
                to_come.settle(remote)  # writes waiting go to it (or open the document here)
            if remote is not None and self.doc.reading_only:
                self.doc.remote = remote
            node.start()
        except SyncUnavailable:
            self._no_remote(to_come)
            raise
        except Exception as exc:  # the node is optional: the app keeps working offline
            self._no_remote(to_come)
            raise SyncUnavailable(f"sync could not start: {exc}") from exc
        self.node = node
        return node

    def _no_remote(self, to_come: NodeToCome | None) -> None:
        if to_come is not None:
            to_come.settle(None)
        self.doc.remote = None

    # ---- closing ------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the poller and the node, then flush and close the store; safe to call twice."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        self.group.stop_opening()
        self._writer.shutdown(wait=True)
        if self._poller is not None:
            if self._bell is not None:
                self._bell.nudge()  # wake the poller now, not at its fallback interval
            self._poller.join(timeout=2)
        if self.node is not None:
            with contextlib.suppress(Exception):
                self.node.stop(timeout=NODE_STOP_WAIT)
        self.group.close()
