"""The durable store: one file per group, a snapshot followed by append-only change chunks.

    header:  b"MAGNET\\x00S" | version u16 | flags u16 | meta length u32 | msgpack meta
    chunk:   kind u8 | payload length u32 | crc32(kind, length, payload) u32 | payload

The meta carries `check`, a CRC-32 of the version, flags and the rest of the meta (stores from
before it have none and gain it on the next open). Every commit is appended and synced to the
disk before anyone is told it is saved. Several processes may share one file: appends and
compaction take an exclusive lock on a side lock file, readers pick up other processes' chunks
by polling the file. Compaction writes a fresh snapshot to a temporary file and renames it over
the old one.

Nothing that can be read is thrown away. A chunk that does not verify is told apart from an
unfinished last write by looking for valid chunks after it: the scan resynchronises on the next
header whose checksum verifies, so every intact chunk after the damage is kept. A chunk whose
length or kind was damaged is recovered whole when the checksum verifies with the length the
next chunk implies; one whose checksum field was damaged is kept when Automerge's own checksums
(or the seal, when encrypted) verify its payload. The damaged file is kept beside the store
(`store.mgn.damaged-<time>-<pid>`), and while changes in the store wait for ones that were lost,
a note (`store.damage`) makes every open say so, until a peer supplies them.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import msgpack

from magnet import crdt, wakeup
from magnet.datadir import DAMAGE_NOTE, LOCK_FILE, STORE_FILE
from magnet.document import GroupDocument
from magnet.durable import BINARY, DISK
from magnet.errors import DamagedStore, MagnetError, StoreError, UnsavedChange
from magnet.fileio import fsync_dir, read_at, write_all, write_private
from magnet.locks import FileLock
from magnet.readmodel import StoreState

MAGIC = b"MAGNET\x00S"
VERSION = 1
FLAG_SEALED = 1
_HEADER = struct.Struct("<8sHHI")
_CHUNK = struct.Struct("<BII")
_KIND_LENGTH = struct.Struct("<BI")
_VERSION_FLAGS = struct.Struct("<HH")
SNAPSHOT = 1
CHANGES = 2
KINDS = (SNAPSHOT, CHANGES)
MAX_CHUNK = 1 << 30
MAX_META = 1 << 20
CHECK_KEY = "check"
# All that stores from before the header checksum held in their meta.
_LEGACY_META = {"group_id", "sealing"}
# Compact once the appended tail outgrows this and the snapshot itself.
COMPACT_AFTER = 1 << 20
# Changes merged per call when another process's chunk is read (~0.5 ms each on the year group).
MERGE_SLICE = 16
# What to do about a copy that cannot be read; joining again keeps this file aside.
RECOVERY = (
    "Get the group back from another device: 'magnet invite' there, then 'magnet join CODE' here "
    "(the damaged file is kept beside it, renamed)."
)


class ChunkCipher(Protocol):
    """Seals chunk payloads when the store is encrypted at rest (see magnet.sealing)."""

    def seal(self, plaintext: bytes, aad: bytes) -> bytes: ...

    def open(self, ciphertext: bytes, aad: bytes) -> bytes: ...


@dataclass
class LoadReport:
    """What opening the store found; `problems` are told to the user."""

    chunks: int = 0
    problems: list[str] = field(default_factory=list)
    ignored_bytes: int = 0
    damaged_copy: Path | None = None
    waiting: int = 0  # changes held that wait for a change this copy lost


@dataclass(frozen=True)
class Header:
    version: int
    flags: int
    meta: dict[str, Any]
    size: int
    damaged: str | None = None  # why the header cannot be trusted; then nothing else is set

    @property
    def sealed(self) -> bool:
        return bool(self.flags & FLAG_SEALED)


def _header_check(version: int, flags: int, meta: dict[str, Any]) -> int:
    rest = {key: value for key, value in meta.items() if key != CHECK_KEY}
    return zlib.crc32(_VERSION_FLAGS.pack(version, flags) + msgpack.packb(rest, use_bin_type=True))


def encode_header(meta: dict[str, Any], flags: int) -> bytes:
    rest = {key: value for key, value in meta.items() if key != CHECK_KEY}
    packed = msgpack.packb({**rest, CHECK_KEY: _header_check(VERSION, flags, rest)}, use_bin_type=True)
    return _HEADER.pack(MAGIC, VERSION, flags, len(packed)) + packed


def read_header(path: Path) -> Header:
    """Parse the store header (without reading the chunks): is it sealed, which group.

    A header that does not parse or verify comes back with `damaged` set (opening the store
    then tries to rebuild it); StoreError when the file cannot be read at all or was written
    by a newer magnet.
    """
    try:
        with path.open("rb") as f:
            raw = f.read(_HEADER.size)
            if len(raw) < _HEADER.size:
                return _damaged_header("the file is too short")
            magic, version, flags, meta_len = _HEADER.unpack(raw)
            if magic != MAGIC:
                return _damaged_header("bad magic")
            if meta_len > MAX_META:
                return _damaged_header("bad meta length")
            packed = f.read(meta_len)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        meta = msgpack.unpackb(packed, raw=False)
    except Exception:
        return _damaged_header("its meta does not parse")
    if not isinstance(meta, dict):
        return _damaged_header("its meta does not parse")
    check = meta.get(CHECK_KEY)
    if check is not None and check != _header_check(version, flags, meta):
        return _damaged_header("its checksum does not match")
    if check is None and not set(meta) <= _LEGACY_META:
        return _damaged_header("its checksum is missing")  # e.g. a damaged byte in the key's name
    if version > VERSION:
        if check is None:
            return _damaged_header(f"unknown store version {version}")
        raise StoreError(f"{path}: written by a newer magnet (store version {version}); upgrade magnet")
    return Header(version, flags, meta, _HEADER.size + meta_len)


def _damaged_header(why: str) -> Header:
    return Header(VERSION, 0, {}, 0, damaged=why)


def encode_chunk(kind: int, payload: bytes) -> bytes:
    return _CHUNK.pack(kind, len(payload), _checksum(kind, len(payload), payload)) + payload


def _checksum(kind: int, length: int, payload: bytes | memoryview) -> int:
    """Covers the chunk's kind and length too: a flipped kind byte must not pass as valid."""
    return zlib.crc32(payload, zlib.crc32(_KIND_LENGTH.pack(kind, length)))


@dataclass(frozen=True)
class Chunk:
    kind: int
    payload: bytes
    offset: int
    end: int
    verified: bool = True  # False: its checksum field was damaged; the payload is checked on use


@dataclass(frozen=True)
class Damage:
    """Bytes of the file that did not read as a chunk."""

    start: int
    end: int
    what: str
    recovered: bool = False  # only the chunk's header was damaged: its payload was kept


@dataclass(frozen=True)
class ScanResult:
    chunks: list[Chunk]
    end: int  # where appends continue: past the last chunk or damage, before an unfinished write
    damage: list[Damage]
    torn: bool  # the file ends in an unfinished write (one that was never acknowledged)
    file_size: int

    @property
    def lost_bytes(self) -> int:
        return sum(d.end - d.start for d in self.damage if not d.recovered)

    @property
    def problem(self) -> str | None:
        """One line for the person: what the scan found, or None when the file is whole."""
        lost = [d for d in self.damage if not d.recovered]
        if lost:
            first = lost[0]
            more = f" and {len(lost) - 1} more place(s)" if len(lost) > 1 else ""
            return f"{first.what} at byte {first.start}{more}"
        if self.damage:
            return f"a damaged chunk header at byte {self.damage[0].start} (the chunk was recovered)"
        return "an unfinished last write" if self.torn else None


def _chunk_at(data: bytes, pos: int) -> Chunk | None:
    """The verified chunk starting at `pos`, or None."""
    if len(data) - pos < _CHUNK.size:
        return None
    kind, length, crc = _CHUNK.unpack_from(data, pos)
    body = pos + _CHUNK.size
    if kind not in KINDS or length > MAX_CHUNK or body + length > len(data):
        return None
    if _checksum(kind, length, memoryview(data)[body : body + length]) != crc:
        return None
    return Chunk(kind, data[body : body + length], pos, body + length)


def _next_chunk(data: bytes, start: int) -> int | None:
    """The offset of the first verified chunk at or after `start`: where reading resumes."""
    size = len(data)
    pos = start
    while pos <= size - _CHUNK.size:
        found = [i for i in (data.find(bytes([k]), pos, size - _CHUNK.size + 1) for k in KINDS) if i >= 0]
        if not found:
            return None
        pos = min(found)
        if _chunk_at(data, pos) is not None:
            return pos
        pos += 1
    return None


def _salvage(data: bytes, pos: int, stop: int) -> Chunk | None:
    """The chunk at `pos` ending at `stop` when only its header was damaged.

    Its length is implied by `stop` (the next good chunk, or the end of the file): when the
    checksum verifies with that length and some kind, the length or kind byte was damaged. When
    the length and kind fit but the checksum does not, the checksum field itself may be the
    damage: the payload is returned unverified, for Automerge or the seal to judge.
    """
    if stop - pos < _CHUNK.size:
        return None
    kind, length, crc = _CHUNK.unpack_from(data, pos)
    implied = stop - pos - _CHUNK.size
    payload = data[pos + _CHUNK.size : stop]
    for candidate in dict.fromkeys((kind, *KINDS)):
        if candidate in KINDS and _checksum(candidate, implied, payload) == crc:
            return Chunk(candidate, payload, pos, stop)
    if kind in KINDS and length == implied and implied > 0:
        return Chunk(kind, payload, pos, stop, verified=False)
    return None


def _unfinished(data: bytes, pos: int) -> bool:
    """Whether the bytes from `pos` to the end look like a write cut short (or never flushed)."""
    rest = data[pos:]
    if len(rest) < _CHUNK.size or not rest.strip(b"\x00"):
        return True
    kind, length, _ = _CHUNK.unpack_from(rest)
    return kind in KINDS and _CHUNK.size + length > len(rest)


def scan_chunks(data: bytes, start: int) -> ScanResult:
    """Walk chunks from `start`, reading past damage to every verified chunk after it."""
    chunks: list[Chunk] = []
    damage: list[Damage] = []
    pos = start
    size = len(data)
    torn = False
    while pos < size:
        chunk = _chunk_at(data, pos)
        if chunk is not None:
            chunks.append(chunk)
            pos = chunk.end
            continue
        resume = _next_chunk(data, pos + 1)
        stop = size if resume is None else resume
        salvaged = _salvage(data, pos, stop)
        if salvaged is not None:
            chunks.append(salvaged)
            what = "a damaged chunk header" if salvaged.verified else "a checksum mismatch"
            damage.append(Damage(pos, stop, what, recovered=salvaged.verified))
        elif resume is None and _unfinished(data, pos):
            torn = True
            break
        else:
            kind = data[pos]
            what = "a damaged chunk header" if kind not in KINDS else "a checksum mismatch"
            damage.append(Damage(pos, stop, what))
        pos = stop
    return ScanResult(chunks, pos, damage, torn, size)


def waiting_changes(saved: bytes) -> int:
    """How many changes in a saved document wait for a dependency it does not hold.

    rc1's save() writes the document chunk and then every change still queued; this counts
    the Automerge chunks after the first (magic, checksum, type, LEB128 length, contents).
    """
    return max(sum(1 for _ in crdt.chunk_spans(saved)) - 1, 0)


class GroupStore:
    """The group's file on disk and the journal its document writes through."""

    def __init__(self, directory: Path, cipher: ChunkCipher | None = None) -> None:
        self.directory = directory
        self.path = directory / STORE_FILE
        self.cipher = cipher
        self._lock = FileLock(directory / LOCK_FILE)
        self._holds_exclusive = False
        self._fd: int | None = None
        self._ino = 0
        self._scan_pos = 0
        self._own: set[int] = set()
        self._unapplied: list[Chunk] = []
        # The rest of a change chunk already opened, when a poll's time budget cut its merge short.
        self._opened: list[bytes] = []
        self._opened_at = 0
        self._tail_bytes = 0
        self._snapshot_bytes = 0
        self._compact_floor = 0
        self._group_id = ""
        self.last_problem: str | None = None
        self.wakeup_port = 0  # this process's own doorbell, not rung for its own appends

    # ---- creating ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        directory: Path,
        doc: GroupDocument,
        *,
        meta: dict[str, Any] | None = None,
        cipher: ChunkCipher | None = None,
    ) -> GroupStore:
        """Write a new store holding `doc`, then journal its future changes."""
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        store = cls(directory, cipher)
        if store.path.exists():
            raise StoreError(f"{store.path} already exists")
        full_meta = {"group_id": doc.group_id, **(meta or {})}
        store._group_id = doc.group_id
        with store._exclusive():
            store._write_snapshot_file(doc, full_meta)
        store._attach(doc)
        return store

    # ---- opening ----------------------------------------------------------------------------

    def header(self) -> Header:
        return read_header(self.path)

    def open(self, device_id: str) -> tuple[GroupDocument, LoadReport]:
        """Load the document, reading past damage and repairing the file (a damaged copy is kept)."""
        report = LoadReport()
        with self._exclusive():
            header = self.header()
            data = self._read_all()
            if header.damaged is not None:
                header, scan, doc, bad = self._open_rebuilding_header(header.damaged, data, device_id)
                report.problems.append(f"{self.path}: its header was damaged ({header.damaged}); it was rebuilt")
            else:
                self._check_cipher(header)
                self._group_id = str(header.meta.get("group_id", ""))
                scan = scan_chunks(data, header.size)
                doc, bad = self._build(scan, device_id)
            self._ino = os.stat(self.path).st_ino
            self._scan_pos = scan.end
            self._snapshot_bytes = sum(len(c.payload) for c in scan.chunks if c.kind == SNAPSHOT)
            self._tail_bytes = scan.end - header.size - self._snapshot_bytes
            damaged = header.damaged is not None or bool(bad) or any(not d.recovered for d in scan.damage)
            if damaged or scan.damage:
                self._repair(doc, data, header, scan, bad=bad, report=report)
            elif scan.torn:
                self._cut_unfinished(scan, report)
            elif CHECK_KEY not in header.meta:
                with contextlib.suppress(StoreError):  # a store from before header checksums gains one
                    self._write_snapshot_file(doc, header.meta)
            if not damaged:
                self._check_waiting(doc, report)
            # Hold the file open from now on: while we do, a later compaction's new file cannot
            # be given this inode number, which is how a poll tells "same file, read on".
            self._current_fd()
        self._attach(doc)
        report.chunks = len(scan.chunks)
        return doc, report

    def _open_rebuilding_header(
        self, why: str, data: bytes, device_id: str
    ) -> tuple[Header, ScanResult, GroupDocument, list[Chunk]]:
        """Read a store whose header is damaged: find its snapshot, and rebuild the header when
        the store is not encrypted (an encrypted store's key lives in the header)."""
        first = _next_chunk(data, 0)
        if first is None:
            raise DamagedStore(
                f"{self.path}: not a magnet store, or its header is damaged ({why}) and no chunk after it "
                f"can be read. {RECOVERY}"
            )
        scan = scan_chunks(data, first)
        self.cipher = None
        try:
            doc, bad = self._build(scan, device_id)
        except DamagedStore as exc:
            raise DamagedStore(
                f"{self.path}: its header is damaged ({why}), and it holds an encrypted store (or none), "
                f"whose key was in that header. {RECOVERY}"
            ) from exc
        self._group_id = doc.group_id
        return Header(VERSION, 0, {"group_id": doc.group_id}, first, damaged=why), scan, doc, bad

    def _check_cipher(self, header: Header) -> None:
        if header.sealed and self.cipher is None:
            raise StoreError(f"{self.path} is encrypted: unlock it with the group's passphrase")

    def _build(self, scan: ScanResult, device_id: str) -> tuple[GroupDocument, list[Chunk]]:
        """The document from the first readable snapshot and every change chunk that reads.

        Returns it with the change chunks that could not be used (damaged beyond their header).
        """
        snapshot: bytes | None = None
        for chunk in scan.chunks:
            if chunk.kind == SNAPSHOT and snapshot is None:
                try:
                    snapshot = self._unseal(chunk)
                    if not chunk.verified:
                        crdt.load(snapshot)
                except (StoreError, crdt.CrdtError):
                    snapshot = None
        if snapshot is None:
            what = scan.problem or "missing"
            raise DamagedStore(
                f"{self.path}: its snapshot is damaged ({what}), so this copy of the group cannot be read. {RECOVERY}"
            )
        changes: list[bytes] = []
        bad: list[Chunk] = []
        for chunk in scan.chunks:
            if chunk.kind != CHANGES:
                continue
            try:
                payload = self._unseal(chunk)
                if not chunk.verified:
                    crdt.load(snapshot + payload)  # Automerge checks its own checksums
            except (StoreError, crdt.CrdtError):
                bad.append(chunk)  # altered on disk: its checksum (or seal) did not verify
                continue
            changes.append(payload)
        try:
            return GroupDocument.load(b"".join([snapshot, *changes]), device_id=device_id), bad
        except crdt.CrdtError:
            pass
        # Slow path: one bad chunk must not cost the rest.
        try:
            doc = GroupDocument.load(snapshot, device_id=device_id)
        except crdt.CrdtError as exc:
            raise DamagedStore(f"{self.path}: the snapshot is damaged ({exc}). {RECOVERY}") from exc
        for chunk, payload in zip([c for c in scan.chunks if c.kind == CHANGES and c not in bad], changes, strict=True):
            try:
                doc.apply_changes([payload], journal=False)
            except crdt.CrdtError:
                bad.append(chunk)
        return doc, bad

    def _repair(
        self, doc: GroupDocument, data: bytes, header: Header, scan: ScanResult, *, bad: list[Chunk], report: LoadReport
    ) -> None:
        """Keep a copy of the damaged file, say what was lost, and rewrite the store from what loaded."""
        lost = scan.lost_bytes + sum(c.end - c.offset for c in bad if c.verified)
        found = scan.problem or (f"a checksum mismatch at byte {bad[0].offset}" if bad else None)
        if found is not None:
            after = sum(1 for c in scan.chunks if scan.damage and c.offset > scan.damage[0].start and c not in bad)
            told = f"{self.path}: found {found}; "
            told += f"{lost} bytes could not be read" if lost else "nothing was lost"
            if after:
                told += f", and the {after} intact chunk(s) after the damage were kept"
            report.problems.append(told + ".")
        if bad:
            report.problems.append(f"{self.path}: {len(bad)} damaged change chunk(s) were skipped")
        report.ignored_bytes = lost
        copy = self._keep_damaged(data, link=True)
        report.damaged_copy = copy
        try:
            snapshot = self._write_snapshot_file(doc, header.meta)
        except StoreError as exc:
            if copy is not None and copy.stat().st_ino == os.stat(self.path).st_ino:
                copy.unlink()  # a link to the file we keep appending to is no copy
                report.damaged_copy = None
            report.problems.append(f"{exc}; the store is left as it is and repaired on a later open")
            snapshot = doc.save()
        if report.damaged_copy is not None:
            report.problems.append(f"A copy of the damaged file is kept: {report.damaged_copy}")
        report.waiting = waiting_changes(snapshot)
        if lost or bad:
            self._note_damage(report)

    def _cut_unfinished(self, scan: ScanResult, report: LoadReport) -> None:
        """Drop a write that was cut short: it was never acknowledged, so nothing is lost."""
        cut = scan.file_size - scan.end
        report.problems.append(
            f"{self.path}: found an unfinished last write; its {cut} bytes after byte {scan.end} were dropped. "
            "Everything before it loaded."
        )
        report.ignored_bytes = cut
        with contextlib.suppress(OSError):
            fd = os.open(self.path, os.O_RDWR | BINARY)
            try:
                os.ftruncate(fd, scan.end)
                DISK.sync(fd)
            finally:
                os.close(fd)

    def _note_damage(self, report: LoadReport) -> None:
        """Remember the damage while changes wait for lost ones, so every open says so."""
        if report.waiting:
            report.problems.append(
                f"{report.waiting} change(s) here wait for one this copy lost; they are applied as soon as another "
                "device that has it syncs with this one."
            )
            note = {
                "found": time.strftime("%Y-%m-%d %H:%M"),
                "copy": report.damaged_copy.name if report.damaged_copy else "",
            }
            with contextlib.suppress(OSError):
                write_private(self.directory / DAMAGE_NOTE, json.dumps(note).encode())
        else:
            report.problems.append("Syncing with another device brings back what it holds of what was lost.")

    def _check_waiting(self, doc: GroupDocument, report: LoadReport) -> None:
        """Say, on every open, that changes still wait for lost ones; forget it once none do."""
        note_path = self.directory / DAMAGE_NOTE
        if not note_path.exists():
            return
        try:
            note = json.loads(note_path.read_text())
        except (OSError, ValueError):
            note = {}
        report.waiting = waiting_changes(doc.save())
        if report.waiting == 0:
            with contextlib.suppress(OSError):
                note_path.unlink()
            return
        copy = f" (a copy of the damaged file: {note['copy']})" if note.get("copy") else ""
        report.problems.append(
            f"{self.path} was damaged on {note.get('found', 'an earlier open')}{copy}: {report.waiting} change(s) "
            "still wait for one lost then; they are applied as soon as another device that has it syncs with this one."
        )

    def _unseal(self, chunk: Chunk) -> bytes:
        if self.cipher is None:
            return chunk.payload
        return self.cipher.open(chunk.payload, self._aad(chunk.kind))

    def _seal(self, kind: int, payload: bytes) -> bytes:
        if self.cipher is None:
            return payload
        return self.cipher.seal(payload, self._aad(kind))

    def _aad(self, kind: int) -> bytes:
        return b"magnet-store\x00" + self._group_id.encode() + bytes([kind])

    def _attach(self, doc: GroupDocument) -> None:
        doc.set_journal(self)

    # ---- the journal ------------------------------------------------------------------------

    def record(self, doc: GroupDocument, changes: Sequence[bytes]) -> None:
        """Append `changes` durably. Raises StoreError (the change stays in memory) on failure."""
        if not changes:
            return
        chunk = encode_chunk(CHANGES, self._seal(CHANGES, b"".join(changes)))
        with self._exclusive():
            fd = self._current_fd()
            self._scan_new(fd)
            offset = os.fstat(fd).st_size
            try:
                write_all(fd, chunk)
                DISK.sync(fd)
            except OSError as exc:
                # Cut off what was half written so later appends stay readable.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, offset)
                raise UnsavedChange(str(self.path), exc.strerror or str(exc)) from exc
            self._own.add(offset)
            self._scan_pos = offset + len(chunk)
            self._tail_bytes += len(chunk)
        wakeup.ring(self.directory, except_port=self.wakeup_port)  # durable now: other processes read it at once

    def needs_compaction(self) -> bool:
        return self._tail_bytes > max(COMPACT_AFTER, self._snapshot_bytes, self._compact_floor)

    def compact(self, doc: GroupDocument) -> None:
        """Replace the file with one snapshot of everything, atomically.

        On failure (a full disk) nothing is lost: the file stays as it was, and automatic
        compaction waits until the tail has doubled before it tries again.
        """
        with self._exclusive():
            fd = self._current_fd()
            self._scan_new(fd)
            self._apply_unapplied(doc)
            doc.flush()
            try:
                self._write_snapshot_file(doc, self.header().meta)
            except StoreError:
                self._compact_floor = 2 * self._tail_bytes
                raise

    def _write_snapshot_file(self, doc: GroupDocument, meta: dict[str, Any]) -> bytes:
        """Write `doc` as a fresh file and rename it over the store; returns the snapshot."""
        flags = FLAG_SEALED if self.cipher is not None else 0
        snapshot = doc.save()
        data = encode_header(meta, flags) + encode_chunk(SNAPSHOT, self._seal(SNAPSHOT, snapshot))
        # Its own name per compaction (not random: the snapshot tests pin os.urandom while building).
        tmp = self.path.with_name(f".{STORE_FILE}.{os.getpid()}.{threading.get_ident()}.{time.monotonic_ns()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | BINARY, 0o600)
            try:
                write_all(fd, data)
                DISK.sync(fd)
            finally:
                os.close(fd)
            if self._fd is not None:
                os.close(self._fd)  # Windows cannot replace a file this process holds open
                self._fd = None
            os.replace(tmp, self.path)
            fsync_dir(self.directory)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"could not write {self.path}: {exc.strerror}") from exc
        fd = self._current_fd()
        self._ino = os.fstat(fd).st_ino
        self._scan_pos = len(data)
        self._own.clear()
        self._forget_unapplied()
        self._snapshot_bytes = len(snapshot)
        self._tail_bytes = 0
        self._compact_floor = 0
        return snapshot

    def settled_state(self, doc: GroupDocument) -> StoreState | None:
        """The store file's state with `doc` holding exactly what the file holds, or None.

        Under the exclusive lock, what other processes appended is merged first, so a read model
        written for this state is never missing someone else's change.
        """
        with self._exclusive():
            fd = self._current_fd()
            self._scan_new(fd)
            self._apply_unapplied(doc)
            if doc.unsaved or self.pending:
                return None
            return StoreState.of_stat(os.fstat(fd))

    # ---- other processes --------------------------------------------------------------------

    def poll(self, doc: GroupDocument, budget: float | None = None) -> int:
        """Merge what other processes appended (or compacted) since the last look.

        Cheap when nothing changed (one stat). Returns how many new changes arrived. With a
        `budget` (seconds) it stops once that is spent and leaves the rest `pending`, so the
        caller can let other threads have the document (and the interpreter) in between.
        """
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return self._apply_unapplied(doc, budget)  # what was already read is still merged
        if st.st_ino == self._ino and st.st_size == self._scan_pos and not self.pending:
            return 0
        with self._shared():
            fd = self._current_fd()
            self._scan_new(fd)
        return self._apply_unapplied(doc, budget)

    @property
    def pending(self) -> bool:
        """Whether changes already read wait to be merged (a poll that ran out of its budget)."""
        return bool(self._opened or self._unapplied)

    def _forget_unapplied(self) -> None:
        """Drop what was read but not merged: the file now starts with a snapshot that holds it."""
        self._unapplied.clear()
        self._opened = []

    def _apply_unapplied(self, doc: GroupDocument, budget: float | None = None) -> int:
        """Merge what was read; with a `budget` (seconds), stop once it is spent.

        A chunk holds every change one sync message brought (hundreds in a burst), and rc1 merges
        a call's worth without letting go of the interpreter: so a chunk is merged a few changes
        at a time, and a budget can end between any two of those calls.
        """
        deadline = None if budget is None else time.monotonic() + budget
        pending, self._unapplied = self._unapplied, []
        new = 0
        try:
            while self._opened or pending:
                if not self._opened:
                    chunk = pending.pop(0)
                    try:
                        payload = self._unseal(chunk)
                        if chunk.kind == SNAPSHOT:
                            new += len(doc.merge_saved(payload, journal=False))
                            continue
                    except (MagnetError, crdt.CrdtError) as exc:  # damaged, or another group's
                        self.last_problem = f"{self.path}: skipped unreadable changes at byte {chunk.offset}: {exc}"
                        continue
                    self._opened, self._opened_at = crdt.split_changes(payload), chunk.offset
                batch, self._opened = self._opened[:MERGE_SLICE], self._opened[MERGE_SLICE:]
                try:
                    new += len(doc.apply_changes(batch, journal=False))
                except crdt.CrdtError as exc:
                    self.last_problem = f"{self.path}: skipped unreadable changes at byte {self._opened_at}: {exc}"
                if deadline is not None and time.monotonic() > deadline:
                    break
        finally:
            self._unapplied = pending + self._unapplied
        return new

    def _current_fd(self) -> int:
        """An append fd on the current file, reopened when another process compacted it."""
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise StoreError(f"cannot open {self.path}: {exc.strerror}") from exc
        if self._fd is not None and os.fstat(self._fd).st_ino != st.st_ino:
            os.close(self._fd)
            self._fd = None
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | BINARY)
            except OSError as exc:
                raise StoreError(f"cannot open {self.path}: {exc.strerror}") from exc
            if os.fstat(self._fd).st_ino != self._ino:
                # A new file: read it from the start (its snapshot holds what we missed).
                self._ino = os.fstat(self._fd).st_ino
                self._scan_pos = read_header(self.path).size
                self._own.clear()
                self._forget_unapplied()
        return self._fd

    def _scan_new(self, fd: int) -> None:
        """Read what was appended since the last look, past any damage in it."""
        size = os.fstat(fd).st_size
        if size <= self._scan_pos:
            return
        data = read_at(fd, size - self._scan_pos, self._scan_pos)
        scan = scan_chunks(data, 0)
        for chunk in scan.chunks:
            offset = self._scan_pos + chunk.offset
            if offset not in self._own and chunk.verified:
                self._unapplied.append(Chunk(chunk.kind, chunk.payload, offset, self._scan_pos + chunk.end))
        if any(not d.recovered for d in scan.damage):
            # Damaged while we had it open (a failing disk): read on, keep a copy, tell the person.
            copy = self._keep_damaged(read_at(fd, size, 0), link=False)
            at = self._scan_pos + scan.damage[0].start
            kept = f" (a copy is kept: {copy.name})" if copy else ""
            self.last_problem = f"{self.path}: {scan.lost_bytes} bytes after byte {at} could not be read{kept}"
        if scan.torn and self._holds_exclusive:
            # Nobody else can be mid-write while we hold the lock: a write cut short by a crash,
            # never acknowledged. Cut it off so our appends stay readable.
            cut = self._scan_pos + scan.end
            os.ftruncate(fd, cut)
            DISK.sync(fd)
            self.last_problem = f"{self.path}: dropped an unfinished write of {size - cut} bytes after byte {cut}"
        self._scan_pos += scan.end

    def _keep_damaged(self, data: bytes, *, link: bool) -> Path | None:
        """Keep the damaged file beside the store: a hard link (no space needed) when the store
        is about to be replaced, else a copy. None when neither could be made."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{STORE_FILE}.damaged-{stamp}-{os.getpid()}")
        if link:
            try:
                os.link(self.path, aside)
                return aside
            except OSError:
                pass  # no hard links here (FAT on a USB stick): copy it
        try:
            fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL | BINARY, 0o600)
            try:
                write_all(fd, data)
                DISK.sync(fd)
            finally:
                os.close(fd)
        except OSError:
            aside.unlink(missing_ok=True)
            return None
        return aside

    def _read_all(self) -> bytes:
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc.strerror}") from exc

    # ---- locking ----------------------------------------------------------------------------

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        if self._holds_exclusive:
            yield
            return
        with self._locked(shared=False):
            self._holds_exclusive = True
            try:
                yield
            finally:
                self._holds_exclusive = False

    @contextmanager
    def _shared(self) -> Iterator[None]:
        if self._holds_exclusive:
            yield
            return
        with self._locked(shared=True):
            yield

    @contextmanager
    def _locked(self, *, shared: bool) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(self._lock.shared() if shared else self._lock.exclusive())
            except OSError as exc:
                raise StoreError(f"cannot lock {self._lock.path}: {exc.strerror}") from exc
            yield

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._lock.close()
