"""File locks between processes on one data dir, on POSIX and on Windows.

A lock lives on a side file (`store.lock`, `node.lock`, ...), never on a data file that is
replaced by rename. POSIX uses `flock`, with real shared and exclusive modes. Windows uses
`msvcrt.locking` on the file's first byte, which has one mode only: a shared request takes the
exclusive lock there. That costs concurrency, never safety (readers hold it for milliseconds).
Closing the descriptor releases the lock on both.

`locker_for(platform)` picks the branch by name, so tests run both on one machine.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, cast

from magnet.durable import BINARY


class Locker(Protocol):
    """The OS's lock call on an open descriptor."""

    def acquire(self, fd: int, *, shared: bool, wait: bool) -> bool:
        """Take the lock; False when `wait` is off and another process holds it."""
        ...

    def release(self, fd: int) -> None: ...


class Flock:
    """POSIX: `flock`, shared or exclusive."""

    def acquire(self, fd: int, *, shared: bool, wait: bool) -> bool:
        if sys.platform == "win32":
            raise OSError(errno.ENOSYS, "flock is POSIX only")
        else:
            import fcntl

            mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
            try:
                fcntl.flock(fd, mode)
            except BlockingIOError:
                return False
            return True

    def release(self, fd: int) -> None:
        if sys.platform != "win32":
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)


class Msvcrt(Protocol):
    """The part of Windows' `msvcrt` module used here."""

    LK_NBLCK: int
    LK_UNLCK: int

    def locking(self, fd: int, mode: int, nbytes: int, /) -> None: ...


# msvcrt.locking's errors when another process holds the byte.
_BUSY = {errno.EACCES, errno.EDEADLK, getattr(errno, "EDEADLOCK", errno.EDEADLK)}


class ByteLock:
    """Windows: `msvcrt.locking` on byte 0. LK_LOCK gives up after 10 s, so waiting is a loop here."""

    def __init__(self, msvcrt: Msvcrt, sleep: Callable[[float], None] = time.sleep) -> None:
        self._msvcrt = msvcrt
        self._sleep = sleep

    def acquire(self, fd: int, *, shared: bool, wait: bool) -> bool:
        del shared  # one mode only: see the module docstring
        while True:
            os.lseek(fd, 0, os.SEEK_SET)  # locking() starts at the current position
            try:
                self._msvcrt.locking(fd, self._msvcrt.LK_NBLCK, 1)
                return True
            except OSError as exc:
                if exc.errno not in _BUSY:
                    raise
            if not wait:
                return False
            self._sleep(0.005)

    def release(self, fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        self._msvcrt.locking(fd, self._msvcrt.LK_UNLCK, 1)


def locker_for(platform: str) -> Locker:
    """The lock call of `platform` (a `sys.platform` value)."""
    if platform == "win32":
        return ByteLock(cast(Msvcrt, importlib.import_module("msvcrt")))
    return Flock()


LOCKER = locker_for(sys.platform)


class FileLock:
    """A lock on the side file `path` (created 0600), shared or exclusive, between processes.

    Not re-entrant: callers that nest (the store) track what they hold themselves.
    """

    def __init__(self, path: Path, locker: Locker | None = None) -> None:
        self.path = path
        self._locker = locker or LOCKER
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | BINARY, 0o600)
        return self._fd

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        fd = self._open()
        self._locker.acquire(fd, shared=False, wait=True)
        try:
            yield
        finally:
            self._locker.release(fd)

    @contextmanager
    def shared(self) -> Iterator[None]:
        fd = self._open()
        self._locker.acquire(fd, shared=True, wait=True)
        try:
            yield
        finally:
            self._locker.release(fd)

    def try_exclusive(self) -> bool:
        """Take the exclusive lock and keep it until `close()`; False when another holds it."""
        fd = self._open()
        if self._locker.acquire(fd, shared=False, wait=False):
            return True
        self.close()
        return False

    def close(self) -> None:
        """Close the side file, releasing whatever lock this object holds."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
