"""Who changed what, when: a record's history and the group's recent changes, read from Automerge's own.

Automerge keeps every change, but rc1 writes each change's timestamp as 0 and offers no "changes
to this object" query. The thread to follow is in the record itself: every value read carries the
id of the op that wrote it (actor and counter, hence the change), the newest op in a record names
the latest change to it, that change's dependencies are the state just before it, and the newest
op there leads to the edit before. Reading at past heads is cheap (`doc.values(obj, heads)`), so a
record's last edits cost a few reads each, never a diff per change. Where devices edited
concurrently, a change that merges them has several dependencies; each is followed on its own, so
no side of a concurrent edit is lost. (A change that only deleted, within the second of the same
device's previous edit, leaves no op to find; magnet's own stamp makes that rare.)

Who: an actor id starts with the device id's first 8 bytes (`crdt.new_actor_id`), and the group's
devices say which member a device speaks for. When: the `updated_at` stamp the record carried
after the change. What: the record as the change found it against the record as the change left
it, field by field.

Undo writes the old values back as a new change, so it syncs like any edit and shows in history.
"""

from __future__ import annotations

import bisect
import functools
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from automerge.core import Document, ObjType

from magnet import crdt
from magnet.document import GroupDocument
from magnet.errors import MagnetError, NotFound
from magnet.fields import FieldSpec
from magnet.record import SYSTEM_FIELDS, Record, decode_record
from magnet.records import COLLECTIONS
from magnet.values import FieldKind, format_value

DEFAULT_LIMIT = 50
CHUNK = 300  # records read per hold of the document's lock


# ---- the change index ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChangeInfo:
    hash: bytes
    actor: bytes
    start_op: int
    max_op: int
    deps: tuple[bytes, ...]
    order: int  # position in the document's causal order: later changes have larger numbers


class ChangeIndex:
    """Every change of a document by hash, and by (actor, op counter); extended as the document grows."""

    def __init__(self) -> None:
        self.by_hash: dict[bytes, ChangeInfo] = {}
        self._starts: dict[bytes, list[int]] = {}
        self._hashes: dict[bytes, list[bytes]] = {}
        self.heads: list[bytes] = []
        self.ordered: list[bytes] = []
        self.merges: list[int] = []  # orders of changes made after merging concurrent ones (several deps)

    def extend(self, raw: Document) -> None:
        """Add the changes made since the index was last brought up to date."""
        heads = raw.get_heads()
        if heads == self.heads:
            return
        for change in raw.get_changes(self.heads):
            if change.hash in self.by_hash:
                continue
            info = ChangeInfo(
                change.hash, change.actor_id, change.start_op, change.max_op, tuple(change.deps), len(self.ordered)
            )
            self.by_hash[info.hash] = info
            self.ordered.append(info.hash)
            if len(info.deps) > 1:
                self.merges.append(info.order)
            starts = self._starts.setdefault(info.actor, [])
            hashes = self._hashes.setdefault(info.actor, [])
            at = bisect.bisect(starts, info.start_op)
            starts.insert(at, info.start_op)
            hashes.insert(at, info.hash)
        self.heads = heads

    def merges_between(self, older: int, newer: int) -> bool:
        """Is there a change merging concurrent ones after `older`, up to `newer` (causal order)?"""
        at = bisect.bisect_right(self.merges, older)
        return at < len(self.merges) and self.merges[at] <= newer

    def change_of(self, actor: bytes, counter: int) -> ChangeInfo | None:
        """The change that made op `counter` of `actor`."""
        starts = self._starts.get(actor)
        if not starts:
            return None
        at = bisect.bisect(starts, counter) - 1
        if at < 0:
            return None
        info = self.by_hash[self._hashes[actor][at]]
        return info if info.start_op <= counter <= info.max_op else None


_INDEXES: weakref.WeakKeyDictionary[GroupDocument, ChangeIndex] = weakref.WeakKeyDictionary()
_INDEX_LOCK = threading.Lock()


def change_index(doc: GroupDocument, raw: Document) -> ChangeIndex:
    """The document's change index, built once and extended with what arrived since (call under its lock)."""
    with _INDEX_LOCK:
        index = _INDEXES.get(doc)
        if index is None:
            index = _INDEXES[doc] = ChangeIndex()
        index.extend(raw)
        return index


# ---- what one change did to one record --------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One field of one record, before and after a change."""

    field: str
    label: str
    old: Any
    new: Any
    spec: FieldSpec

    @property
    def old_text(self) -> str:
        return format_value(self.spec, self.old)

    @property
    def new_text(self) -> str:
        return format_value(self.spec, self.new)


@dataclass(frozen=True)
class Edit:
    """One change to one record: who (the member behind the device), when, and each field's old and new value."""

    change: bytes
    collection: str
    record_id: str
    title: str
    actor: bytes
    device_id: str  # as much as the actor tells (its first 8 bytes, hex) or the full id when known
    who: str  # the member's name, the device's name, or "device 1a2b3c4d"
    when: datetime | None
    fields: tuple[FieldChange, ...] = ()
    created: bool = False
    order: int = 0  # causal position: larger is later

    @property
    def noun(self) -> str:
        record_type = COLLECTIONS.get(self.collection)
        return record_type.NOUN if record_type is not None else self.collection

    def summary(self) -> str:
        """'created', 'archived', or the fields it changed: one line for a list."""
        if self.created:
            return "created"
        archived = next((f for f in self.fields if f.field == "archived"), None)
        if archived is not None and len(self.fields) == 1:
            return "archived" if archived.new else "restored"
        return ", ".join(f.label for f in self.fields) or "no visible change"

    def by_device(self, device_id: str) -> bool:
        return bytes.fromhex(device_id)[:8] == self.actor[:8]


class _Reader:
    """Reads one record at past heads and finds the change behind its stamp."""

    def __init__(self, raw: Document, index: ChangeIndex, record_type: type[Record], record_id: str, obj: bytes):
        self.raw = raw
        self.index = index
        self.record_type = record_type
        self.record_id = record_id
        self.obj = obj
        self._writers: dict[bytes, ChangeInfo | None] = {}

    def writer(self, head: bytes) -> ChangeInfo | None:
        """The latest change to this record visible at `head` (None: no record there yet).

        That is the change of the newest op in the record (its fields, and what is inside its
        sets and tallies): a change's ops all count higher than those of the changes it saw.
        The stamp alone will not do: Automerge drops a put of the value already there, so two
        edits within one second leave one `updated_at` op.
        """
        if head not in self._writers:
            newest = _newest_op(self.raw, self.obj, [head])
            self._writers[head] = self.index.change_of(newest[1], newest[0]) if newest is not None else None
        return self._writers[head]

    def record_at(self, heads: list[bytes]) -> Record | None:
        if not heads:
            return None
        raw = crdt.read_map(self.raw, self.obj, heads)
        return decode_record(self.record_type, self.record_id, raw) if raw else None


def _newest_op(raw: Document, obj: bytes, heads: list[bytes]) -> tuple[int, bytes] | None:
    """(counter, actor) of the highest op visible in a map and the maps below it, in Automerge's op order."""
    ops: list[tuple[int, bytes] | None] = []
    for value, exid in raw.values(obj, heads):
        ops.append(crdt.op_id(exid))
        if value == ObjType.Map:
            ops.append(_newest_op(raw, exid, heads))
    return max((op for op in ops if op is not None), default=None)


def _changed_fields(record_type: type[Record], before: Record | None, after: Record) -> tuple[FieldChange, ...]:
    found: list[FieldChange] = []
    start = before if before is not None else record_type()  # a new record changed its defaults
    for name, spec in record_type.all_specs().items():
        if name in SYSTEM_FIELDS and name != "archived":
            continue
        old = getattr(start, name)
        new = getattr(after, name)
        if old != new:
            found.append(FieldChange(name, spec.label, old, new, spec))
    return tuple(found)


def _writers_of(reader: _Reader, heads: Sequence[bytes], limit: int, stop_before: int = -1) -> list[ChangeInfo]:
    """Every change that stamped the record, newest first, up to `limit` (and none older than `stop_before`).

    Walks the change graph back from `heads`: between a head and the change whose stamp it shows
    nothing else touched the record, except on a side branch that a later change merged; at each
    change with several dependencies each one is asked for its own latest writer.
    """
    index = reader.index
    found: dict[bytes, ChangeInfo] = {}
    seen: set[bytes] = set()
    frontier: list[tuple[bytes, ChangeInfo]] = []

    def push(head: bytes) -> None:
        info = index.by_hash.get(head)
        if info is None or info.order < stop_before:
            return
        writer = reader.writer(head)
        if writer is not None and writer.order >= stop_before:
            frontier.append((head, writer))

    for head in heads:
        push(head)
    while frontier and len(found) < limit:
        frontier.sort(key=lambda pair: pair[1].order)
        head, writer = frontier.pop()
        if writer.hash not in found:
            found[writer.hash] = writer
        # Between `head` and its writer: only changes merging side branches can hide another writer.
        head_info = index.by_hash[head]
        stack = [head] if index.merges_between(writer.order, head_info.order) else []
        while stack:
            node = stack.pop()
            if node in seen or node == writer.hash:
                continue
            seen.add(node)
            info = index.by_hash.get(node)
            if info is None or info.order < writer.order:
                continue
            if len(info.deps) == 1:
                stack.append(info.deps[0])
                continue
            for dep in info.deps:
                other = reader.writer(dep)
                if other is not None and other.hash == writer.hash:
                    stack.append(dep)
                else:
                    push(dep)
        if writer.hash not in seen:
            seen.add(writer.hash)
            for dep in writer.deps:
                push(dep)
    return sorted(found.values(), key=lambda info: info.order, reverse=True)[:limit]


def _edit_of(reader: _Reader, info: ChangeInfo, names: Mapping[bytes, tuple[str, str]]) -> Edit | None:
    after = reader.record_at([info.hash])
    if after is None:
        return None
    before = reader.record_at(list(info.deps))
    who, device = names.get(info.actor[:8], (f"device {info.actor[:4].hex()}", info.actor[:8].hex()))
    return Edit(
        change=info.hash,
        collection=reader.record_type.COLLECTION,
        record_id=reader.record_id,
        title=after.title,
        actor=info.actor,
        device_id=device,
        who=who,
        when=after.updated_at,
        fields=_changed_fields(reader.record_type, before, after),
        created=before is None,
        order=info.order,
    )


def device_names(doc: GroupDocument) -> dict[bytes, tuple[str, str]]:
    """Actor prefix (a device id's first 8 bytes) -> (who: the member, else the device's name; device id)."""
    members = {m.id: m.name for m in doc.members.all(include_archived=True)}
    names: dict[bytes, tuple[str, str]] = {}
    for device in doc.devices.all(include_archived=True):
        try:
            prefix = bytes.fromhex(device.device_id)[:8]
        except ValueError:
            continue
        names[prefix] = (members.get(device.member_id) or device.name or device.device_id[:8], device.device_id)
    return names


def _record_obj(doc: GroupDocument, raw: Document, collection: str, record_id: str) -> bytes | None:
    found = raw.get(doc.collection_obj(collection), record_id)
    if found is None or found[0] != ObjType.Map:
        return None
    return found[1]


def record_history(doc: GroupDocument, collection: str, record_id: str, *, limit: int = DEFAULT_LIMIT) -> list[Edit]:
    """The last `limit` changes to one record, newest first."""
    record_type = COLLECTIONS.get(collection)
    if record_type is None:
        raise NotFound(f"no kind of record called {collection!r}")
    names = device_names(doc)

    def read(raw: Document) -> list[Edit]:
        obj = _record_obj(doc, raw, collection, record_id)
        if obj is None:
            raise NotFound(f"no {record_type.NOUN} with id {record_id!r}")
        index = change_index(doc, raw)
        reader = _Reader(raw, index, record_type, record_id, obj)
        writers = _writers_of(reader, raw.get_heads(), limit)
        return [edit for info in writers if (edit := _edit_of(reader, info, names)) is not None]

    return doc.with_automerge(read)


def recent_changes(doc: GroupDocument, *, limit: int = DEFAULT_LIMIT) -> list[Edit]:
    """The group's latest edits to records, newest first: one per record each change touched.

    Every record's newest op names the change that last touched it (one read per record), so the
    records changed most recently are known without a diff; their own histories then give every
    edit, and a record last changed before the `limit`-th newest edit cannot add a newer one.
    Everything is read at the heads of the start, a few hundred records per hold of the
    document's lock, so sync and writes go on meanwhile.
    """
    names = device_names(doc)

    def start(raw: Document) -> tuple[list[bytes], list[_Reader]]:
        index = change_index(doc, raw)
        heads = raw.get_heads()
        readers: list[_Reader] = []
        for collection, record_type in COLLECTIONS.items():
            collection_obj = doc.collection_obj(collection)
            for record_id, (value, obj) in zip(raw.keys(collection_obj), raw.values(collection_obj), strict=True):
                if value == ObjType.Map:
                    readers.append(_Reader(raw, index, record_type, record_id, obj))
        return heads, readers

    heads, readers = doc.with_automerge(start)

    def newest(chunk: list[_Reader], _raw: Document) -> list[tuple[int, _Reader]]:
        found = []
        for reader in chunk:
            order = max((w.order for h in heads if (w := reader.writer(h)) is not None), default=-1)
            if order >= 0:
                found.append((order, reader))
        return found

    ranked: list[tuple[int, _Reader]] = []
    for at in range(0, len(readers), CHUNK):
        chunk = readers[at : at + CHUNK]
        ranked += doc.with_automerge(functools.partial(newest, chunk))
    ranked.sort(key=lambda pair: pair[0], reverse=True)
    edits: list[Edit] = []
    for order, reader in ranked:
        floor = edits[limit - 1].order if len(edits) >= limit else -1
        if order < floor:
            break

        def walk(_raw: Document, reader: _Reader = reader, floor: int = floor) -> list[Edit]:
            found = _writers_of(reader, heads, limit, stop_before=floor)
            return [edit for info in found if (edit := _edit_of(reader, info, names)) is not None]

        edits += doc.with_automerge(walk)
        edits.sort(key=lambda e: (e.order, e.collection, e.title), reverse=True)
    return edits[:limit]


def my_recent_changes(doc: GroupDocument, device_id: str, *, limit: int = DEFAULT_LIMIT) -> list[Edit]:
    """This device's own latest edits (what undo offers)."""
    return [edit for edit in recent_changes(doc, limit=limit * 4) if edit.by_device(device_id)][:limit]


# ---- undo ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Undone:
    """What undo restored, and what it left because someone changed it since."""

    record: Record
    restored: tuple[str, ...]
    kept: tuple[str, ...] = field(default=())


class CannotUndo(MagnetError):
    """An edit that cannot be undone (another device's, or nothing of it is left to restore)."""


def undo(doc: GroupDocument, edit: Edit, *, device_id: str) -> Undone:
    """Restore what `edit` changed, as a new change; a field changed again since is left as it is now.

    Only the device that made an edit undoes it ("your own last changes"); a quantity gets back
    what the edit added or took, so adjustments made elsewhere meanwhile still count.
    """
    if not edit.by_device(device_id):
        raise CannotUndo(f"that change was made by {edit.who}; only the device that made a change can undo it")
    record_type = COLLECTIONS[edit.collection]
    collection = doc.collection(record_type)

    def apply() -> Undone:
        current = collection.get(edit.record_id)
        if edit.created:
            if current.archived:
                raise CannotUndo(f"{current.title} is archived already")
            return Undone(collection.archive(edit.record_id), ("archived",))
        values: dict[str, Any] = {}
        restored: list[str] = []
        kept: list[str] = []
        tally_moves: list[tuple[str, float]] = []
        for change in edit.fields:
            now = getattr(current, change.field)
            if change.spec.kind is FieldKind.TALLY:
                tally_moves.append((change.field, float(change.old) - float(change.new)))
                restored.append(change.label)
            elif now == change.new:
                values[change.field] = change.old
                restored.append(change.label)
            else:
                kept.append(change.label)
        if not restored:
            raise CannotUndo(f"everything that change set was changed again since ({', '.join(kept)})")
        record = collection.update(edit.record_id, **values) if values else current
        for name, delta in tally_moves:
            record = collection.adjust(edit.record_id, name, delta)
        return Undone(record, tuple(restored), tuple(kept))

    return doc.atomic(apply)


def describe(edit: Edit, *, width: int = 60) -> list[str]:
    """Plain lines for one edit: a head line, then each field's old and new value."""
    when = edit.when.strftime("%Y-%m-%d %H:%M") if edit.when else "(no time)"
    lines = [f"{when}  {edit.who}: {edit.summary()}"]
    if edit.created:
        return lines
    for change in edit.fields:
        old, new = _short(change.old_text, width), _short(change.new_text, width)
        lines.append(f"  {change.label}: {old or '(empty)'} → {new or '(empty)'}")
    return lines


def _short(text: str, width: int) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"
