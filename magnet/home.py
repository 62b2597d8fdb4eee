"""The data directory: this device's key and one folder per group it belongs to.

<home>/device.key              this device's static key (0600)
<home>/groups/<group id>/      store.mgn, store.lock, group.json, keys and invites
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from magnet.collection import new_id
from magnet.device import DeviceIdentity
from magnet.document import GroupDocument
from magnet.errors import DamagedStore, MagnetError, NotFound, StoreError
from magnet.fileio import make_private_dir, write_private
from magnet.groupkey import KeyRing
from magnet.store import STORE_FILE, ChunkCipher, GroupStore, LoadReport

HOME_ENV = "MAGNET_HOME"
INFO_FILE = "group.json"


def default_home() -> Path:
    """`MAGNET_HOME` when set, else the platform's user data dir (e.g. ~/.local/share/magnet)."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("magnet", appauthor=False))


@dataclass(frozen=True)
class GroupInfo:
    """What the data dir knows about a group without opening its document."""

    group_id: str
    name: str
    path: Path
    encrypted: bool = False

    @property
    def store_path(self) -> Path:
        return self.path / STORE_FILE


class OpenGroup:
    """A group opened for work: its document, journaled to its store."""

    def __init__(self, home: Home, info: GroupInfo, doc: GroupDocument, store: GroupStore, report: LoadReport) -> None:
        self.home = home
        self.info = info
        self.doc = doc
        self.store = store
        self.report = report

    @property
    def path(self) -> Path:
        return self.info.path

    def poll(self) -> int:
        """Pick up changes other processes on this data dir committed; compact when the log grew.

        Long-running processes (the TUI, `magnet serve`) call this about every 0.3 s.
        """

        def poll() -> int:
            new = self.store.poll(self.doc)
            self.maybe_compact()
            return new

        # Under the document's lock: a writer thread must not append while we read the file.
        return self.doc.atomic(poll)

    def maybe_compact(self) -> bool:
        if self.store.needs_compaction():
            self.store.compact(self.doc)
            return True
        return False

    def __enter__(self) -> OpenGroup:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.doc.review()  # a merge this process made heals any collision before it exits
            self.doc.flush()
            self.maybe_compact()
        finally:
            self.doc.set_journal(None)
            self.store.close()


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
        found: list[GroupInfo] = []
        if not self.groups_dir.is_dir():
            return found
        for path in sorted(self.groups_dir.iterdir()):
            if not (path / STORE_FILE).exists():
                continue
            found.append(self._info(path))
        return sorted(found, key=lambda g: g.name.lower())

    def _info(self, path: Path) -> GroupInfo:
        try:
            meta = json.loads((path / INFO_FILE).read_text())
            return GroupInfo(
                str(meta.get("id", path.name)),
                str(meta.get("name", path.name)),
                path,
                bool(meta.get("encrypted", False)),
            )
        except (OSError, ValueError):
            return GroupInfo(path.name, path.name, path)

    def find(self, ref: str | None) -> GroupInfo:
        """The group named (case-insensitively) or whose id starts with `ref`; the only one if None."""
        groups = self.groups()
        if not groups:
            raise NotFound("no groups yet: create one with 'magnet init NAME' or try 'magnet demo'")
        if ref is None:
            if len(groups) == 1:
                return groups[0]
            names = ", ".join(repr(g.name) for g in groups)
            raise MagnetError(f"this data dir holds several groups ({names}); pick one with --group NAME")
        matches = [g for g in groups if g.name.lower() == ref.lower()] or [
            g for g in groups if g.group_id.startswith(ref.lower())
        ]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFound(f"no group called {ref!r}; 'magnet groups' lists them")
        raise MagnetError(f"{ref!r} matches several groups; use more of its id")

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
        data = {"id": info.group_id, "name": info.name, "encrypted": info.encrypted}
        write_private(info.path / INFO_FILE, json.dumps(data, indent=2).encode())

    def open_group(self, ref: str | GroupInfo | None = None, *, cipher: ChunkCipher | None = None) -> OpenGroup:
        """Open a group for work; `report.problems` says what a damaged store lost."""
        info = ref if isinstance(ref, GroupInfo) else self.find(ref)
        store = GroupStore(info.path, cipher)
        doc, report = store.open(self.device.device_id)
        report.problems.extend(doc.upgrade())
        name = doc.profile.name
        if name != info.name:
            info = GroupInfo(info.group_id, name, info.path, info.encrypted)
            with contextlib.suppress(OSError, StoreError):
                self.write_info(info)  # only a cache of the name for `magnet groups`
        return OpenGroup(self, info, doc, store, report)


def register_device(group: OpenGroup, member_id: str = "", name: str | None = None) -> str:
    """Record this device in the group's document (so peers will accept it), once."""
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
