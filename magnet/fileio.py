"""Small durable-file primitives: owner-only files, atomic replace, directory sync, positioned reads.

Owner-only means mode 0600/0700 on POSIX. Windows has no such modes: the data dir lives in the
user's profile (`%LOCALAPPDATA%`), whose access list admits that user (and administrators) only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from magnet.durable import BINARY, DISK


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` survive a power cut (skipped where the OS cannot)."""
    DISK.sync_dir(path)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_at(fd: int, size: int, offset: int) -> bytes:
    """`size` bytes from `offset` (fewer at the end of the file). Windows has no pread."""
    parts: list[bytes] = []
    while size > 0:
        if sys.platform == "win32":
            os.lseek(fd, offset, os.SEEK_SET)
            part = os.read(fd, size)
        else:
            part = os.pread(fd, size, offset)
        if not part:
            break
        parts.append(part)
        size -= len(part)
        offset += len(part)
    return b"".join(parts)


def write_private(path: Path, data: bytes) -> None:
    """Atomically write `data` readable by the owner only (0600), synced before the rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | BINARY, 0o600)
    try:
        try:
            if sys.platform != "win32":
                os.fchmod(fd, 0o600)  # a stale temp file may carry another mode
            write_all(fd, data)
            DISK.sync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a full disk must not leave half a file behind
        raise
    fsync_dir(path.parent)


def make_private_dir(path: Path) -> Path:
    """Create `path` (and parents) with the leaf readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path
