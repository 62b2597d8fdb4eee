"""A commit in one process wakes the others at once; dead listeners are cleared away."""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import time
from pathlib import Path

from magnet import wakeup
from magnet.home import Home


def rung_within(bell: wakeup.Wakeup, seconds: float) -> bool:
    with selectors.DefaultSelector() as selector:  # poll/epoll: any descriptor number, unlike select()
        selector.register(bell.socket, selectors.EVENT_READ)
        ready = selector.select(seconds)
    return bool(ready) and bell.drain() > 0


def test_a_commit_by_another_process_rings_every_listener(home: Home, tmp_path: Path) -> None:
    group = home.create_group("Maple St")
    path = group.path
    group.close()
    first, second = wakeup.Wakeup(path), wakeup.Wakeup(path)
    try:
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "magnet", "--home", str(home.root), "add", "members", "name=Ann"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        assert rung_within(first, 5) and rung_within(second, 5)
        assert time.monotonic() - started < 30
        assert not rung_within(first, 0.05)  # one commit, one ring, nothing left over
    finally:
        first.close()
        second.close()
    assert list((path / wakeup.LISTENERS).iterdir()) == []


def test_a_listener_that_died_is_removed_and_never_rung(tmp_path: Path) -> None:
    code = "import sys; from pathlib import Path; from magnet.wakeup import Wakeup; Wakeup(Path(sys.argv[1])); import os; os._exit(0)"
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=60)
    [stale] = list((tmp_path / wakeup.LISTENERS).iterdir())
    aged(stale)  # it died a while ago
    alive = wakeup.Wakeup(tmp_path)
    try:
        assert wakeup.ring(tmp_path) == 1
        assert not stale.exists()
        assert rung_within(alive, 2)
        assert wakeup.ring(tmp_path, except_port=alive.port) == 0
    finally:
        alive.close()


def test_a_doorbell_made_this_moment_is_not_taken_for_a_dead_one(tmp_path: Path) -> None:
    """A listener creates its file, then locks it: a ring in between must not remove the file."""
    directory = tmp_path / wakeup.LISTENERS
    directory.mkdir()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        newborn = directory / f"{os.getpid()}-{listener.getsockname()[1]}"
        newborn.touch()  # not locked yet
        assert wakeup.ring(tmp_path) == 1 and newborn.exists()
        aged(newborn)  # never locked, and old: its process is gone
        assert wakeup.ring(tmp_path) == 0 and not newborn.exists()


def aged(entry: Path) -> None:
    then = time.time() - 2 * wakeup.SETTLING
    os.utime(entry, (then, then))


def test_the_listeners_directory_is_owner_only(tmp_path: Path) -> None:
    bell = wakeup.Wakeup(tmp_path)
    try:
        assert (tmp_path / wakeup.LISTENERS).stat().st_mode & 0o077 == 0
        assert os.stat(bell.file).st_mode & 0o077 == 0
    finally:
        bell.close()
