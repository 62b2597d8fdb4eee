"""One node per group folder, and a note of its port for `magnet invite`.

Two nodes on one data dir would share a device key and fight over every peer, so a node holds
an exclusive lock on `node.lock` while it runs (the app then leaves sync to a `magnet serve`
already running, and picks up its merges from the store). The invite, made by another process,
must name the port where the new device finds the node: `node.json` says it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path

from magnet.errors import MagnetError
from magnet.fileio import write_private

RUN_FILE = "node.json"
LOCK_FILE = "node.lock"


class AlreadyRunning(MagnetError):
    """Another process already runs the sync node for this group on this data dir."""


class RunNote:
    """This process's claim to run the group's node."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._fd: int | None = None

    def claim(self) -> None:
        """Take the lock, or raise AlreadyRunning naming the process that holds it."""
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            port = running_port(self.directory)
            where = f" (port {port})" if port else ""
            raise AlreadyRunning(f"sync already runs for this group on this device{where}") from None
        self._fd = fd

    def announce(self, port: int) -> None:
        with contextlib.suppress(OSError):
            write_private(self.directory / RUN_FILE, json.dumps({"pid": os.getpid(), "port": port}).encode())

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            (self.directory / RUN_FILE).unlink()
        os.close(self._fd)  # closing releases the lock
        self._fd = None


def running_port(directory: Path) -> int | None:
    """The port of the node running on this group's folder, or None when none runs."""
    try:
        note = json.loads((directory / RUN_FILE).read_text())
        pid, port = int(note["pid"]), int(note["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, and another user's
    return port
