"""Waking the other processes of a data dir when the store changed, instead of having them poll.

Every long-running process on a group (the app, `magnet serve`) listens on a UDP socket bound to
127.0.0.1 and names its port in a small file under `<group>/listeners/`, locked for as long as it
lives (a file whose lock can be taken belongs to a process that died, and is removed). Whoever appends to the
store (the CLI, a script, the node) sends one empty datagram to each listed port right after the
append is durable; the listener then reads the store at once. A datagram carries nothing: a
stranger on this computer who sends one only makes a process look at its own store. Works the
same on Linux, macOS and Windows (no inotify, no named pipes).
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from pathlib import Path

from magnet.locks import FileLock

LISTENERS = "listeners"
MAX_LISTENERS = 32
SETTLING = 5.0


class Wakeup:
    """One process's doorbell for one group's store."""

    def __init__(self, group_dir: Path) -> None:
        self.directory = group_dir / LISTENERS
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.setblocking(False)
        self.port: int = self.socket.getsockname()[1]
        self.directory.mkdir(mode=0o700, exist_ok=True)
        self.file = self.directory / f"{os.getpid()}-{self.port}"
        self._alive = FileLock(self.file)
        self._alive.try_exclusive()

    def fileno(self) -> int:
        return self.socket.fileno()

    def drain(self) -> int:
        """Read every pending ring; how many there were."""
        rings = 0
        while True:
            try:
                self.socket.recv(64)
            except (BlockingIOError, InterruptedError):
                return rings
            except OSError:
                return rings
            rings += 1

    def nudge(self) -> None:
        """Ring this doorbell from this process (to wake a thread waiting on it)."""
        with contextlib.suppress(OSError):
            self.socket.sendto(b"", ("127.0.0.1", self.port))

    def close(self) -> None:
        self._alive.close()
        with contextlib.suppress(OSError):
            self.file.unlink()
        self.socket.close()


def ring(group_dir: Path, *, except_port: int = 0) -> int:
    """Wake every process listening on this group's store; how many were rung."""
    directory = group_dir / LISTENERS
    try:
        entries = sorted(directory.iterdir(), key=_age)[-MAX_LISTENERS:]
    except OSError:
        return 0
    if not entries:
        return 0
    rung = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        for entry in entries:
            port = _port(entry)
            if port is None or port == except_port:
                continue
            if _gone(entry):
                continue
            try:
                sender.sendto(b"", ("127.0.0.1", port))
                rung += 1
            except OSError:
                continue  # a full buffer means a ring is already waiting there
    return rung


def _gone(entry: Path) -> bool:
    """Whether the process behind `entry` ended (its lock is free); its file is then removed.

    A file made moments ago may not be locked yet (a listener creates it, then locks it): it
    counts as alive until it is `SETTLING` seconds old, so no ringer removes a new doorbell.
    """
    if time.time() - _age(entry) < SETTLING:
        return False
    probe = FileLock(entry)
    try:
        if not probe.try_exclusive():
            return False
        probe.close()
        entry.unlink(missing_ok=True)
        return True
    except OSError:
        return True


def _port(entry: Path) -> int | None:
    _, _, port = entry.name.partition("-")
    return int(port) if port.isdigit() and 0 < int(port) < 65536 else None


def _age(entry: Path) -> float:
    try:
        return entry.stat().st_mtime
    except OSError:
        return 0.0
