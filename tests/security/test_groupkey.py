"""The group secret's epochs, its derived keys, the rotating discovery tag, and the key ring file."""

from __future__ import annotations

import multiprocessing
import os
import stat
import sys
from pathlib import Path

import msgpack
import pytest

from magnet.device import DeviceIdentity
from magnet.errors import StoreError
from magnet.groupkey import (
    KEEP_PREVIOUS_EPOCHS,
    KEYRING_FILE,
    MAX_CHAIN,
    TAG_WINDOW_SECONDS,
    GroupSecret,
    KeyRing,
)
from magnet.rotation import Rotation, RotationError, signing_public_key

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


ANN, BOB = DeviceIdentity.generate(), DeviceIdentity.generate()
GROUP = "maple-street"


def counts(_rotation: Rotation) -> str | None:
    return None


def waits(_rotation: Rotation) -> str | None:
    return "its author may not rotate"


def test_keyring_keeps_previous_epochs_up_to_a_limit() -> None:
    ring = KeyRing.found()
    first = ring.current
    for _ in range(KEEP_PREVIOUS_EPOCHS + 3):
        ring.rotate(ANN, group_id=GROUP)
    assert ring.current.epoch == KEEP_PREVIOUS_EPOCHS + 3
    assert len(ring.epochs) == KEEP_PREVIOUS_EPOCHS + 1
    assert ring.get(first.epoch) is None
    assert ring.get(ring.current.epoch - 1) is not None


def test_keyring_names_the_epoch_a_peer_advertises() -> None:
    ring = KeyRing.found()
    old = ring.current
    ring.rotate(ANN, group_id=GROUP)
    new = ring.current
    assert ring.previous() == old
    assert ring.match_discovery_tag(old.discovery_tag(NOON), NOON) == old
    assert ring.match_discovery_tag(new.discovery_tag(NOON), NOON) == new
    assert ring.match_discovery_tag(GroupSecret.generate().discovery_tag(NOON), NOON) is None


def test_a_rotation_is_signed_commits_to_its_secret_and_moves_to_a_fresh_key() -> None:
    ring = KeyRing.found()
    before = ring.current
    rotation = ring.rotate(ANN, group_id=GROUP, revokes=["b" * 32])
    assert rotation.author == ANN.device_id and rotation.author_key == signing_public_key(ANN)
    assert Rotation.decode(rotation.statement, rotation.signature) == rotation
    [(statement, signature, secret)] = ring.offer()
    assert rotation.opens(secret) and not rotation.opens(os.urandom(32))
    assert ring.current.epoch == 1 and ring.current.secret not in (before.secret, secret)
    assert ring.revoked == {"b" * 32} and ring.revoked_by("b" * 32) == rotation
    forged = bytearray(signature)
    forged[0] ^= 1
    with pytest.raises(RotationError, match="signature"):
        Rotation.decode(statement, bytes(forged))


def test_a_peer_moves_this_device_only_with_a_rotation_it_can_verify() -> None:
    ann = KeyRing.found()
    cleo = KeyRing.from_bytes(ann.to_bytes())
    rotation = ann.rotate(ANN, group_id=GROUP, revokes=[BOB.device_id])
    [(statement, signature, secret)] = ann.offer()
    forged_secret = cleo.take([(statement, signature, os.urandom(32))], group_id=GROUP, verify=counts)
    assert "not the one it commits to" in forged_secret.refused[0]
    other_group = cleo.take(ann.offer(), group_id="another group", verify=counts)
    assert "another group" in other_group.refused[0]
    # Bob, revoked by the very rotation he relays, moves nobody.
    assert cleo.take(ann.offer(), group_id=GROUP, verify=counts, sender=BOB.device_id).sender_revoked
    assert cleo.current.epoch == 0
    # A rotation whose author may not rotate (yet) waits, and counts once the rule says so.
    waiting = cleo.take(ann.offer(), group_id=GROUP, verify=waits, sender=ANN.device_id)
    assert waiting.pending == (rotation,) and not waiting.changed and cleo.current.epoch == 0
    assert cleo.recheck(counts) == [rotation]
    assert cleo.current == ann.current and cleo.digest == ann.digest
    assert cleo.current.secret != secret  # the key is derived from it, never the secret itself


def test_rotations_made_apart_converge_on_one_key_that_neither_revoked_device_can_derive() -> None:
    base = KeyRing.found()
    ann, bob = KeyRing.from_bytes(base.to_bytes()), KeyRing.from_bytes(base.to_bytes())
    lost_laptop, old_phone = "1" * 32, "2" * 32
    ann.rotate(ANN, group_id=GROUP, revokes=[lost_laptop])
    bob.rotate(BOB, group_id=GROUP, revokes=[old_phone])
    # The lost laptop was still trusted on Bob's side, so it may hold Bob's secret (and the old
    # phone Ann's): each side's key alone is compromised.
    bob_side, ann_side = bob.current, ann.current
    assert ann.current.epoch == bob.current.epoch == 1 and ann.current != bob.current
    cleo, dana = KeyRing.from_bytes(base.to_bytes()), KeyRing.from_bytes(base.to_bytes())
    cleo.take(ann.offer(), group_id=GROUP, verify=counts)
    cleo.take(bob.offer(), group_id=GROUP, verify=counts)
    dana.take(bob.offer(), group_id=GROUP, verify=counts)
    dana.take(ann.offer(), group_id=GROUP, verify=counts)
    ann.take(bob.offer(), group_id=GROUP, verify=counts)
    bob.take(ann.offer(), group_id=GROUP, verify=counts)
    merged = {r.current for r in (ann, bob, cleo, dana)}
    assert len(merged) == 1 and {r.digest for r in (ann, bob, cleo, dana)} == {ann.digest}
    assert ann.revoked == bob.revoked == {lost_laptop, old_phone}
    assert ann.current not in (bob_side, ann_side)
    # The next rotation builds on the merged key, whoever makes it.
    ann.rotate(ANN, group_id=GROUP)
    cleo.take(ann.offer(), group_id=GROUP, verify=counts)
    assert cleo.current == ann.current and ann.current.epoch == 2


def test_a_mutual_revocation_ends_the_same_on_every_device_whatever_the_order() -> None:
    base = KeyRing.found()
    ann, bob = KeyRing.from_bytes(base.to_bytes()), KeyRing.from_bytes(base.to_bytes())
    ann.rotate(ANN, group_id=GROUP, revokes=[BOB.device_id])
    bob.rotate(BOB, group_id=GROUP, revokes=[ANN.device_id])
    outcomes = []
    for first, second in ((ann, bob), (bob, ann)):
        cleo = KeyRing.from_bytes(base.to_bytes())
        cleo.take(first.offer(), group_id=GROUP, verify=counts)
        cleo.take(second.offer(), group_id=GROUP, verify=counts)
        outcomes.append((cleo.current, cleo.revoked))
    assert outcomes[0] == outcomes[1]
    merged, revoked = outcomes[0]
    assert revoked == {ANN.device_id, BOB.device_id}  # both out: neither can keep the other away
    assert merged not in (ann.current, bob.current)  # and neither holds the key the others use


def test_past_sixty_four_epochs_old_rotations_fold_into_a_plain_key_and_their_revocations_stay() -> None:
    ring = KeyRing.found()
    ring.rotate(ANN, group_id=GROUP, revokes=["4" * 32])
    for _ in range(MAX_CHAIN + 5):
        ring.rotate(ANN, group_id=GROUP)
    assert ring.current.epoch == MAX_CHAIN + 6
    assert len(ring.rotations()) <= MAX_CHAIN
    assert "4" * 32 in ring.revoked
    loaded = KeyRing.from_bytes(ring.to_bytes())
    assert loaded.current == ring.current and loaded.revoked == ring.revoked


def test_keyring_file_round_trips_and_is_private(tmp_path: Path) -> None:
    ring = KeyRing.found()
    ring.rotate(ANN, group_id=GROUP, revokes=["3" * 32])
    ring.take(_other_rotation(ring), group_id=GROUP, verify=waits)
    ring.save(tmp_path)
    mode = stat.S_IMODE(os.stat(tmp_path / KEYRING_FILE).st_mode)
    assert mode == 0o600
    loaded = KeyRing.load(tmp_path)
    assert loaded.epochs == ring.epochs and loaded.current == ring.current
    assert loaded.revoked == ring.revoked and len(loaded.pending()) == 1 and loaded.digest == ring.digest


def _other_rotation(ring: KeyRing) -> list[tuple[bytes, bytes, bytes]]:
    other = KeyRing.from_bytes(ring.to_bytes())
    other.rotate(BOB, group_id=GROUP)
    return [item for item in other.offer() if item not in ring.offer()]


def test_a_key_ring_written_before_rotations_were_signed_still_opens(tmp_path: Path) -> None:
    secrets = {0: os.urandom(32), 1: os.urandom(32)}
    legacy = msgpack.packb({"v": 1, "epochs": [[e, s] for e, s in secrets.items()]}, use_bin_type=True)
    path = tmp_path / KEYRING_FILE
    path.write_bytes(legacy)
    os.chmod(path, 0o600)
    ring = KeyRing.load(tmp_path)
    assert ring.current == GroupSecret(1, secrets[1]) and ring.get(0) == GroupSecret(0, secrets[0])
    assert ring.to_bytes() == legacy  # unchanged until the first signed rotation
    ring.rotate(ANN, group_id=GROUP)
    assert ring.current.epoch == 2 and KeyRing.from_bytes(ring.to_bytes()).current == ring.current


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
            ring.rotate(ANN, group_id=GROUP)


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
    ring = KeyRing.load(tmp_path)
    assert ring.current.epoch == 20 and len(ring.rotations()) == 20
