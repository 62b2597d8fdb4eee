"""The data dir: a group that cannot be opened leaves nothing open behind it."""

from __future__ import annotations

import os

import pytest

from magnet.errors import DamagedStore
from magnet.home import Home
from magnet.store import read_header


def test_a_store_that_cannot_be_opened_leaves_no_file_open(home: Home) -> None:
    """Each failed open used to keep the store's lock file open: a thousand tries, a thousand files."""
    group = home.create_group("Maple Street MAG")
    path = group.info.store_path
    group.close()
    damaged = bytearray(path.read_bytes())
    damaged[read_header(path).size + 12] ^= 0xFF  # inside the snapshot every later change builds on
    path.write_bytes(bytes(damaged))
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        with pytest.raises(DamagedStore):
            home.open_group()
    assert len(os.listdir("/proc/self/fd")) == before
