"""Encryption at rest: a passphrase unlocks the store's data key; chunks are sealed and checked."""

from __future__ import annotations

import time

import msgpack
import pytest

from magnet.errors import MagnetError, StoreError
from magnet.sealing import (
    NONCE_LEN,
    SALT_LEN,
    ChunkSealer,
    KdfParams,
    SealedDataDamaged,
    WrongPassphrase,
)

# Small enough for a fast suite; the defaults are exercised once below.
FAST = KdfParams(memory_kib=64, iterations=1, lanes=1)
AAD = b"group-1|changes"


@pytest.fixture
def sealed() -> tuple[ChunkSealer, dict[str, object]]:
    return ChunkSealer.create("correct horse battery staple", FAST)


def test_round_trip_after_unlock(sealed: tuple[ChunkSealer, dict[str, object]]) -> None:
    sealer, header = sealed
    chunk = sealer.seal(b"Ana, 12 Maple St, insulin in the fridge", AAD)
    reopened = ChunkSealer.unlock("correct horse battery staple", header)
    assert reopened.open(chunk, AAD) == b"Ana, 12 Maple St, insulin in the fridge"


def test_header_survives_the_store_s_msgpack(sealed: tuple[ChunkSealer, dict[str, object]]) -> None:
    sealer, header = sealed
    restored = msgpack.unpackb(msgpack.packb(header, use_bin_type=True), raw=False)
    chunk = sealer.seal(b"x", AAD)
    assert ChunkSealer.unlock("correct horse battery staple", restored).open(chunk, AAD) == b"x"


def test_wrong_passphrase_is_named_as_such(sealed: tuple[ChunkSealer, dict[str, object]]) -> None:
    _, header = sealed
    with pytest.raises(MagnetError, match=r"^wrong passphrase$") as caught:
        ChunkSealer.unlock("correct horse battery stapler", header)
    assert isinstance(caught.value, WrongPassphrase)


def test_passphrase_is_unicode_normalised() -> None:
    sealer, header = ChunkSealer.create("caf\u00e9", FAST)  # composed é
    chunk = sealer.seal(b"ok", AAD)
    # e + combining accent, as another keyboard types it
    assert ChunkSealer.unlock("cafe\u0301", header).open(chunk, AAD) == b"ok"


def test_header_holds_what_unlocking_needs_and_no_secret(
    sealed: tuple[ChunkSealer, dict[str, object]],
) -> None:
    sealer, header = sealed
    assert header["kdf"] == "argon2id" and header["aead"] == "chacha20-poly1305"
    assert header["v"] == 1
    assert (header["memory_kib"], header["iterations"], header["lanes"]) == (64, 1, 1)
    salt, wrapped = header["salt"], header["wrapped_key"]
    assert isinstance(salt, bytes) and len(salt) == SALT_LEN
    assert isinstance(wrapped, bytes) and len(wrapped) == NONCE_LEN + 32 + 16
    assert sealer._key not in wrapped  # the data key is only stored wrapped
    assert b"correct horse" not in msgpack.packb(header, use_bin_type=True)


def test_two_stores_with_one_passphrase_share_nothing() -> None:
    one, h1 = ChunkSealer.create("same", FAST)
    two, h2 = ChunkSealer.create("same", FAST)
    assert h1["salt"] != h2["salt"]
    with pytest.raises(SealedDataDamaged):
        two.open(one.seal(b"x", AAD), AAD)


def test_same_plaintext_seals_differently_each_time(
    sealed: tuple[ChunkSealer, dict[str, object]],
) -> None:
    sealer, _ = sealed
    assert sealer.seal(b"same", AAD) != sealer.seal(b"same", AAD)


@pytest.mark.parametrize("where", [0, 1, 1 + NONCE_LEN, -1])
def test_any_altered_byte_is_detected(sealed: tuple[ChunkSealer, dict[str, object]], where: int) -> None:
    sealer, _ = sealed
    chunk = bytearray(sealer.seal(b"roster row", AAD))
    chunk[where] ^= 0x01
    with pytest.raises(SealedDataDamaged):
        sealer.open(bytes(chunk), AAD)


def test_truncated_chunk_is_detected(sealed: tuple[ChunkSealer, dict[str, object]]) -> None:
    sealer, _ = sealed
    chunk = sealer.seal(b"roster row", AAD)
    for cut in (0, 5, len(chunk) - 1):
        with pytest.raises(SealedDataDamaged):
            sealer.open(chunk[:cut], AAD)


def test_chunk_moved_to_another_place_is_detected(
    sealed: tuple[ChunkSealer, dict[str, object]],
) -> None:
    sealer, _ = sealed
    chunk = sealer.seal(b"snapshot", b"group-1|snapshot")
    with pytest.raises(SealedDataDamaged):
        sealer.open(chunk, b"group-2|snapshot")


def test_altered_kdf_parameters_do_not_unlock(
    sealed: tuple[ChunkSealer, dict[str, object]],
) -> None:
    _, header = sealed
    weakened = dict(header, memory_kib=32)
    with pytest.raises(WrongPassphrase):
        ChunkSealer.unlock("correct horse battery staple", weakened)


def test_absurd_kdf_parameters_are_refused_before_any_work(
    sealed: tuple[ChunkSealer, dict[str, object]],
) -> None:
    _, header = sealed
    started = time.perf_counter()
    with pytest.raises(StoreError, match="damaged"):
        ChunkSealer.unlock("x", dict(header, memory_kib=64 * 1024 * 1024))  # 64 GiB
    with pytest.raises(StoreError, match="damaged"):
        ChunkSealer.unlock("x", dict(header, iterations=10_000))
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    "change",
    [
        {"salt": b"short"},
        {"wrapped_key": b"\x00" * 10},
        {"lanes": "four"},
        {"v": 99},
        {"kdf": "md5"},
    ],
)
def test_damaged_header_gives_a_clear_error(
    sealed: tuple[ChunkSealer, dict[str, object]], change: dict[str, object]
) -> None:
    _, header = sealed
    with pytest.raises(StoreError):
        ChunkSealer.unlock("correct horse battery staple", {**header, **change})


def test_changing_the_passphrase_keeps_the_data(
    sealed: tuple[ChunkSealer, dict[str, object]],
) -> None:
    sealer, old_header = sealed
    chunk = sealer.seal(b"kept", AAD)
    new_header = sealer.header_for("a new passphrase", FAST)
    assert ChunkSealer.unlock("a new passphrase", new_header).open(chunk, AAD) == b"kept"
    with pytest.raises(WrongPassphrase):
        ChunkSealer.unlock("correct horse battery staple", new_header)
    assert ChunkSealer.unlock("correct horse battery staple", old_header).open(chunk, AAD) == b"kept"


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(MagnetError, match="empty passphrase"):
        ChunkSealer.create("", FAST)


def test_default_cost_is_rfc9106_second_choice_and_works() -> None:
    params = KdfParams()
    assert (params.memory_kib, params.iterations, params.lanes) == (64 * 1024, 3, 4)
    sealer, header = ChunkSealer.create("pi at the rally point")
    assert ChunkSealer.unlock("pi at the rally point", header).open(sealer.seal(b"ok", AAD), AAD)


def test_sealer_repr_hides_the_key(sealed: tuple[ChunkSealer, dict[str, object]]) -> None:
    sealer, _ = sealed
    assert sealer._key.hex() not in repr(sealer) and "hidden" in repr(sealer)
