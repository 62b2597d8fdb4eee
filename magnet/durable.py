"""Writes that really reach the disk, on each OS magnet runs on.

- Linux: `fdatasync` (the data and the size needed to read it back; no timestamps).
- macOS: `fsync` only hands the data to the drive, which may keep it in its cache through a
  power cut; `fcntl(F_FULLFSYNC)` asks the drive to write it. Filesystems that refuse it
  (some network shares) fall back to `fsync`.
- Windows: `os.fsync` is `FlushFileBuffers`. A directory cannot be opened for syncing there;
  NTFS journals renames itself, so syncing the directory is skipped.

`disk_for(platform)` picks the branch by name, so tests run every branch on one machine.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

# Windows opens files in text mode unless told otherwise: every os.open of ours adds this.
BINARY: int = getattr(os, "O_BINARY", 0)


def _fdatasync(fd: int) -> str:
    if sys.platform == "win32" or sys.platform == "darwin":
        os.fsync(fd)  # never selected there; keeps the branch total for the type checker
        return "fsync"
    else:
        os.fdatasync(fd)
        return "fdatasync"


def _full_fsync(fd: int) -> str:
    if sys.platform != "win32":
        import fcntl

        command: int | None = getattr(fcntl, "F_FULLFSYNC", None)
        if command is not None:
            try:
                fcntl.fcntl(fd, command)
                return "F_FULLFSYNC"
            except OSError:
                pass  # a filesystem without it: fsync is the best it offers
    os.fsync(fd)
    return "fsync"


def _fsync(fd: int) -> str:
    os.fsync(fd)
    return "fsync"


@dataclass(frozen=True)
class Disk:
    """How one OS makes a file and a rename durable."""

    platform: str

    def sync(self, fd: int) -> str:
        """Make what was written to `fd` survive a power cut; returns the call that did it."""
        if self.platform == "darwin":
            return _full_fsync(fd)
        if self.platform == "win32":
            return _fsync(fd)  # FlushFileBuffers
        return _fdatasync(fd)

    def sync_dir(self, path: Path) -> bool:
        """Make a rename or a new file in `path` durable; False where the OS cannot (Windows)."""
        if self.platform == "win32":
            return False
        fd = os.open(path, os.O_RDONLY)
        try:
            self.sync(fd) if self.platform == "darwin" else os.fsync(fd)
        finally:
            os.close(fd)
        return True


def disk_for(platform: str) -> Disk:
    """The branch for `platform` (a `sys.platform` value); anything not darwin/win32 is Linux-like."""
    return Disk(platform)


DISK = disk_for(sys.platform)
