"""One node per group folder, and a note of its port for `magnet invite`.

Two nodes on one data dir would share a device key and fight over every peer, so a node holds
an exclusive lock on `node.lock` while it runs (the app then leaves sync to a `magnet serve`
already running, and picks up its merges from the store). The invite, made by another process,
must name the port where the new device finds the node: `node.json` says it. Whether a node
runs is asked of the lock itself, which its holder's exit always releases (a process id could
be reused, and Windows has no harmless way to probe one).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from magnet.errors import MagnetError
from magnet.fileio import write_private
from magnet.locks import FileLock

RUN_FILE = "node.json"
LOCK_FILE = "node.lock"


class AlreadyRunning(MagnetError):
    """Another process already runs the sync node for this group on this data dir."""


class RunNote:
    """This process's claim to run the group's node."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock: FileLock | None = None

    def claim(self) -> None:
        """Take the lock, or raise AlreadyRunning naming the process that holds it."""
        lock = FileLock(self.directory / LOCK_FILE)
        # A few tries: `running_port` in another process holds the lock for a moment to probe it.
        for _ in range(4):
            if lock.try_exclusive():
                self._lock = lock
                return
            time.sleep(0.05)
        port = running_port(self.directory)
        where = f" (port {port})" if port else ""
        raise AlreadyRunning(f"sync already runs for this group on this device{where}")

    def announce(self, port: int) -> None:
        with contextlib.suppress(OSError):
            write_private(self.directory / RUN_FILE, json.dumps({"pid": os.getpid(), "port": port}).encode())

    def release(self) -> None:
        if self._lock is None:
            return
        with contextlib.suppress(OSError):
            (self.directory / RUN_FILE).unlink()
        self._lock.close()  # closing releases the lock
        self._lock = None


def running_port(directory: Path) -> int | None:
    """The port of the node running on this group's folder, or None when none runs."""
    try:
        note = json.loads((directory / RUN_FILE).read_text())
        port = int(note["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (directory / LOCK_FILE).exists():
        return None
    probe = FileLock(directory / LOCK_FILE)
    try:
        if probe.try_exclusive():
            return None  # nobody holds it: the note is left over from a process that died
    except OSError:
        return port  # cannot probe (another user's file): trust the note
    finally:
        probe.close()
    return port
