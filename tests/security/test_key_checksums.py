"""Key files carry a checksum: a damaged key is an error that says what to do, never a new
identity or a different group secret. Key files from before the checksum still load."""

from __future__ import annotations

from pathlib import Path

import pytest

from magnet.device import KEY_FILE, DeviceIdentity
from magnet.errors import StoreError
from magnet.groupkey import KEYRING_FILE, KeyRing
from magnet.secretfile import CHECK_MARK


def test_every_flipped_bit_of_the_device_key_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    first = DeviceIdentity.load_or_create(tmp_path)
    path = tmp_path / KEY_FILE
    original = path.read_bytes()
    assert len(original) == 32 + len(CHECK_MARK) + 4
    for bit in range(len(original) * 8):
        damaged = bytearray(original)
        damaged[bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(bytes(damaged))
        with pytest.raises(StoreError, match=r"device key is damaged.*backup.*magnet join") as refused:
            DeviceIdentity.load_or_create(tmp_path)
        assert str(path) in str(refused.value)
        assert path.read_bytes() == bytes(damaged), bit  # never replaced by a new identity
    path.write_bytes(original)
    assert DeviceIdentity.load_or_create(tmp_path) == first


def test_a_device_key_from_before_checksums_loads_and_gains_one(tmp_path: Path) -> None:
    identity = DeviceIdentity.generate()
    path = tmp_path / KEY_FILE
    path.write_bytes(identity.private_key)
    path.chmod(0o600)
    assert DeviceIdentity.load_or_create(tmp_path) == identity
    assert path.read_bytes()[:32] == identity.private_key and len(path.read_bytes()) == 40
    assert DeviceIdentity.load_or_create(tmp_path) == identity


def test_every_flipped_bit_of_the_group_keys_is_refused(tmp_path: Path) -> None:
    ring = KeyRing.found()
    ring.rotate()
    ring.save(tmp_path)
    path = tmp_path / KEYRING_FILE
    original = path.read_bytes()
    for bit in range(len(original) * 8):
        damaged = bytearray(original)
        damaged[bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(bytes(damaged))
        with pytest.raises(StoreError, match=r"group key file is damaged.*magnet join"):
            KeyRing.load(tmp_path)  # never a ring with a changed secret
    path.write_bytes(original)
    loaded = KeyRing.load(tmp_path)
    assert loaded.epochs == ring.epochs and loaded.current.secret == ring.current.secret


def test_group_keys_from_before_checksums_load_and_gain_one_when_saved(tmp_path: Path) -> None:
    ring = KeyRing.found()
    path = tmp_path / KEYRING_FILE
    path.write_bytes(ring.to_bytes())
    path.chmod(0o600)
    assert KeyRing.load(tmp_path).current.secret == ring.current.secret
    with KeyRing.editing(tmp_path) as editing:
        editing.rotate()
    assert path.read_bytes()[-8:-4] == CHECK_MARK
    assert KeyRing.load(tmp_path).current.epoch == 1
