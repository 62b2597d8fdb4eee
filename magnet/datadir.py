"""Where a device keeps its groups, and which group a command means: without opening any.

<home>/device.key              this device's static key (0600)
<home>/groups/<group id>/      store.mgn, store.lock, group.json, keys and invites

group.json caches the group's name for `magnet groups` and `--group NAME`, except for a group
encrypted at rest: its name is in the document, behind the passphrase, like every other name.
Nothing here imports the document or the store, so a command that only reads stays small.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

from magnet.errors import MagnetError, NotFound

HOME_ENV = "MAGNET_HOME"
INFO_FILE = "group.json"
STORE_FILE = "store.mgn"
LOCK_FILE = "store.lock"
DAMAGE_NOTE = "store.damage"


def default_home() -> Path:
    """`MAGNET_HOME` when set, else the platform's user data dir (e.g. ~/.local/share/magnet)."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("magnet", appauthor=False))


class GroupInfo(NamedTuple):
    """What the data dir knows about a group without opening its document."""

    group_id: str
    name: str  # "" for an encrypted group not unlocked yet: its name is not kept in the clear
    path: Path
    encrypted: bool = False

    @property
    def store_path(self) -> Path:
        return self.path / STORE_FILE

    @property
    def label(self) -> str:
        """The group as a person picks it: its name, or its id while the name is locked away."""
        return self.name or f"group {self.group_id[:8]}"


def group_infos(groups_dir: Path) -> list[GroupInfo]:
    """Every group in a data dir's groups folder, by name."""
    found: list[GroupInfo] = []
    if not groups_dir.is_dir():
        return found
    for path in sorted(groups_dir.iterdir()):
        if (path / STORE_FILE).exists():
            found.append(_info(path))
    return sorted(found, key=lambda g: g.label.lower())


def _info(path: Path) -> GroupInfo:
    try:
        meta = json.loads((path / INFO_FILE).read_text())
        encrypted = bool(meta.get("encrypted", False))
        return GroupInfo(
            str(meta.get("id", path.name)),
            str(meta.get("name", "" if encrypted else path.name)),  # older files held it even then
            path,
            encrypted,
        )
    except (OSError, ValueError, AttributeError):
        return GroupInfo(path.name, path.name, path)


def find_group(groups_dir: Path, ref: str | None) -> GroupInfo:
    """The group named (case-insensitively) or whose id starts with `ref`; the only one if None."""
    groups = group_infos(groups_dir)
    if not groups:
        raise NotFound("no groups yet: create one with 'magnet init NAME' or try 'magnet demo'")
    if ref is None:
        if len(groups) == 1:
            return groups[0]
        names = ", ".join(repr(g.label) for g in groups)
        raise MagnetError(f"this data dir holds several groups ({names}); pick one with --group NAME")
    matches = [g for g in groups if g.name and g.name.lower() == ref.lower()] or [
        g for g in groups if g.group_id.startswith(ref.lower())
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        hidden = " (an encrypted group goes by its id)" if any(g.encrypted and not g.name for g in groups) else ""
        raise NotFound(f"no group called {ref!r}; 'magnet groups' lists them{hidden}")
    raise MagnetError(f"{ref!r} matches several groups; use more of its id")
