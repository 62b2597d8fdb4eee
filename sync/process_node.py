"""The app's sync node in a process of its own: the same handle as sync.runner, over sync.control.

Automerge holds the interpreter's lock for a whole call, so a large merge or a snapshot for a new
device on the app's own thread would freeze its screen for as long. In a child process it runs on
the other core. The child (`magnet serve --control`) works on the same data dir; the app sees
what the node received when the store rings its doorbell (magnet.wakeup), and the node sees the
app's edits the same way.

    node = NodeProcess(group, NodeConfig(), on_event=callback)   # callback runs on a reader thread
    node.start()            # returns once the child listens; node.port is its port
    node.peers()            # the latest peer list the child sent
    node.add_peer("192.168.1.20:7787")
    node.stop()             # the child says goodbye to its peers and exits
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import IO, Any

from magnet import readmodel
from magnet.document import CannotForward
from magnet.errors import MagnetError
from magnet.home import OpenGroup
from sync import calls, control
from sync.events import NodeConfig, NodeEvent, PeerStatus

START_TIMEOUT = 30.0
LOG_FILE = "node.log"
log = logging.getLogger("magnet.sync")


class NodeProcess:
    """Runs one group's node as `magnet serve --control` and relays what it reports."""

    def __init__(
        self, group: OpenGroup, config: NodeConfig, on_event: Callable[[NodeEvent], None] | None = None
    ) -> None:
        self.group = group
        self.config = config
        self.on_event = on_event
        self._process: subprocess.Popen[bytes] | None = None
        self._port = 0
        self._peers: list[PeerStatus] = []
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None
        self._stopping = False
        self._write_lock = threading.Lock()
        # Shown from its read model: the child makes this app's writes and feeds back each change.
        self.feeds = not group.whole
        self._tried = threading.Event()  # start() has finished, one way or the other
        self._answers: dict[int, Future[Any]] = {}
        self._numbers = itertools.count(1)

    @property
    def port(self) -> int:
        return self._port

    def argv(self) -> list[str]:
        config = self.config
        argv = [
            sys.executable,
            "-m",
            "magnet",
            "--home",
            str(self.group.home.root),
            "--group",
            self.group.info.group_id,
        ]
        argv += ["serve", "--control", "--port", str(config.port), "--keepalive", str(config.keepalive)]
        for peer in config.peers:
            argv += ["--peer", peer]
        for interface in config.interfaces or ():
            argv += ["--interface", interface]
        if not config.discovery:
            argv.append("--no-discovery")
        return argv

    def start(self) -> None:
        """Start the child; returns once it listens. MagnetError when it cannot start."""
        try:
            self._start()
        finally:
            self._tried.set()

    def _start(self) -> None:
        if self._process is not None:
            return
        log_path = self.group.path / LOG_FILE
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter running our own module
                self.argv(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                close_fds=True,
            )
        except OSError as exc:
            raise MagnetError(f"sync could not start: {exc.strerror or exc}") from exc
        finally:
            os.close(log)
        cipher = self.group.store.cipher
        key = getattr(cipher, "data_key", None) if cipher is not None else None
        # The data key of an encrypted group goes over the pipe, never in argv or the environment.
        first: dict[str, object] = {"unlock": key.hex() if isinstance(key, bytes) else None}
        if self.feeds:
            first["feed"] = [head.hex() for head in self.group.doc.heads()]
        self._send(first)
        assert self._process.stdout is not None
        self._reader = threading.Thread(
            target=self._read, args=(self._process.stdout,), name="magnet-node-reader", daemon=True
        )
        self._reader.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready.wait(0.1):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop(timeout=1)
                raise MagnetError(f"sync could not start: {self._last_log_line(log_path)}")

    def stop(self, timeout: float = 5) -> None:
        """Ask the child to stop, and end it if it does not within `timeout` seconds."""
        process = self._process
        if process is None:
            return
        self._stopping = True
        self._send({"stop": True})
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def call(self, target: str, op: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Make a write in the child (magnet.document.RemoteWrites); its records arrive first.

        CannotForward when the child is not running (the app then opens the whole document itself).
        """
        if not self._tried.wait(START_TIMEOUT + 5) or not self._ready.is_set() or not self._running():
            raise CannotForward("sync is not running")
        try:
            packed = calls.pack([list(args), kwargs])
        except TypeError as exc:
            raise CannotForward(str(exc)) from exc
        number = next(self._numbers)
        answer: Future[Any] = Future()
        self._answers[number] = answer
        self._send({"call": number, "target": target, "op": op, "args": packed})
        if not self._running():  # it ended before the request reached it
            self._answers.pop(number, None)
            raise CannotForward("sync is not running")
        return answer.result()

    def _running(self) -> bool:
        return self._process is not None and self._process.poll() is None and not self._stopping

    def add_peer(self, address: str) -> None:
        if self._process is None or self._process.poll() is not None:
            raise MagnetError("sync is not running")
        self._send({"add_peer": address})

    def peers(self) -> list[PeerStatus]:
        return list(self._peers)

    def _send(self, message: dict[str, object]) -> None:
        process = self._process
        if process is None or process.stdin is None:
            return
        with self._write_lock, contextlib.suppress(OSError, ValueError):
            process.stdin.write(control.encode(message))
            process.stdin.flush()

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            message = control.decode(line)
            if message is None:
                continue
            if "listening" in message:
                self._port = int(message["listening"])
                self._ready.set()
            elif "peers" in message:
                peers = control.peers_of(message["peers"])
                if peers is not None:
                    self._peers = peers
            elif "event" in message:
                event = control.event_of(message["event"])
                if event is not None and self.on_event is not None:
                    self.on_event(event)
            else:
                self._take_write(message)
        for answer in list(self._answers.values()):
            # Whether it was saved before the child ended cannot be known here: say so, never redo it.
            answer.set_exception(MagnetError("sync stopped while making this change: check whether it was saved"))
        self._answers.clear()
        doc = self.group.doc
        if not self._stopping and doc.reading_only and doc.open_whole is not None:
            # Nothing feeds this app now: it opens the whole document and reads the store itself.
            with contextlib.suppress(MagnetError, OSError):
                doc.open_whole()
        if not self._stopping and self.on_event is not None and self._ready.is_set():
            detail = self._last_log_line(self.group.path / LOG_FILE)
            self.on_event(NodeEvent("error", "", None, f"sync stopped: {detail}", time.time()))
        self._peers = []

    def _take_write(self, message: dict[str, Any]) -> None:
        """An answer to a write, records the child fed, or a read model to read again."""
        doc = self.group.doc
        try:
            if "done" in message or "failed" in message:
                answer = self._answers.pop(int(message.get("done") or message.get("failed") or 0), None)
                if answer is None:
                    return
                if "done" in message:
                    answer.set_result(calls.unpack(message.get("result")))
                else:
                    answer.set_exception(calls.raised(message.get("error")))
            elif "records" in message:
                records = calls.unpack(message["records"])
                heads = [bytes.fromhex(head) for head in message.get("heads") or []]
                doc.take_records(records, heads, "local" if message.get("origin") == "local" else "remote")
            elif "reload" in message:
                state = message["reload"]
                model = None
                if isinstance(state, list) and len(state) == 3:
                    cipher = self.group.store.cipher
                    model = readmodel.load(self.group.path, readmodel.StoreState(*map(int, state)), cipher)
                if model is not None:
                    doc.take_model(model)
                elif doc.reading_only and doc.open_whole is not None:
                    doc.open_whole()  # no read model to take: this process opens the whole document
        except (ValueError, TypeError, KeyError, MagnetError) as exc:
            log.warning("the node's process sent what this app cannot take (%s): opening the whole document", exc)
            if doc.reading_only and doc.open_whole is not None:
                doc.open_whole()

    @staticmethod
    def _last_log_line(path: os.PathLike[str]) -> str:
        try:
            with open(path, "rb") as log:
                lines = [line for line in log.read()[-4096:].decode(errors="replace").splitlines() if line.strip()]
        except OSError:
            return "see its log"
        return lines[-1].strip() if lines else "it ended without a word"
