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
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO

from magnet.errors import MagnetError
from magnet.home import OpenGroup
from sync import control
from sync.events import NodeConfig, NodeEvent, PeerStatus

START_TIMEOUT = 30.0
LOG_FILE = "node.log"


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
        self._send({"unlock": key.hex() if isinstance(key, bytes) else None})
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
        if not self._stopping and self.on_event is not None and self._ready.is_set():
            detail = self._last_log_line(self.group.path / LOG_FILE)
            self.on_event(NodeEvent("error", "", None, f"sync stopped: {detail}", time.time()))
        self._peers = []

    @staticmethod
    def _last_log_line(path: os.PathLike[str]) -> str:
        try:
            with open(path, "rb") as log:
                lines = [line for line in log.read()[-4096:].decode(errors="replace").splitlines() if line.strip()]
        except OSError:
            return "see its log"
        return lines[-1].strip() if lines else "it ended without a word"
