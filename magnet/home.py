"""A device's data directory at work: its key, and groups opened, created and adopted.

The layout, and finding a group without opening it, are in `magnet.datadir`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from magnet import readmodel
from magnet.collection import new_id
from magnet.datadir import (
    DAMAGE_NOTE,
    INFO_FILE,
    STORE_FILE,
    GroupInfo,
    default_home,
    find_group,
    group_infos,
)
from magnet.device import DeviceIdentity
from magnet.document import PROFILE_KEY, GroupDocument
from magnet.errors import DamagedStore, MagnetError, StoreError, UnsavedChange
from magnet.fileio import make_private_dir, write_private
from magnet.formats.listing import every_listing
from magnet.groupkey import KeyRing
from magnet.migrations import SCHEMA_VERSION
from magnet.records import COLLECTIONS
from magnet.store import ChunkCipher, GroupStore, LoadReport
from magnet.wakeup import Wakeup

# A sliced poll merges this many seconds at a time, then pauses so a waiting thread gets in.
POLL_SLICE = 0.005
POLL_BREATH = 0.001


@dataclass
class _ReadModelPlan:
    """What a new read model holds, gathered under the document's lock (`save_read_model`)."""

    number: int
    state: readmodel.StoreState
    group_id: str
    schema: int
    heads: list[bytes]
    previous: readmodel.ReadModel | None
    fresh: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # read whole
    patched: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # changed records (None: gone)
    carry: list[tuple[str, tuple[bytes, int]]] = field(default_factory=list)  # unchanged, as stored


class OpenGroup:
    """A group opened for work: its document, journaled to its store."""

    def __init__(
        self,
        home: Home,
        info: GroupInfo,
        doc: GroupDocument,
        store: GroupStore,
        report: LoadReport,
        *,
        model: readmodel.ReadModel | None = None,
    ) -> None:
        self.home = home
        self.info = info
        self.doc = doc
        self.store = store
        self.report = report
        # The read model on disk when it matches what `doc` holds: its unchanged parts are carried over.
        self._model = model
        self._bell: Wakeup | None = None
        self._closed = False  # set under the document's lock: a poll thread stops at its next slice
        # Told what went wrong without losing anything (a compaction on a full disk).
        self.warn: Callable[[str], None] = logging.getLogger("magnet").warning
        self._given_up = False  # closed before its whole document was opened
        self._opening = threading.Lock()
        self._saving = threading.Lock()  # one read model written at a time (see _write_read_model)
        self._planned = self._written = 0

    @property
    def path(self) -> Path:
        return self.info.path

    @property
    def whole(self) -> bool:
        """Whether the group's whole document is open (not only what its read model holds)."""
        return not self.doc.reading_only

    def finish_opening(self) -> bool:
        """Open the whole document of a group shown from its read model; whether it did now.

        `Home.begin_open` shows a large group at once; this is the slow part (x10: seconds of
        Automerge with the interpreter's lock held), done after the first screen, on the thread
        that makes writes, so every write waits for it. Listeners hear of anything that changed
        since the read model was written. A damaged store or a wrong key raises, as
        `Home.open_group` does, and the group stays as the read model shows it.
        """
        with self._opening:
            if self.whole or self._given_up:
                return False
            full = self.home.open_group(self.info, cipher=self.store.cipher)
            self.store, self.report, self._model, self.info = full.store, full.report, full._model, full.info
            self.doc.adopt(full.doc)
            full.doc = self.doc
            return True

    def stop_opening(self) -> None:
        """Closing before `finish_opening` ran: it will not open anything now."""
        self._given_up = True

    def poll(self, *, sliced: bool = False) -> int:
        """Pick up changes other processes on this data dir committed; compact when the log grew.

        `sliced` (the app's poll thread): merge about `POLL_SLICE` seconds at a time and give the
        document's lock, and the interpreter, back in between, so a burst another process writes
        never holds the screen for longer than a slice. Every step runs under the document's lock,
        which is also what keeps the store's own state to one thread at a time; after `close()`
        a poll does nothing.
        """
        budget = POLL_SLICE if sliced else None

        def step() -> tuple[int, bool]:
            if self._closed:
                return 0, False
            return self.store.poll(self.doc, budget), self.store.pending

        if not self.whole:
            return 0  # nothing is merged into what the read model holds; see finish_opening
        new, more = self.doc.atomic(step)
        while more:
            time.sleep(POLL_BREATH)
            merged, more = self.doc.atomic(step)
            new += merged
        self.doc.atomic(lambda: self._closed or self.maybe_compact())
        return new

    def maybe_compact(self) -> bool:
        """Compact when the log grew. A failure (a full disk) loses nothing: every change is
        already appended, so it is a warning, never a failed command."""
        if not self.store.needs_compaction():
            return False
        try:
            self.store.compact(self.doc)
        except UnsavedChange:
            raise  # a change that had not reached the disk still has not
        except StoreError as exc:
            problem = f"{exc}; every change is saved, and the store is compacted once there is room"
            self.store.last_problem = problem
            self.warn(problem)
            return False
        return True

    def __enter__(self) -> OpenGroup:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def doorbell(self) -> Wakeup:
        """This process's doorbell on the group's store (made on first use): it rings when another
        process appends, and this process's own appends do not ring it."""
        if self._bell is None or self._bell.socket.fileno() < 0:  # none yet, or a stopped node closed it
            self._bell = Wakeup(self.path)
            self.store.wakeup_port = self._bell.port
        return self._bell

    def save_read_model(self) -> bool:
        """Bring the read model beside the store up to date; whether a new one was written.

        Under the document's lock only what changed is read: whole collections that changed
        beyond their records, and the records that changed in the others; the previous read
        model's parts are patched with them and packed after the lock is let go (x10: the lock
        held for milliseconds, not the 0.3-0.6 s of reading a large collection again, so syncs
        and the app's writes do not wait for it). Never fails the caller: the read model is a
        shortcut, and a missing one only means a slower read.
        """
        try:
            plan = self.doc.atomic(self._plan_read_model)
            return plan is not None and self._write_read_model(plan)
        except (OSError, StoreError, ValueError) as exc:
            logging.getLogger("magnet").debug("read model not written: %s", exc)
            return False

    def _plan_read_model(self) -> _ReadModelPlan | None:
        state = self.store.settled_state(self.doc)
        dirty = self.doc.take_dirty()
        previous, self._model = self._model, None  # kept again only once a new one is written
        if state is None:
            return None
        if previous is not None and previous.state == state and not dirty and dirty is not None:
            self._model = previous
            return None
        self._planned += 1
        plan = _ReadModelPlan(self._planned, state, self.doc.group_id, self.doc.schema, self.doc.heads(), previous)
        names = [PROFILE_KEY, *COLLECTIONS]
        same_group = previous is not None and previous.group_id == plan.group_id
        for name in names:
            blob = previous.blob(name) if previous is not None and same_group else None
            if blob is not None and dirty is not None and name not in dirty:
                plan.carry.append((name, blob))
            elif blob is not None and dirty is not None and (ids := dirty[name]) is not None and name != PROFILE_KEY:
                plan.patched.append((name, self.doc.record_values(name, ids)))
            else:
                plan.fresh.append((name, self.doc.raw(name)))
        return plan

    def _write_read_model(self, plan: _ReadModelPlan) -> bool:
        """Pack and write what `plan` gathered, off the document's lock, one writer at a time.

        Plans made while another is written are told apart by number: an older one is not
        written over a newer, and only the newest planned becomes the next one's `previous` (a
        plan made meanwhile took no previous, and read every collection whole).
        """
        with self._saving:
            if plan.number < self._written:
                return False
            written = self._pack_read_model(plan)
            self._written = plan.number
            if plan.number == self._planned:
                self._model = written
            return True

    def _pack_read_model(self, plan: _ReadModelPlan) -> readmodel.ReadModel | None:
        previous = plan.previous
        collections = list(plan.fresh)
        if previous is not None:
            collections += [(name, readmodel.patched(previous.raw(name), values)) for name, values in plan.patched]
        readmodel.write(
            self.path,
            plan.state,
            group_id=plan.group_id,
            schema=plan.schema,
            heads=plan.heads,
            collections=collections,
            sealer=self.store.cipher,
            carry=plan.carry,
            listings=[listing.plain() for listing in every_listing()],
        )
        return readmodel.load(self.path, plan.state, self.store.cipher)

    def read_model_state(self) -> readmodel.StoreState | None:
        """The store's state the read model on disk matches, written first if it was behind (None:
        it cannot be written now). For a process that reads it instead of the document."""
        self.save_read_model()
        model = self._model
        return model.state if model is not None else None

    def close(self) -> None:
        """Save what is pending and let go of the store; a poll thread still running stops.

        All of it under the document's lock: the store's state (its read position, its file lock)
        belongs to one thread at a time, and a poll thread may still be between two slices.
        """
        self.doc.atomic(self._close)

    def _close(self) -> None:
        if self._closed:
            return
        if not self.whole:
            self._given_up = self._closed = True  # nothing was opened, so nothing is pending
            self.store.close()
            if self._bell is not None:
                self._bell.close()
                self._bell = None
            return
        try:
            self.doc.review()  # a merge this process made heals any collision before it exits
            self.doc.flush()
            self.maybe_compact()
            self.save_read_model()
        finally:
            self._closed = True
            self.doc.set_journal(None)
            self.store.close()
            if self._bell is not None:
                self._bell.close()
                self._bell = None


class Home:
    """One data directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def default(cls) -> Home:
        return cls(default_home())

    @property
    def groups_dir(self) -> Path:
        return self.root / "groups"

    @cached_property
    def device(self) -> DeviceIdentity:
        make_private_dir(self.root)
        return DeviceIdentity.load_or_create(self.root)

    def groups(self) -> list[GroupInfo]:
        """Every group in this data dir, by name."""
        return group_infos(self.groups_dir)

    def find(self, ref: str | None) -> GroupInfo:
        """The group named (case-insensitively) or whose id starts with `ref`; the only one if None."""
        return find_group(self.groups_dir, ref)

    def create_group(
        self,
        name: str,
        *,
        cipher: ChunkCipher | None = None,
        store_meta: dict[str, object] | None = None,
        member_name: str | None = None,
    ) -> OpenGroup:
        """A new group with this device registered as its first device."""
        if any(g.name.lower() == name.strip().lower() for g in self.groups()):
            raise MagnetError(f"a group called {name.strip()!r} already exists here")
        group_id = new_id() + new_id()
        device = self.device
        make_private_dir(self.groups_dir)
        doc = GroupDocument.create(name, device_id=device.device_id, group_id=group_id)
        path = make_private_dir(self.groups_dir / group_id)
        store = GroupStore.create(path, doc, meta=dict(store_meta or {}), cipher=cipher)
        KeyRing.found().save(path)  # the group secret: only devices it is given to can sync
        info = GroupInfo(group_id, doc.profile.name, path, cipher is not None)
        self.write_info(info)
        group = OpenGroup(self, info, doc, store, LoadReport())
        member_id = ""
        if member_name:
            member_id = doc.members.add(name=member_name, level="core_team").id
        register_device(group, member_id)
        return group

    def adopt_group(
        self, snapshot: bytes, *, cipher: ChunkCipher | None = None, store_meta: dict[str, object] | None = None
    ) -> OpenGroup:
        """Store a group received from elsewhere (joining with an invite)."""
        device = self.device
        doc = GroupDocument.load(snapshot, device_id=device.device_id)
        path = make_private_dir(self.groups_dir) / doc.group_id
        if (path / STORE_FILE).exists():
            if not self._damaged(path):
                raise MagnetError(f"this data dir already holds the group {doc.profile.name!r}")
            # Joining again is how a copy that cannot be read is replaced; the old file is kept.
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            os.replace(path / STORE_FILE, path / f"{STORE_FILE}.damaged-{stamp}")
        make_private_dir(path)
        store = GroupStore.create(path, doc, meta=dict(store_meta or {}), cipher=cipher)
        info = GroupInfo(doc.group_id, doc.profile.name, path, cipher is not None)
        self.write_info(info)
        report = LoadReport()
        report.problems.extend(doc.upgrade())
        return OpenGroup(self, info, doc, store, report)

    def _damaged(self, path: Path) -> bool:
        """Whether the group's store at `path` cannot be read at all (not merely locked)."""
        store = GroupStore(path, None)
        try:
            store.open(self.device.device_id)
        except DamagedStore:
            return True
        except MagnetError:
            return False  # encrypted, or unreadable for another reason: not ours to replace
        finally:
            store.close()
        return False

    def write_info(self, info: GroupInfo) -> None:
        write_private(info.path / INFO_FILE, _info_bytes(info))

    def begin_open(self, ref: str | GroupInfo | None = None, *, cipher: ChunkCipher | None = None) -> OpenGroup:
        """The group as its read model shows it, when that matches the store; else opened in full.

        Reads work at once (a read model decodes in a fraction of a whole document's load); call
        `finish_opening()` before anything that writes, syncs or reads history.
        """
        info = ref if isinstance(ref, GroupInfo) else self.find(ref)
        try:
            doc = self.read_group(info, cipher=cipher)
        except (OSError, StoreError, ValueError):
            doc = None
        if doc is None:
            return self.open_group(info, cipher=cipher)
        return OpenGroup(self, info, doc, GroupStore(info.path, cipher), LoadReport())

    def open_group(self, ref: str | GroupInfo | None = None, *, cipher: ChunkCipher | None = None) -> OpenGroup:
        """Open a group for work; `report.problems` says what a damaged store lost."""
        info = ref if isinstance(ref, GroupInfo) else self.find(ref)
        store = GroupStore(info.path, cipher)
        try:
            doc, report = store.open(self.device.device_id)
        except BaseException:
            store.close()  # a damaged store or a wrong passphrase must not keep the lock file open
            raise
        report.problems.extend(doc.upgrade())
        info = GroupInfo(info.group_id, doc.profile.name, info.path, info.encrypted or cipher is not None)
        with contextlib.suppress(OSError, StoreError):
            if _read_bytes(info.path / INFO_FILE) != _info_bytes(info):
                # Only a cache for `magnet groups`; an older one of an encrypted group lost its name here.
                self.write_info(info)
        model = None
        if not doc.unsaved:
            with contextlib.suppress(OSError, StoreError):
                model = readmodel.load(info.path, store.settled_state(doc), cipher)
        if model is not None:
            doc.seed(model)
        return OpenGroup(self, info, doc, store, report, model=model)

    def read_group(
        self, ref: str | GroupInfo | None = None, *, cipher: ChunkCipher | None = None
    ) -> GroupDocument | None:
        """The group for reading only, from its read model, when that matches the store exactly.

        None when it does not (changed since, missing, damaged, a store with damage to report, a
        newer schema to tell about): the caller then opens the group in full.
        """
        info = ref if isinstance(ref, GroupInfo) else self.find(ref)
        if (info.path / DAMAGE_NOTE).exists():
            return None
        model = readmodel.load(info.path, readmodel.StoreState.of(info.store_path), cipher)
        if model is None or model.group_id != info.group_id or model.schema > SCHEMA_VERSION:
            return None
        return GroupDocument.reading(model, device_id="")


def _info_bytes(info: GroupInfo) -> bytes:
    data: dict[str, object] = {"id": info.group_id, "name": info.name, "encrypted": info.encrypted}
    if info.encrypted:
        del data["name"]
    return json.dumps(data, indent=2).encode()


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def register_device(group: OpenGroup, member_id: str = "", name: str | None = None) -> str:
    """Record this device in the group's document (so peers will accept it), once."""
    import socket

    device = group.home.device
    existing = group.doc.devices.filter(device_id=device.device_id, include_archived=True)
    if existing:
        return existing[0].id
    return group.doc.devices.add(
        name=name or socket.gethostname() or "this device",
        device_id=device.device_id,
        public_key=device.public_key.hex(),
        member_id=member_id,
        added_at=datetime.now(),
    ).id
