"""The portable core, each OS branch forced on this machine: durable writes, file locks, signals.

The branches are picked by platform name (`disk_for`, `locker_for`), so the macOS and Windows
logic runs here with the real system calls it shares with Linux. Only Windows' `msvcrt` is
stood in for, by a module that answers with real `flock` locks, so contention is still real.
"""

from __future__ import annotations

import errno
import fcntl
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from magnet.durable import disk_for
from magnet.locks import ByteLock, FileLock, Flock, locker_for
from sync.runfile import LOCK_FILE, RUN_FILE, RunNote, running_port

assert sys.platform != "win32"  # POSIX-only tests; mypy --platform win32 skips the rest


def written(path: Path, data: bytes) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, data)
    return fd


def test_linux_syncs_data_with_fdatasync(tmp_path: Path) -> None:
    fd = written(tmp_path / "f", b"record")
    try:
        assert disk_for("linux").sync(fd) == "fdatasync"
    finally:
        os.close(fd)
    assert disk_for("linux").sync_dir(tmp_path) is True
    with pytest.raises(FileNotFoundError):
        disk_for("linux").sync_dir(tmp_path / "missing")  # it really opens the directory


def test_macos_asks_the_drive_with_full_fsync_and_falls_back_where_it_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fd = written(tmp_path / "f", b"record")
    darwin = disk_for("darwin")
    try:
        if not hasattr(fcntl, "F_FULLFSYNC"):
            assert darwin.sync(fd) == "fsync"  # this fcntl has no F_FULLFSYNC: plain fsync
        # The same call with a command the kernel accepts, then with one it refuses (as a
        # filesystem without F_FULLFSYNC does on macOS).
        monkeypatch.setattr(fcntl, "F_FULLFSYNC", fcntl.F_GETFD, raising=False)
        assert darwin.sync(fd) == "F_FULLFSYNC"
        monkeypatch.setattr(fcntl, "F_FULLFSYNC", 0x7FFF, raising=False)
        with pytest.raises(OSError) as refused:
            fcntl.fcntl(fd, 0x7FFF)
        assert refused.value.errno == errno.EINVAL
        assert darwin.sync(fd) == "fsync"
    finally:
        os.close(fd)
    assert darwin.sync_dir(tmp_path) is True


def test_windows_flushes_files_and_skips_directories(tmp_path: Path) -> None:
    fd = written(tmp_path / "f", b"record")
    try:
        assert disk_for("win32").sync(fd) == "fsync"  # FlushFileBuffers there
    finally:
        os.close(fd)
    assert disk_for("win32").sync_dir(tmp_path / "missing") is False  # never opens a directory


def test_posix_locks_have_shared_and_exclusive_modes(tmp_path: Path) -> None:
    path = tmp_path / "store.lock"
    lock = Flock()
    one, two = (os.open(path, os.O_RDWR | os.O_CREAT, 0o600) for _ in range(2))
    try:
        assert lock.acquire(one, shared=True, wait=False)
        assert lock.acquire(two, shared=True, wait=False)  # readers together
        lock.release(two)
        assert not lock.acquire(two, shared=False, wait=False)  # a writer waits for the reader
        lock.release(one)
        assert lock.acquire(two, shared=False, wait=False)
        assert not lock.acquire(one, shared=True, wait=False)
    finally:
        os.close(one)
        os.close(two)


class FlockMsvcrt:
    """Windows' msvcrt.locking contract (LK_NBLCK fails with EACCES when held), on real flock."""

    LK_NBLCK = 2
    LK_UNLCK = 0

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int]] = []

    def locking(self, fd: int, mode: int, nbytes: int, /) -> None:
        self.calls.append((mode, os.lseek(fd, 0, os.SEEK_CUR), nbytes))
        if mode == self.LK_UNLCK:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OSError(errno.EACCES, "Permission denied") from None


def test_windows_locks_are_one_mode_and_waiting_is_a_loop(tmp_path: Path) -> None:
    msvcrt = FlockMsvcrt()
    lock = ByteLock(msvcrt)
    path = tmp_path / "store.lock"
    one, two = (os.open(path, os.O_RDWR | os.O_CREAT, 0o600) for _ in range(2))
    try:
        os.lseek(one, 5, os.SEEK_SET)
        assert lock.acquire(one, shared=True, wait=False)
        assert msvcrt.calls[-1] == (msvcrt.LK_NBLCK, 0, 1)  # always byte 0, wherever the file was
        assert not lock.acquire(two, shared=True, wait=False)  # no shared mode: readers queue too
        threading.Timer(0.2, lock.release, args=(one,)).start()
        started = time.monotonic()
        assert lock.acquire(two, shared=False, wait=True)  # LK_LOCK would give up after 10 s
        assert 0.15 < time.monotonic() - started < 5
        lock.release(two)
        assert msvcrt.calls[-1] == (msvcrt.LK_UNLCK, 0, 1)
    finally:
        os.close(one)
        os.close(two)


def test_windows_lock_errors_other_than_busy_are_raised(tmp_path: Path) -> None:
    class Broken(FlockMsvcrt):
        def locking(self, fd: int, mode: int, nbytes: int, /) -> None:
            raise OSError(errno.EBADF, "Bad file descriptor")

    fd = os.open(tmp_path / "x.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        with pytest.raises(OSError, match="Bad file"):
            ByteLock(Broken()).acquire(fd, shared=False, wait=True)  # never a silent endless wait
    finally:
        os.close(fd)


def test_the_platform_name_picks_the_lock_branch() -> None:
    assert isinstance(locker_for("linux"), Flock) and isinstance(locker_for("darwin"), Flock)
    with pytest.raises(ModuleNotFoundError, match="msvcrt"):
        locker_for("win32")  # the Windows branch asks for msvcrt, which only Windows has


def test_the_store_runs_on_the_windows_lock_branch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store operation, with every lock it takes going through the Windows branch."""
    from magnet import locks
    from magnet.home import Home

    monkeypatch.setattr(locks, "LOCKER", ByteLock(FlockMsvcrt()))
    home = Home(tmp_path / "home")
    writer = home.create_group("Maple")
    reader = Home(home.root).open_group()
    ann = writer.doc.members.add(name="Ann")
    assert reader.poll() > 0 and reader.doc.members.get(ann.id).name == "Ann"
    writer.store.compact(writer.doc)
    reader.doc.members.add(name="Bob")
    writer.poll()
    assert {m.name for m in writer.doc.members} == {"Ann", "Bob"}
    reader.close()
    writer.close()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from magnet.locks import FileLock
    lock = FileLock(Path(sys.argv[1]))
    assert lock.try_exclusive()
    print("holding", flush=True)
    sys.stdin.readline()
    """
)


def test_a_node_is_known_to_run_by_its_lock_not_its_process_id(tmp_path: Path) -> None:
    (tmp_path / RUN_FILE).write_text('{"pid": 1, "port": 7787}')  # pid 1 is alive, and not ours
    (tmp_path / LOCK_FILE).touch()
    assert running_port(tmp_path) is None  # nobody holds the lock: a note left by a crash
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / LOCK_FILE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"holding"
        assert running_port(tmp_path) == 7787
        with pytest.raises(Exception, match="sync already runs for this group on this device \\(port 7787\\)"):
            RunNote(tmp_path).claim()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
    note = RunNote(tmp_path)
    note.claim()  # the holder is gone, and with it the lock
    note.release()


SIGNALLED = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from sync.cli import stop_on_signals

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        stop_on_signals(loop, stop.set, loop_handlers=sys.argv[2] == "loop")
        loop.call_later(0.1, os.kill, os.getpid(), getattr(signal, sys.argv[1]))
        await asyncio.wait_for(stop.wait(), 10)
        print("stopped", flush=True)

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("how", ["loop", "plain"])
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_serve_stops_cleanly_on_signals_with_and_without_loop_handlers(sig: str, how: str) -> None:
    """`plain` is Windows' way: its event loop has no add_signal_handler."""
    done = subprocess.run(
        [sys.executable, "-c", SIGNALLED, sig, how], capture_output=True, text=True, timeout=30, cwd=Path.cwd()
    )
    assert done.returncode == 0 and done.stdout.strip() == "stopped", done.stderr


def test_a_lock_is_released_when_its_file_is_closed(tmp_path: Path) -> None:
    first, second = FileLock(tmp_path / "a.lock"), FileLock(tmp_path / "a.lock")
    assert first.try_exclusive()
    assert not second.try_exclusive()
    first.close()
    assert second.try_exclusive()
    second.close()
