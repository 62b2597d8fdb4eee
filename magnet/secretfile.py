"""Secret files on a data dir: refuse ones others can read, and lock read-modify-write across processes.

Writing goes through `magnet.fileio.write_private` (0600, atomic). Reading checks the mode the way
ssh does with its keys: a key file that other users can read may already be copied, so the user
must hear about it rather than have magnet carry on quietly.
"""

from __future__ import annotations

import os
import stat
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from magnet.durable import BINARY
from magnet.errors import StoreError
from magnet.locks import FileLock

# Secret files are a few KB; anything much larger is not one of ours.
MAX_SECRET_FILE = 1 << 20


def read_private(path: Path, *, what: str) -> bytes:
    """The bytes of the secret file `path`, refusing it if group or others may read or write it.

    `what` names the file for the person reading the error ("device key", "group keys").
    Raises FileNotFoundError when it is missing (callers decide whether to create it) and
    StoreError for everything a person must fix.
    """
    try:
        fd = os.open(path, os.O_RDONLY | BINARY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the {what}: {exc.strerror}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise StoreError(f"{path}: the {what} is not a regular file")
        if os.name == "posix" and info.st_mode & 0o077:
            raise StoreError(
                f"{path}: the {what} can be read by other users "
                f"(mode {stat.S_IMODE(info.st_mode):o}); run `chmod 600 {path}` "
                "and consider whether it was copied"
            )
        if info.st_size > MAX_SECRET_FILE:
            raise StoreError(f"{path}: the {what} is damaged (too large)")
        return os.read(fd, MAX_SECRET_FILE + 1)
    finally:
        os.close(fd)


@contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (created 0600) for a read-modify-write.

    The lock lives in a side file because secret files are replaced by rename, which would
    leave a lock on the data file itself pointing at the old inode.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path)
    try:
        with lock.exclusive():
            yield
    finally:
        lock.close()


# Key files end with this mark and a CRC-32 of what precedes it: a flipped bit in a key must be
# an error, never a new identity or a different group secret. Files from before the mark load
# as they are (and gain it when next written).
CHECK_MARK = b"\x00mgk"
_CHECK_LEN = len(CHECK_MARK) + 4


class DamagedSecret(StoreError):
    """A secret file whose checksum does not match what it holds."""


def with_checksum(body: bytes) -> bytes:
    """`body` followed by the mark and its checksum, as a key file is written."""
    return body + CHECK_MARK + zlib.crc32(body).to_bytes(4, "big")


def checked_body(data: bytes) -> tuple[bytes, bool]:
    """The body of a key file and whether it carried a checksum.

    Raises DamagedSecret (without a path: the caller says which file and what to do) when the
    checksum does not match.
    """
    if len(data) >= _CHECK_LEN and data[-_CHECK_LEN:-4] == CHECK_MARK:
        body = data[:-_CHECK_LEN]
        if zlib.crc32(body).to_bytes(4, "big") != data[-4:]:
            raise DamagedSecret("its checksum does not match")
        return body, True
    return data, False
