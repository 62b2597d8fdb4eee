"""Sneakernet bundles: the whole group document carried on a USB stick and merged on another device.

A bundle is exactly what Automerge's `save()` writes, with no magnet header, so any Automerge
(Python or JavaScript) can load it and magnet recognises it by Automerge's own magic bytes.
Merging is a CRDT merge: order does not matter, carrying the same stick twice changes nothing,
and a bundle from another group is refused before anything is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from magnet import crdt
from magnet.document import GroupDocument, WrongGroup
from magnet.errors import MagnetError
from magnet.record import Record

# Every saved Automerge document starts with these four bytes.
AUTOMERGE_MAGIC = b"\x85\x6f\x4a\x83"


def is_bundle(data: bytes) -> bool:
    return data[:4] == AUTOMERGE_MAGIC


def write_bundle(doc: GroupDocument) -> bytes:
    """The group as one standard Automerge file (every change, sensitive fields included)."""
    return doc.save()


@dataclass(frozen=True)
class CollectionChanges:
    added: int = 0
    changed: int = 0
    archived: int = 0
    removed: int = 0

    def describe(self) -> str:
        parts = [
            f"{count} {what}"
            for count, what in (
                (self.added, "added"),
                (self.changed, "changed"),
                (self.archived, "archived"),
                (self.removed, "removed"),
            )
            if count
        ]
        return ", ".join(parts)


@dataclass
class MergeSummary:
    """What a bundle brought: how many changes were new here, and which records they touched."""

    source: str
    new_changes: int = 0
    collections: dict[str, CollectionChanges] = field(default_factory=dict)
    profile_changed: bool = False
    failed: list[str] = field(default_factory=list)  # a merge never half-fails; kept for the CLI
    refused: bool = False
    nothing_imported: bool = False  # "nothing new" is no failure: the stick was merged before

    def report(self) -> list[str]:
        return self.describe().splitlines()

    def problems(self) -> list[str]:
        return []

    def describe(self) -> str:
        if not self.new_changes:
            return f"Nothing new in {self.source}: this device already had everything in it."
        lines = [f"Merged {self.source}: {self.new_changes} new changes."]
        if self.profile_changed:
            lines.append("  group profile: changed")
        for name, changes in sorted(self.collections.items()):
            lines.append(f"  {name}: {changes.describe()}")
        if len(lines) == 1:
            lines.append("  (no record looks different: the changes were already superseded here)")
        return "\n".join(lines)


Snapshot = dict[str, dict[str, Record]]


def _snapshot(doc: GroupDocument) -> tuple[Snapshot, Any]:
    records = {c.name: {r.id: r for r in c.all(include_archived=True)} for c in doc.collections()}
    return records, doc.profile


def _compare(before: dict[str, Record], after: dict[str, Record]) -> CollectionChanges:
    added = len(after.keys() - before.keys())
    removed = len(before.keys() - after.keys())
    changed = archived = 0
    for record_id in before.keys() & after.keys():
        old, new = before[record_id], after[record_id]
        if old == new:
            continue
        if new.archived and not old.archived:
            archived += 1
        else:
            changed += 1
    return CollectionChanges(added, changed, archived, removed)


def merge_bundle(doc: GroupDocument, data: bytes, source: str) -> MergeSummary:
    """Merge a bundle into the group; refuses another group's bundle and changes nothing then."""
    before, profile_before = _snapshot(doc)
    try:
        new = doc.merge_saved(data)
    except crdt.CrdtError as exc:
        raise MagnetError(f"{source} is damaged or incomplete and was not merged ({exc})") from None
    except WrongGroup:
        raise WrongGroup(f"{_whose(doc, data, source)}; nothing was changed") from None
    summary = MergeSummary(source, new_changes=len(new))
    if not new:
        return summary
    after, profile_after = _snapshot(doc)
    summary.profile_changed = profile_before != profile_after
    for name, records in after.items():
        changes = _compare(before.get(name, {}), records)
        if changes != CollectionChanges():
            summary.collections[name] = changes
    return summary


def _whose(doc: GroupDocument, data: bytes, source: str) -> str:
    """'x.mgb belongs to Oak Lane (1a2b3c4d), not to Maple St (9f8e7d6c)'."""
    here = f"{doc.profile.name} ({doc.group_id[:8]})"
    try:
        other = GroupDocument.from_document(crdt.load(data), device_id=doc.device_id)
    except (crdt.CrdtError, MagnetError):
        return f"{source} is an Automerge file but not a magnet group's bundle, so it cannot join {here}"
    return f"{source} belongs to another group, {other.profile.name} ({other.group_id[:8]}), not to {here}"
