"""The device key file: created owner-only, reloaded as the same identity, refused when exposed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from magnet.device import KEY_FILE, DeviceIdentity
from magnet.errors import StoreError


def test_key_is_created_owner_only_and_reloads_the_same(tmp_path: Path) -> None:
    first = DeviceIdentity.load_or_create(tmp_path)
    assert stat.S_IMODE(os.stat(tmp_path / KEY_FILE).st_mode) == 0o600
    again = DeviceIdentity.load_or_create(tmp_path)
    assert again == first
    assert again.device_id == first.device_id


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o666])
def test_key_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    DeviceIdentity.load_or_create(tmp_path)
    os.chmod(tmp_path / KEY_FILE, mode)
    with pytest.raises(StoreError, match=r"other users .*chmod 600"):
        DeviceIdentity.load_or_create(tmp_path)


def test_damaged_key_is_refused_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    path.write_bytes(b"\x01" * 31)
    os.chmod(path, 0o600)
    with pytest.raises(StoreError, match="damaged"):
        DeviceIdentity.load_or_create(tmp_path)
    assert path.read_bytes() == b"\x01" * 31  # the user's file is left for them to inspect


def test_key_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).mkdir()
    with pytest.raises(StoreError):
        DeviceIdentity.load_or_create(tmp_path)


def test_private_key_never_shows_in_repr() -> None:
    identity = DeviceIdentity.generate()
    assert identity.private_key.hex() not in repr(identity)
    assert repr(identity.private_key) not in repr(identity)
