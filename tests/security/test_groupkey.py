"""The group secret's epochs, its derived keys, the rotating discovery tag, and the key ring file."""

from __future__ import annotations

import multiprocessing
import os
import stat
import sys
from pathlib import Path

import pytest

from magnet.errors import StoreError
from magnet.groupkey import (
    KEEP_PREVIOUS_EPOCHS,
    KEYRING_FILE,
    TAG_WINDOW_SECONDS,
    GroupSecret,
    KeyRing,
)

NOON = 1_750_000_000.0 - (1_750_000_000.0 % TAG_WINDOW_SECONDS)


def test_each_use_gets_its_own_key() -> None:
    secret = GroupSecret.generate()
    psk, tag_key = secret.channel_psk(), secret.discovery_key()
    assert len(psk) == 32 and len(tag_key) == 32
    assert len({psk, tag_key, secret.secret}) == 3
    assert secret.channel_psk() == psk  # deterministic: every device derives the same PSK


def test_rotation_gives_an_unrelated_secret_for_the_next_epoch() -> None:
    first = GroupSecret.generate()
    second = first.rotate()
    assert second.epoch == first.epoch + 1
    assert second.secret != first.secret
    assert second.channel_psk() != first.channel_psk()


def test_same_secret_under_another_epoch_gives_another_psk() -> None:
    raw = os.urandom(32)
    assert GroupSecret(0, raw).channel_psk() != GroupSecret(1, raw).channel_psk()


def test_secret_never_shows_in_repr() -> None:
    secret = GroupSecret.generate()
    assert secret.secret.hex() not in repr(secret)
    assert repr(secret.secret) not in repr(secret)


def test_bad_secrets_are_rejected() -> None:
    with pytest.raises(ValueError):
        GroupSecret(0, b"short")
    with pytest.raises(ValueError):
        GroupSecret(-1, os.urandom(32))


def test_discovery_tag_is_stable_within_the_hour_and_changes_after() -> None:
    secret = GroupSecret.generate()
    tag = secret.discovery_tag(NOON + 1)
    assert secret.discovery_tag(NOON + TAG_WINDOW_SECONDS - 1) == tag
    assert secret.discovery_tag(NOON + TAG_WINDOW_SECONDS) != tag
    assert len(tag) == 13 and tag.isalnum()


def test_discovery_tag_reveals_nothing_of_the_group() -> None:
    one, other = GroupSecret.generate(), GroupSecret.generate()
    assert one.discovery_tag(NOON) != other.discovery_tag(NOON)
    assert one.discovery_tag(NOON) != one.rotate().discovery_tag(NOON)
    tag = one.discovery_tag(NOON)
    assert tag not in one.secret.hex() and tag not in one.discovery_key().hex()


def test_tag_matching_accepts_neighbouring_hours_only() -> None:
    secret = GroupSecret.generate()
    advertised = secret.discovery_tag(NOON)
    assert secret.matches_discovery_tag(advertised, NOON + 10)
    assert secret.matches_discovery_tag(advertised, NOON + TAG_WINDOW_SECONDS + 10)  # previous hour
    assert secret.matches_discovery_tag(advertised, NOON - 10)  # our clock behind theirs
    assert not secret.matches_discovery_tag(advertised, NOON + 2 * TAG_WINDOW_SECONDS + 10)
    assert not GroupSecret.generate().matches_discovery_tag(advertised, NOON)


def test_keyring_keeps_previous_epochs_up_to_a_limit() -> None:
    ring = KeyRing.found()
    first = ring.current
    for _ in range(KEEP_PREVIOUS_EPOCHS + 3):
        ring.rotate()
    assert ring.current.epoch == KEEP_PREVIOUS_EPOCHS + 3
    assert len(ring.epochs) == KEEP_PREVIOUS_EPOCHS + 1
    assert ring.get(first.epoch) is None
    assert ring.get(ring.current.epoch - 1) is not None


def test_keyring_names_the_epoch_a_peer_advertises() -> None:
    ring = KeyRing.found()
    old = ring.current
    new = ring.rotate()
    assert ring.match_discovery_tag(old.discovery_tag(NOON), NOON) == old
    assert ring.match_discovery_tag(new.discovery_tag(NOON), NOON) == new
    assert ring.match_discovery_tag(GroupSecret.generate().discovery_tag(NOON), NOON) is None


def test_adopting_a_newer_epoch_makes_it_current() -> None:
    ring = KeyRing.found()
    newer = ring.current.rotate()
    assert ring.adopt(newer)
    assert ring.current == newer
    assert not ring.adopt(newer)  # already held


def test_concurrent_rotations_converge_on_one_secret() -> None:
    base = KeyRing.found()
    a = KeyRing.holding(base.current)
    b = KeyRing.holding(base.current)
    from_a, from_b = a.rotate(), b.rotate()
    assert from_a.epoch == from_b.epoch and from_a != from_b
    a.adopt(from_b)
    b.adopt(from_a)
    assert a.current == b.current
    # A third device hearing them in either order ends the same way.
    c, d = KeyRing.holding(base.current), KeyRing.holding(base.current)
    c.adopt(from_a), c.adopt(from_b)
    d.adopt(from_b), d.adopt(from_a)
    assert c.current == d.current == a.current


def test_keyring_file_round_trips_and_is_private(tmp_path: Path) -> None:
    ring = KeyRing.found()
    ring.rotate()
    ring.save(tmp_path)
    mode = stat.S_IMODE(os.stat(tmp_path / KEYRING_FILE).st_mode)
    assert mode == 0o600
    loaded = KeyRing.load(tmp_path)
    assert loaded.epochs == ring.epochs
    assert loaded.current == ring.current


def test_keyring_readable_by_others_is_refused(tmp_path: Path) -> None:
    KeyRing.found().save(tmp_path)
    os.chmod(tmp_path / KEYRING_FILE, 0o644)
    with pytest.raises(StoreError, match="chmod 600"):
        KeyRing.load(tmp_path)


@pytest.mark.parametrize("content", [b"", b"\x00garbage", b"\x81\xa1v\x01"])
def test_damaged_keyring_gives_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / KEYRING_FILE
    path.write_bytes(content)
    os.chmod(path, 0o600)
    with pytest.raises(StoreError, match="damaged"):
        KeyRing.load(tmp_path)


def test_missing_keyring_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="join or create"):
        KeyRing.load(tmp_path)


def _rotate_many(directory: str, times: int) -> None:
    for _ in range(times):
        with KeyRing.editing(Path(directory)) as ring:
            ring.rotate()


def test_two_processes_rotating_lose_no_epoch(tmp_path: Path) -> None:
    KeyRing.found().save(tmp_path)
    if sys.platform == "win32":
        ctx = multiprocessing.get_context("spawn")  # Windows has no fork
    else:
        ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_rotate_many, args=(str(tmp_path), 10)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
        assert w.exitcode == 0
    assert KeyRing.load(tmp_path).current.epoch == 20
