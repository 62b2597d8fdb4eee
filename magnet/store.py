"""The durable store: one file per group, a snapshot followed by append-only change chunks.

    header:  b"MAGNET\\x00S" | version u16 | flags u16 | meta length u32 | msgpack meta
    chunk:   kind u8 | payload length u32 | crc32(kind, length, payload) u32 | payload

Every commit is appended and fsynced before anyone is told it is saved. Several processes may
share one file: appends and compaction take an exclusive `flock` on a side lock file, readers
pick up other processes' chunks by polling the file. Compaction writes a fresh snapshot to a
temporary file and renames it over the old one. A torn or corrupt tail is detected; the good
part loads, and the damaged file is kept beside the repaired one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import msgpack

from magnet import crdt
from magnet.document import GroupDocument
from magnet.errors import DamagedStore, StoreError, UnsavedChange
from magnet.fileio import fsync_dir

MAGIC = b"MAGNET\x00S"
VERSION = 1
FLAG_SEALED = 1
_HEADER = struct.Struct("<8sHHI")
_CHUNK = struct.Struct("<BII")
_KIND_LENGTH = struct.Struct("<BI")
SNAPSHOT = 1
CHANGES = 2
MAX_CHUNK = 1 << 30
STORE_FILE = "store.mgn"
LOCK_FILE = "store.lock"
# Compact once the appended tail outgrows this and the snapshot itself.
COMPACT_AFTER = 1 << 20

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


@dataclass(frozen=True)
class Header:
    version: int
    flags: int
    meta: dict[str, Any]
    size: int

    @property
    def sealed(self) -> bool:
        return bool(self.flags & FLAG_SEALED)


def encode_header(meta: dict[str, Any], flags: int) -> bytes:
    packed = msgpack.packb(meta, use_bin_type=True)
    return _HEADER.pack(MAGIC, VERSION, flags, len(packed)) + packed


def read_header(path: Path) -> Header:
    """Parse the store header (without reading the chunks): is it sealed, which group."""
    try:
        with path.open("rb") as f:
            raw = f.read(_HEADER.size)
            if len(raw) < _HEADER.size:
                raise StoreError(f"{path}: not a magnet store (file too short)")
            magic, version, flags, meta_len = _HEADER.unpack(raw)
            if magic != MAGIC:
                raise StoreError(f"{path}: not a magnet store (bad magic)")
            if version > VERSION:
                raise StoreError(f"{path}: written by a newer magnet (store version {version}); upgrade magnet")
            if meta_len > 1 << 20:
                raise StoreError(f"{path}: damaged header")
            packed = f.read(meta_len)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        meta = msgpack.unpackb(packed, raw=False)
    except Exception as exc:
        raise StoreError(f"{path}: damaged header") from exc
    if not isinstance(meta, dict):
        raise StoreError(f"{path}: damaged header")
    return Header(version, flags, meta, _HEADER.size + meta_len)


def encode_chunk(kind: int, payload: bytes) -> bytes:
    return _CHUNK.pack(kind, len(payload), _checksum(kind, len(payload), payload)) + payload


def _checksum(kind: int, length: int, payload: bytes) -> int:
    """Covers the chunk's kind and length too: a flipped kind byte must not pass as valid."""
    return zlib.crc32(payload, zlib.crc32(_KIND_LENGTH.pack(kind, length)))


@dataclass(frozen=True)
class Chunk:
    kind: int
    payload: bytes
    offset: int
    end: int


@dataclass(frozen=True)
class ScanResult:
    chunks: list[Chunk]
    end: int  # offset just past the last good chunk
    problem: str | None  # "torn" (incomplete) or a description of corruption
    file_size: int


def scan_chunks(data: bytes, start: int) -> ScanResult:
    """Walk chunks from `start`; stop at the first incomplete or damaged one."""
    chunks: list[Chunk] = []
    pos = start
    size = len(data)
    while pos < size:
        if size - pos < _CHUNK.size:
            return ScanResult(chunks, pos, "torn", size)
        kind, length, crc = _CHUNK.unpack_from(data, pos)
        if kind not in (SNAPSHOT, CHANGES) or length > MAX_CHUNK:
            return ScanResult(chunks, pos, f"damaged chunk header at byte {pos}", size)
        body_start = pos + _CHUNK.size
        if body_start + length > size:
            return ScanResult(chunks, pos, "torn", size)
        payload = data[body_start : body_start + length]
        if _checksum(kind, length, payload) != crc:
            return ScanResult(chunks, pos, f"checksum mismatch at byte {pos}", size)
        chunks.append(Chunk(kind, payload, pos, body_start + length))
        pos = body_start + length
    return ScanResult(chunks, pos, None, size)


class GroupStore:
    """The group's file on disk and the journal its document writes through."""

    def __init__(self, directory: Path, cipher: ChunkCipher | None = None) -> None:
        self.directory = directory
        self.path = directory / STORE_FILE
        self.cipher = cipher
        self._lock_path = directory / LOCK_FILE
        self._lock_fd: int | None = None
        self._fd: int | None = None
        self._ino = 0
        self._scan_pos = 0
        self._own: set[int] = set()
        self._unapplied: list[Chunk] = []
        self._tail_bytes = 0
        self._snapshot_bytes = 0
        self._group_id = ""
        self.last_problem: str | None = None

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
        """Load the document, repairing a torn or damaged tail (the damaged file is kept aside)."""
        report = LoadReport()
        with self._exclusive():
            header = self.header()
            self._check_cipher(header)
            self._group_id = str(header.meta.get("group_id", ""))
            data = self._read_all()
            scan = scan_chunks(data, header.size)
            if not any(c.kind == SNAPSHOT for c in scan.chunks):
                raise DamagedStore(
                    f"{self.path}: its snapshot is damaged ({scan.problem or 'missing'}), so this copy of the group "
                    f"cannot be read. {RECOVERY}"
                )
            doc, bad_chunks = self._build(scan.chunks, device_id, report)
            self._ino = os.stat(self.path).st_ino
            self._scan_pos = scan.end
            self._snapshot_bytes = sum(len(c.payload) for c in scan.chunks if c.kind == SNAPSHOT)
            self._tail_bytes = scan.end - header.size - self._snapshot_bytes
            if bad_chunks:
                report.problems.append(f"{self.path}: {bad_chunks} damaged change chunk(s) were skipped")
            if scan.problem is not None:
                lost = scan.file_size - scan.end
                what = "an unfinished last write" if scan.problem == "torn" else scan.problem
                report.problems.append(
                    f"{self.path}: found {what}; {lost} bytes after byte {scan.end} could not be read. "
                    "Everything before it loaded."
                )
                report.ignored_bytes = lost
            if scan.problem is not None or bad_chunks:
                if scan.problem != "torn" or bad_chunks:
                    # A torn tail is a write that was never acknowledged; real damage is kept.
                    self._keep_damaged(data)
                self._write_snapshot_file(doc, header.meta)
        self._attach(doc)
        report.chunks = len(scan.chunks)
        return doc, report

    def _check_cipher(self, header: Header) -> None:
        if header.sealed and self.cipher is None:
            raise StoreError(f"{self.path} is encrypted: unlock it with the group's passphrase")

    def _build(self, chunks: list[Chunk], device_id: str, report: LoadReport) -> tuple[GroupDocument, int]:
        snapshots = [c for c in chunks if c.kind == SNAPSHOT]
        if not snapshots:
            raise StoreError(f"{self.path}: no snapshot found; the store is damaged")
        snapshot = self._unseal(snapshots[0])
        changes: list[bytes] = []
        bad = 0
        for chunk in chunks:
            if chunk.kind != CHANGES:
                continue
            try:
                changes.append(self._unseal(chunk))
            except StoreError:
                bad += 1  # altered on disk: its checksum matched but its seal did not
        try:
            return GroupDocument.load(b"".join([snapshot, *changes]), device_id=device_id), bad
        except crdt.CrdtError:
            pass
        # Slow path: one bad chunk must not cost the rest.
        try:
            doc = GroupDocument.load(snapshot, device_id=device_id)
        except crdt.CrdtError as exc:
            raise DamagedStore(f"{self.path}: the snapshot is damaged ({exc}). {RECOVERY}") from exc
        for payload in changes:
            try:
                doc.apply_changes([payload], journal=False)
            except crdt.CrdtError:
                bad += 1
        return doc, bad

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
                _write_all(fd, chunk)
                os.fdatasync(fd)
            except OSError as exc:
                # Cut off what was half written so later appends stay readable.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, offset)
                raise UnsavedChange(str(self.path), exc.strerror or str(exc)) from exc
            self._own.add(offset)
            self._scan_pos = offset + len(chunk)
            self._tail_bytes += len(chunk)

    def needs_compaction(self) -> bool:
        return self._tail_bytes > max(COMPACT_AFTER, self._snapshot_bytes)

    def compact(self, doc: GroupDocument) -> None:
        """Replace the file with one snapshot of everything, atomically."""
        with self._exclusive():
            fd = self._current_fd()
            self._scan_new(fd)
            self._apply_unapplied(doc)
            doc.flush()
            self._write_snapshot_file(doc, self.header().meta)

    def _write_snapshot_file(self, doc: GroupDocument, meta: dict[str, Any]) -> None:
        flags = FLAG_SEALED if self.cipher is not None else 0
        snapshot = doc.save()
        data = encode_header(meta, flags) + encode_chunk(SNAPSHOT, self._seal(SNAPSHOT, snapshot))
        tmp = self.path.with_name(f".{STORE_FILE}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
            fsync_dir(self.directory)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"could not write {self.path}: {exc.strerror}") from exc
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        fd = self._current_fd()
        self._ino = os.fstat(fd).st_ino
        self._scan_pos = len(data)
        self._own.clear()
        self._unapplied.clear()
        self._snapshot_bytes = len(snapshot)
        self._tail_bytes = 0

    # ---- other processes --------------------------------------------------------------------

    def poll(self, doc: GroupDocument) -> int:
        """Merge what other processes appended (or compacted) since the last look.

        Cheap when nothing changed (one stat). Returns how many new changes arrived.
        """
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return 0
        if st.st_ino == self._ino and st.st_size == self._scan_pos and not self._unapplied:
            return 0
        with self._shared():
            fd = self._current_fd()
            self._scan_new(fd)
        return self._apply_unapplied(doc)

    def _apply_unapplied(self, doc: GroupDocument) -> int:
        pending, self._unapplied = self._unapplied, []
        new = 0
        for chunk in pending:
            payload = self._unseal(chunk)
            try:
                if chunk.kind == SNAPSHOT:
                    new += len(doc.merge_saved(payload, journal=False))
                else:
                    new += len(doc.apply_changes([payload], journal=False))
            except crdt.CrdtError as exc:
                self.last_problem = f"{self.path}: skipped unreadable changes at byte {chunk.offset}: {exc}"
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
                self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
            except OSError as exc:
                raise StoreError(f"cannot open {self.path}: {exc.strerror}") from exc
            if os.fstat(self._fd).st_ino != self._ino:
                # A new file: read it from the start (its snapshot holds what we missed).
                self._ino = os.fstat(self._fd).st_ino
                self._scan_pos = read_header(self.path).size
                self._own.clear()
                self._unapplied.clear()
        return self._fd

    def _scan_new(self, fd: int) -> None:
        size = os.fstat(fd).st_size
        if size <= self._scan_pos:
            return
        data = os.pread(fd, size - self._scan_pos, self._scan_pos)
        scan = scan_chunks(data, 0)
        for chunk in scan.chunks:
            offset = self._scan_pos + chunk.offset
            if offset not in self._own:
                self._unapplied.append(Chunk(chunk.kind, chunk.payload, offset, self._scan_pos + chunk.end))
        if scan.chunks:
            self._scan_pos += scan.end
        if scan.problem is not None and self._holds_exclusive:
            # Nobody else can be mid-write while we hold the lock: this is real damage left by
            # a crash. Cut it off so our appends stay readable, and keep a copy of the file.
            damaged_at = self._scan_pos
            if scan.problem != "torn":
                self._keep_damaged(os.pread(fd, os.fstat(fd).st_size, 0))
            os.ftruncate(fd, damaged_at)
            os.fsync(fd)
            self.last_problem = (
                f"{self.path}: cut {size - damaged_at} unreadable bytes after byte {damaged_at} (a copy is kept)"
            )

    def _keep_damaged(self, data: bytes) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{STORE_FILE}.damaged-{stamp}-{os.getpid()}")
        try:
            aside.write_bytes(data)
            os.chmod(aside, 0o600)
        except OSError:
            pass

    def _read_all(self) -> bytes:
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc.strerror}") from exc

    # ---- locking ----------------------------------------------------------------------------

    _holds_exclusive = False

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        if self._holds_exclusive:
            yield
            return
        fd = self._lock()
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._holds_exclusive = True
        try:
            yield
        finally:
            self._holds_exclusive = False
            fcntl.flock(fd, fcntl.LOCK_UN)

    @contextmanager
    def _shared(self) -> Iterator[None]:
        if self._holds_exclusive:
            yield
            return
        fd = self._lock()
        fcntl.flock(fd, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _lock(self) -> int:
        if self._lock_fd is None:
            try:
                self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise StoreError(f"cannot lock {self._lock_path}: {exc.strerror}") from exc
        return self._lock_fd

    def close(self) -> None:
        for fd in (self._fd, self._lock_fd):
            if fd is not None:
                os.close(fd)
        self._fd = self._lock_fd = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
