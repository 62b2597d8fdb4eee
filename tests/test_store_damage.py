"""Damage anywhere in a store: read past it, lose no intact chunk, keep the damaged file, heal from a peer.

Every byte of a small real store is damaged in turn (file header, chunk kinds, lengths,
checksums, payloads, the snapshot). Each time the store opens or says why, every chunk the byte
is not in still loads, a copy of the damaged file exists, and a peer's sync brings back the rest.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from automerge.core import SyncState

from magnet.datadir import DAMAGE_NOTE, STORE_FILE
from magnet.document import GroupDocument
from magnet.errors import DamagedStore, StoreError
from magnet.home import Home, OpenGroup
from magnet.store import read_header, scan_chunks


def sync_docs(a: GroupDocument, b: GroupDocument) -> None:
    """Run Automerge's sync protocol between two copies until neither has anything to say."""
    state_a, state_b = SyncState(), SyncState()
    for _ in range(50):
        to_b = a.generate_sync_message(state_a)
        if to_b is not None:
            b.receive_sync_message(state_b, to_b)
        to_a = b.generate_sync_message(state_b)
        if to_a is not None:
            a.receive_sync_message(state_a, to_a)
        if to_a is None and to_b is None:
            return
    raise AssertionError("sync did not settle")


def names(group: OpenGroup) -> set[str]:
    return {m.name for m in group.doc.members.all()}


@dataclass
class SmallStore:
    """A store of a header, a snapshot and one change chunk per member, plus who is in which chunk."""

    home: Home
    original: bytes
    header_size: int
    chunks: list[tuple[int, int, str | None]]  # (start, end, member added by it)
    peer: bytes  # the whole group, as a peer holds it
    payloads: list[bytes]  # each chunk's payload (the store is not encrypted)

    @property
    def path(self) -> Path:
        return self.home.find(None).store_path

    def chunk_of(self, offset: int) -> int | None:
        return next((i for i, (start, end, _) in enumerate(self.chunks) if start <= offset < end), None)


def small_store(root: Path, members: int = 3) -> SmallStore:
    home = Home(root)
    group = home.create_group("Maple")
    path = group.store.path
    ends = [path.stat().st_size]
    added: list[str] = []
    for i in range(members):
        added.append(f"M{i}")
        group.doc.members.add(name=added[-1])
        ends.append(path.stat().st_size)
    peer = group.doc.save()
    group.close()
    original = path.read_bytes()
    header = read_header(path)
    scan = scan_chunks(original, header.size)
    assert scan.problem is None and len(scan.chunks) == members + 2  # snapshot, this device, members
    chunks: list[tuple[int, int, str | None]] = []
    for chunk in scan.chunks:
        member = added[ends.index(chunk.end) - 1] if chunk.end in ends[1:] else None
        chunks.append((chunk.offset, chunk.end, member))
    return SmallStore(home, original, header.size, chunks, peer, [c.payload for c in scan.chunks])


def copies(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{STORE_FILE}.damaged-*"))


def reset(store: SmallStore, damaged: bytes) -> None:
    for old in copies(store.path):
        old.unlink()
    (store.path.parent / DAMAGE_NOTE).unlink(missing_ok=True)
    store.path.write_bytes(damaged)


@pytest.fixture
def memory_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder on a RAM filesystem when there is one: the same calls, without a disk's sync time."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    made = Path(tempfile.mkdtemp(prefix="magnet-damage-", dir=shm))
    try:
        yield made
    finally:
        shutil.rmtree(made, ignore_errors=True)


def test_damage_at_every_byte_loses_no_intact_chunk_and_a_peer_heals_it(memory_dir: Path) -> None:
    store = small_store(memory_dir / "home")
    everyone = {m for _, _, m in store.chunks if m}
    # A peer that holds the group up to chunk k and nothing after it: whatever appears after
    # syncing with it and was written after chunk k can only come from the damaged store.
    peers = [store.payloads[0]]
    for payload in store.payloads[1:]:
        peers.append(peers[-1] + payload)
    refused = 0
    for offset in range(len(store.original)):
        damaged = bytearray(store.original)
        damaged[offset] ^= 0xFF  # a length's high byte becomes huge, a kind byte invalid, ...
        reset(store, bytes(damaged))
        hit = store.chunk_of(offset)
        where = f"byte {offset} (chunk {hit})"
        try:
            group = store.home.open_group()
        except StoreError as exc:
            # Only a damaged snapshot makes a copy unreadable; it says why and what to do, and
            # the damaged file stays exactly as it was, for joining again to keep aside.
            assert hit == 0, f"{where}: {exc}"
            assert isinstance(exc, DamagedStore) and "magnet join" in str(exc), where
            assert store.path.read_bytes() == bytes(damaged), where
            refused += 1
            healed = store.home.adopt_group(store.peer)  # what 'magnet join' does with the snapshot
            assert names(healed) == everyone, where
            healed.close()
            assert [c.read_bytes() for c in copies(store.path)] == [bytes(damaged)], where
            continue
        try:
            assert group.report.problems, where
            kept = copies(store.path)
            assert [c.read_bytes() for c in kept] == [bytes(damaged)], where
            before = {m for i, (_, _, m) in enumerate(store.chunks) if m and hit is not None and i < hit}
            assert before <= names(group), where  # nothing the damaged chunk holds is needed for them
            peer = GroupDocument.load(peers[len(peers) - 1 if hit is None else hit], device_id="ab" * 16)
            sync_docs(group.doc, peer)
            assert names(group) == everyone, where  # so every intact chunk after the damage was kept
        finally:
            group.close()
        if offset % 4 == 0:  # healed for good: the next open is clean (every 4th byte, for time)
            again = store.home.open_group()
            assert names(again) == everyone and again.report.problems == [], (where, again.report.problems)
            again.close()
    snapshot_start, snapshot_end, _ = store.chunks[0]
    assert 0 < refused < snapshot_end - snapshot_start  # the snapshot's payload; its header is recovered


def test_a_damaged_length_in_the_middle_keeps_every_chunk_after_it(tmp_path: Path) -> None:
    """The trial from issue 10: the high byte of a middle chunk's length, flipped."""
    store = small_store(tmp_path / "home", members=10)
    start, _, member = store.chunks[3]
    damaged = bytearray(store.original)
    damaged[start + 4] ^= 0x40  # the length is little-endian: byte 4 of the chunk is its high byte
    reset(store, bytes(damaged))
    group = store.home.open_group()
    try:
        assert names(group) == {f"M{i}" for i in range(10)}  # the chunk itself was recovered too
        assert member == "M1"
        told = " ".join(group.report.problems)
        assert "damaged chunk header" in told and "nothing was lost" in told, told
        assert "unfinished" not in told
        assert len(copies(store.path)) == 1
    finally:
        group.close()


def test_changes_after_a_lost_one_wait_and_every_open_says_so_until_a_peer_supplies_it(tmp_path: Path) -> None:
    store = small_store(tmp_path / "home", members=6)
    start, end, member = store.chunks[4]
    damaged = bytearray(store.original)
    damaged[(start + end) // 2] ^= 0x01  # inside M2's change
    reset(store, bytes(damaged))
    group = store.home.open_group()
    try:
        # M3..M5 were made after M2 by the same device: Automerge holds them until M2 is back.
        assert member == "M2" and names(group) == {"M0", "M1"}
        assert group.report.waiting == 3
        told = " ".join(group.report.problems)
        assert f"{end - start} bytes could not be read" in told and "3 intact chunk(s) after the damage" in told, told
        assert "3 change(s) here wait for one this copy lost" in told, told
    finally:
        group.close()
    for _ in range(2):  # told on every open, not only the one that found the damage
        again = store.home.open_group()
        assert names(again) == {"M0", "M1"} and again.report.waiting == 3
        assert any("still wait for one lost then" in p and "damaged-" in p for p in again.report.problems)
        again.close()
    healed = store.home.open_group()
    sync_docs(healed.doc, GroupDocument.load(store.peer, device_id="ab" * 16))
    assert names(healed) == {f"M{i}" for i in range(6)}
    healed.close()
    whole = store.home.open_group()
    assert names(whole) == {f"M{i}" for i in range(6)} and whole.report.problems == []
    assert not (store.path.parent / DAMAGE_NOTE).exists()
    whole.close()


def test_an_unfinished_write_is_dropped_without_a_copy(tmp_path: Path) -> None:
    store = small_store(tmp_path / "home")
    start, end, _ = store.chunks[-1]
    reset(store, store.original[: start + (end - start) // 2])
    group = store.home.open_group()
    try:
        assert names(group) == {"M0", "M1"}
        assert any("unfinished last write" in p for p in group.report.problems)
        assert copies(store.path) == []
        assert store.path.stat().st_size == start
    finally:
        group.close()


def test_a_damaged_header_of_an_encrypted_store_says_why_and_keeps_the_file(tmp_path: Path) -> None:
    from magnet.sealing import ChunkSealer, KdfParams
    from magnet.unlock import open_with_passphrase

    home = Home(tmp_path / "home")
    sealer, sealing = ChunkSealer.create("correct horse", KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1))
    group = home.create_group("Maple", cipher=sealer, store_meta={"sealing": sealing})
    group.doc.members.add(name="Ann")
    path = group.store.path
    group.close()
    original = path.read_bytes()
    for offset in range(read_header(path).size):  # the key is in the header: every byte of it
        damaged = bytearray(original)
        damaged[offset] ^= 0x01
        path.write_bytes(bytes(damaged))
        with pytest.raises(DamagedStore, match="magnet join"):
            open_with_passphrase(home, None, "correct horse")
        assert path.read_bytes() == bytes(damaged), offset
    path.write_bytes(original)
    whole = open_with_passphrase(home, None, "correct horse")
    assert names(whole) == {"Ann"}
    whole.close()


def test_a_store_from_before_header_checksums_opens_and_gains_one(tmp_path: Path) -> None:
    import msgpack

    from magnet.store import _HEADER, CHECK_KEY, MAGIC

    home = Home(tmp_path / "home")
    group = home.create_group("Maple")
    group.doc.members.add(name="Ann")
    path = group.store.path
    group.close()
    data = path.read_bytes()
    header = read_header(path)
    legacy_meta = msgpack.packb({k: v for k, v in header.meta.items() if k != CHECK_KEY}, use_bin_type=True)
    path.write_bytes(_HEADER.pack(MAGIC, 1, 0, len(legacy_meta)) + legacy_meta + data[header.size :])
    assert CHECK_KEY not in read_header(path).meta
    reopened = home.open_group()
    assert names(reopened) == {"Ann"} and reopened.report.problems == []
    reopened.close()
    assert CHECK_KEY in read_header(path).meta
