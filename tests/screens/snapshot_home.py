"""A sample group that looks the same on every run, for snapshot tests of every screen at 80x24.

Everything that would differ between runs is pinned while the group is built: record ids and
actor ids (from `os.urandom`), this device's key, its host name, the time stamped on records,
the day the sample is dated around, and the order Python iterates sets in (the build runs in a
child process with a fixed PYTHONHASHSEED, so the store's bytes, whose size Settings shows, are
the same every time). The app then runs with a fixed clock. The data dir is at
a fixed place (the Settings screen shows its path), held under a lock while tests use it, so two
test runs on one machine take turns instead of writing over each other.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from magnet import collection, device, document, home
from magnet.home import Home
from magnet.locks import FileLock
from magnet.sample import create_demo_group

TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 9, 0)
ROOT = Path(tempfile.gettempdir()) / "magnet-snapshots"
DEVICE_KEY = bytes(range(1, 33))


class _FixedDatetime(datetime):
    @classmethod
    def now(cls, tz: object = None) -> _FixedDatetime:
        return cls.combine(TODAY, NOW.time())


class _FixedDate(date):
    @classmethod
    def today(cls) -> _FixedDate:
        return cls(TODAY.year, TODAY.month, TODAY.day)


@contextlib.contextmanager
def pinned() -> Iterator[None]:
    """Randomness and time fixed, for building the sample (never while the app under test runs)."""
    rng = random.Random(14)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("os.urandom", rng.randbytes)
        patch.setattr(device.DeviceIdentity, "generate", classmethod(lambda cls: cls.from_private(DEVICE_KEY)))
        patch.setattr(socket, "gethostname", lambda: "maple-laptop")
        patch.setattr(collection, "now", lambda: NOW)
        patch.setattr(home, "datetime", _FixedDatetime)
        patch.setattr(document, "date", _FixedDate)
        yield


@contextlib.contextmanager
def sample_home() -> Iterator[Callable[[], Home]]:
    """The sample group, built once; each call of the function given puts a fresh copy of it in the
    fixed data dir (what one test writes, a draft or a preference, never reaches the next)."""
    ROOT.mkdir(exist_ok=True)
    with FileLock(ROOT / "lock").exclusive(), tempfile.TemporaryDirectory() as scratch:
        pristine = Path(scratch) / "home"
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        subprocess.run([sys.executable, __file__, str(pristine)], env=env, check=True, timeout=120)
        where = ROOT / "home"

        def fresh() -> Home:
            shutil.rmtree(where, ignore_errors=True)
            shutil.copytree(pristine, where)
            return Home(where)

        try:
            yield fresh
        finally:
            shutil.rmtree(where, ignore_errors=True)


def build(where: Path) -> None:
    with pinned():
        create_demo_group(Home(where), today=TODAY).close()


if __name__ == "__main__":
    build(Path(sys.argv[1]))
