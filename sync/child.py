"""`magnet serve --control`: the node as the app's child process, told what to do on stdin.

It runs exactly what `magnet serve` runs, and also reports to its parent (sync/control.py): the
port it listens on, every node event, and the peer list whenever it changes. When the app shows
the group from its read model, it also makes the app's writes and feeds back every change (`Desk`,
sync/calls.py). It stops on {"stop": true}, on SIGTERM, and when its stdin closes (the app ended,
however it ended).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, BinaryIO, NamedTuple

from magnet.document import DocChange
from magnet.errors import MagnetError
from magnet.home import Home, OpenGroup
from magnet.store import read_header
from sync import calls, control
from sync.events import NodeConfig, NodeEvent
from sync.node import Node
from sync.secure import GroupSecurity

PEERS_EVERY = 0.5  # seconds between looks at the peer list (sent only when it changed)
FEED_GAP = 0.005  # seconds a feed waits after a merge, so a burst goes out as one
log = logging.getLogger("magnet.sync")


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


class Desk:
    """Makes the writes the app hands over and feeds it every change, for an app that shows the
    group from its read model (sync/calls.py). Writes run one at a time on a thread of their own
    (a commit fsyncs); feeds go out in the order the document changed."""

    def __init__(self, group: OpenGroup, reporter: Reporter) -> None:
        self.group = group
        self.reporter = reporter
        self._feeding = threading.Lock()
        self._wake = threading.Event()
        self._calls: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self._stopped = threading.Event()
        self._caller = threading.Thread(target=self._call_loop, name="magnet-calls", daemon=True)

    def catch_up(self, shown: list[bytes]) -> None:
        """Start feeding; when the app shows other heads than the document's, it reads the read model again."""
        doc = self.group.doc

        def begin() -> None:
            doc.feeding = True
            doc.take_changed()
            if sorted(shown) != sorted(doc.heads()):
                # What changed since the app's read model (this node's own first start writes its
                # signing key; the CLI may have written meanwhile), record by record when it can.
                changed = doc.touched_since(shown)
                calls.send_changed(doc, self.reporter.send, changed, "remote", reload=self.group.read_model_state)

        with self._feeding:
            doc.atomic(begin)
        doc.add_listener(self._heard)
        threading.Thread(target=self._feed_loop, name="magnet-feed", daemon=True).start()
        self._caller.start()

    def _heard(self, _change: DocChange) -> None:
        # The app's own writes are fed by the thread that made them, labelled as the app's.
        if threading.current_thread() is not self._caller:
            self._wake.set()

    def take(self, message: dict[str, Any]) -> None:
        self._calls.put(message)

    def stop(self) -> None:
        self._stopped.set()
        self._calls.put(None)
        self._wake.set()

    def _feed(self, origin: str) -> None:
        with self._feeding:
            calls.feed(self.group.doc, self.reporter.send, origin, reload=self.group.read_model_state)

    def _feed_loop(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stopped.is_set():
                return
            time.sleep(FEED_GAP)  # a burst of merges goes out as one feed
            try:
                self._feed("remote")
            except Exception:
                log.exception("could not feed the app what changed")

    def _call_loop(self) -> None:
        while (message := self._calls.get()) is not None:
            number = message.get("call")
            try:
                result = calls.perform(self.group.doc, message.get("target"), message.get("op"), message.get("args"))
            except Exception as exc:
                answer = {"failed": number, "error": calls.failure(exc)}
            else:
                answer = {"done": number, "result": calls.pack(result)}
            try:
                self._feed("local")  # the records it wrote reach the app before its answer
            except Exception:
                log.exception("could not feed the app what changed")
            self.reporter.send(answer)


async def run(
    group: OpenGroup,
    config: NodeConfig,
    *,
    stop_on_signals: Callable[[asyncio.AbstractEventLoop, Callable[[], None]], None],
    commands: BinaryIO | None = None,
    out: BinaryIO | None = None,
    feed_from: list[bytes] | None = None,
) -> None:
    """Serve `group` for the app. `feed_from`: the heads of the read model the app shows, when it
    shows one (its writes come here and every change is fed back)."""
    reporter = Reporter(out or sys.stdout.buffer)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    security = GroupSecurity(group, group.home.device, handshake_timeout=config.handshake_timeout)
    desk = Desk(group, reporter) if feed_from is not None else None

    def on_event(event: NodeEvent) -> None:
        reporter.send(control.event_message(event))

    node = Node(
        group, config, link=security, membership=security, device_id=group.home.device.device_id, on_event=on_event
    )
    stop_on_signals(loop, stop.set)
    await node.start()
    if desk is not None and feed_from is not None:
        await asyncio.to_thread(desk.catch_up, feed_from)
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
            if message is None:
                continue
            if "call" in message:
                if desk is not None:
                    desk.take(message)
                else:
                    reporter.send({"failed": message.get("call"), "error": {"message": "this node makes no writes"}})
            else:
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
        if desk is not None:
            desk.stop()
        await node.stop()


class Controlled(NamedTuple):
    group: OpenGroup
    feed_from: list[bytes] | None  # the heads of the read model the app shows, when it shows one


def open_controlled(home: Home, ref: str | None, commands: BinaryIO | None = None) -> Controlled:
    """Open the group as the parent asks: its first line says the data key of an encrypted store
    and, when the app shows the group from its read model, that model's heads."""
    source = commands or sys.stdin.buffer
    first = control.decode(source.readline()) or {}
    info = home.find(ref)
    key = first.get("unlock")
    feed_from = _heads(first.get("feed"))
    if not read_header(info.store_path).sealed:
        return Controlled(home.open_group(info), feed_from)
    if not isinstance(key, str):
        raise MagnetError("this group is encrypted and the app gave no key")
    from magnet.sealing import ChunkSealer

    return Controlled(home.open_group(info, cipher=ChunkSealer(bytes.fromhex(key))), feed_from)


def _heads(raw: object) -> list[bytes] | None:
    if not isinstance(raw, list):
        return None
    try:
        return [bytes.fromhex(head) for head in raw if isinstance(head, str)]
    except ValueError:
        return []  # unreadable: the app is sent the read model again
