"""The group document: one Automerge document holding every collection a MAG keeps.

This facade is the only place that opens Automerge transactions. Each change is committed,
handed to the journal (the durable store) before the caller hears it is saved, and then
announced to listeners (the sync node, the screens).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from automerge.core import ROOT, Document, Message, ObjType, ScalarType, SyncState, Transaction

from magnet import collisions, crdt, patches, readmodel
from magnet.collection import Collection, child_map, decode_collection, new_id, put_scalar, write_entry
from magnet.errors import MagnetError, StoreError, ValidationError
from magnet.fields import parse_entry, parse_value
from magnet.migrations import SCHEMA_VERSION, STEPS, creation_change
from magnet.objectindex import ObjectIndex
from magnet.record import Record, decode_record
from magnet.records import (
    COLLECTIONS,
    RECORD_TYPES,
    Announcement,
    CallTreeLink,
    Certification,
    Channel,
    CheckIn,
    Course,
    Device,
    Event,
    Exchange,
    Feedback,
    Goal,
    GroupProfile,
    Household,
    InventoryItem,
    Loan,
    Member,
    Need,
    Partner,
    Role,
    Survey,
    SurveyResponse,
    TrainingRecord,
)

PROFILE_KEY = "group"
# The maps at the document's root: every collection, and the group's profile.
ROOT_MAPS = (*COLLECTIONS, PROFILE_KEY)
# A merge whose diff holds more patches than this is not read patch by patch: every collection is
# re-read, and only the patches that report a collision are parsed.
PATCH_PARSE_LIMIT = 20_000
# A review reads up to this many merged changes' own ops; beyond, one diff costs less.
PARSE_CHANGES_LIMIT = 2_000
# Writes whose answer, handed back from another process, is the id of the record they wrote.
RETURNS_RECORD = frozenset({"add", "update", "archive", "restore", "adjust"})
# A collection this small is read again in full after a merge rather than waiting for a review.
READ_AGAIN_BELOW = 256
R = TypeVar("R", bound=Record)
T = TypeVar("T")
# Records changed, by collection: their ids, or None when it may be any of them.
Changed = dict[str, set[str] | None]


class WrongGroup(MagnetError):
    """Data from another group (or not a magnet document at all)."""


class NeedsDocument(MagnetError):
    """A document read from the read model was asked for something only history can answer."""


class CannotForward(MagnetError):
    """A write could not be handed to the process that holds the whole document (it is not running)."""


@runtime_checkable
class RemoteWrites(Protocol):
    """The process that holds the group's whole document, making writes for one that reads its
    read model (the app, whose node runs in a process of its own: sync.process_node)."""

    def call(self, target: str, op: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run `op` on collection `target` (or the profile) there; its records are fed back first."""
        ...


class _NoDocument:
    """Stands in for the Automerge document of a group read from its read model.

    Whatever is asked of it opens the whole document first when the owner can (`open_whole`: the
    app's session sets it), so rare work (history, a spreadsheet's round trip) still works.
    """

    def __init__(self, owner: GroupDocument) -> None:
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        self._owner.need_whole(name)
        return getattr(self._owner._doc, name)


@dataclass(frozen=True)
class DocChange:
    """What listeners hear after the document changed."""

    origin: str  # "local": made here; "remote": merged from a peer, a bundle or another process
    collections: frozenset[str] | None  # None when unknown (a merge can touch anything)
    changes: tuple[bytes, ...]  # the new raw changes


class Journal(Protocol):
    """Where committed changes go before anyone is told they are saved."""

    def record(self, doc: GroupDocument, changes: Sequence[bytes]) -> None: ...


class GroupDocument:
    """One group's records; every collection is an attribute (`doc.members`, `doc.inventory`, ...).

    The attributes are made from `RECORD_TYPES`; the annotations below only type them (a test
    checks that every kind has one).
    """

    members: Collection[Member]
    households: Collection[Household]
    roles: Collection[Role]
    devices: Collection[Device]
    surveys: Collection[Survey]
    responses: Collection[SurveyResponse]
    needs: Collection[Need]
    goals: Collection[Goal]
    events: Collection[Event]
    feedback: Collection[Feedback]
    channels: Collection[Channel]
    announcements: Collection[Announcement]
    call_tree: Collection[CallTreeLink]
    partners: Collection[Partner]
    courses: Collection[Course]
    trainings: Collection[TrainingRecord]
    certifications: Collection[Certification]
    inventory: Collection[InventoryItem]
    loans: Collection[Loan]
    checkins: Collection[CheckIn]
    exchanges: Collection[Exchange]

    def __init__(self, doc: Document, device_id: str, *, model: readmodel.ReadModel | None = None) -> None:
        self._doc = doc
        self._model = model  # set only for a document read from the read model (see `reading`)
        self._seed: readmodel.ReadModel | None = None  # see `seed`
        self.device_id = device_id
        self.actor_key = doc.get_actor().hex() if model is None else ""
        self._lock = threading.RLock()
        self._journal: Journal | None = None
        self._listeners: list[Callable[[DocChange], None]] = []
        self._versions: dict[str, int] = {}
        self._cache: dict[str, tuple[int, list[Any], dict[str, Any]]] = {}
        self._objs: dict[str, bytes] = {}
        self._durable_heads: list[bytes] = doc.get_heads() if model is None else []
        # Records changed since the read model was last written, by collection (None for a
        # collection: all of it; None: anything), so it is written again from what changed.
        self._dirty: Changed | None = {}
        # Remote changes not yet looked at: the heads before them, and views of what arrived.
        self._review_from: list[bytes] | None = None
        self._review_views: list[list[bytes]] = []
        # ...and those changes themselves, while few enough to read (None: too many, diff instead).
        self._review_changes: list[bytes] | None = []
        self._index = ObjectIndex()
        # Collections read again in full since the last merge, while its review waits.
        self._read_since_merge: set[str] = set()
        # Read from the read model: what was fed since (records by id, None when gone), the heads
        # they bring it to, where writes go, and how to open the whole document when asked.
        self._fed: dict[str, dict[str, Any]] = {}
        self._fed_heads: list[bytes] | None = None
        self.remote: RemoteWrites | None = None
        self.open_whole: Callable[[], object] | None = None
        # Holding the whole document for one that reads (the node's process feeding the app):
        # records changed since `take_changed` (None for a collection: all of it; None: anything).
        self.feeding = False
        self._changed: Changed | None = {}
        for record_type in RECORD_TYPES:
            setattr(self, record_type.COLLECTION, Collection(self, record_type))

    # ---- creating and opening ---------------------------------------------------------------

    @classmethod
    def create(cls, name: str, *, device_id: str, group_id: str, created: date | None = None) -> GroupDocument:
        """A new group: its identity and profile, and every collection from the schema steps.

        The collections come from the steps' deterministic changes (see magnet.migrations), the
        same changes an older group gets when it is upgraded, so no two devices ever make two
        maps for one collection.
        """
        profile_name = parse_value(GroupProfile.spec("name"), name)
        doc = Document(actor_id=crdt.new_actor_id(device_id))
        with doc.transaction() as tx:
            tx.put(ROOT, "schema", ScalarType.Int, SCHEMA_VERSION)
            tx.put(ROOT, "group_id", ScalarType.Str, group_id)
            profile = tx.put_object(ROOT, PROFILE_KEY, ObjType.Map)
            tx.put(profile, "name", ScalarType.Str, profile_name)
            tx.put(profile, "created", ScalarType.Str, (created or date.today()).isoformat())
            tx.put_object(profile, "rally_points", ObjType.Map)
        crdt.apply_changes(doc, [creation_change(collection) for step in STEPS for collection in step.collections])
        return cls(doc, device_id)

    @classmethod
    def reading(cls, model: readmodel.ReadModel, *, device_id: str) -> GroupDocument:
        """The group as its read model holds it: every read works, without loading history.

        Anything that needs the Automerge document (a write, a save, sync) raises `NeedsDocument`
        and the caller opens the group in full, unless `open_whole` is set (it opens it in place)
        or `remote` is (writes are made by the process holding the document, which feeds back).
        """
        group = cls(cast(Document, None), device_id, model=model)
        group._doc = cast(Document, _NoDocument(group))
        return group

    @property
    def reading_only(self) -> bool:
        """Whether this is the group as its read model holds it (see `reading` and `adopt`)."""
        return self._model is not None

    def need_whole(self, what: str) -> None:
        """Open the whole document here if this copy reads its read model (`open_whole`), or say
        that `what` needs it."""
        if self._model is not None and self.open_whole is not None:
            self.open_whole()
        if self._model is not None:
            raise NeedsDocument(f"reading from the read model: {what} needs the group's full document")

    def adopt(self, full: GroupDocument) -> bool:
        """Become `full`, the whole document of the group this one was read from its read model.

        The app shows its first screen from the read model and opens the whole document after:
        the screens, and the listeners, hold this object, so it takes over `full`'s document and
        state in place. Records already read stay when the document holds exactly what the read
        model did; otherwise every collection is read again and listeners hear of it. Returns
        whether it had moved on. `full` must not be used afterwards.
        """
        with self._lock:
            model = self._model
            if model is None:
                raise ValueError("only a document read from its read model adopts a whole one")
            if full.group_id != model.group_id:
                raise WrongGroup("that document belongs to another group")
            shown = sorted(self._fed_heads if self._fed_heads is not None else model.heads)
            with full._lock:
                kept = {"_lock", "_listeners", "_cache", "_versions", *COLLECTIONS}
                self.__dict__.update((k, v) for k, v in full.__dict__.items() if k not in kept)
                moved = shown != sorted(self._doc.get_heads())
                if moved:
                    for name in self._cache:
                        self._versions[name] = self._versions.get(name, 0) + 1
        if moved:
            self._tell(DocChange("remote", None, ()))
        return moved

    @classmethod
    def load(cls, data: bytes, *, device_id: str) -> GroupDocument:
        """Open saved bytes as a group document, with this process's own actor id."""
        doc = crdt.load(data)
        doc.set_actor(crdt.new_actor_id(device_id))
        group = cls(doc, device_id)
        group.check_is_group()
        return group

    @classmethod
    def from_document(cls, doc: Document, *, device_id: str) -> GroupDocument:
        doc.set_actor(crdt.new_actor_id(device_id))
        group = cls(doc, device_id)
        group.check_is_group()
        return group

    def check_is_group(self) -> None:
        if not self.group_id:
            raise WrongGroup("this is not a magnet group document (no group id)")

    def upgrade(self) -> list[str]:
        """Bring a group an earlier magnet wrote forward; what the person should hear about it.

        Steps are idempotent: a step whose collections exist is skipped, and running the same
        upgrade on two devices while apart makes the same change on both. A group a newer magnet
        wrote is left as it is (nothing this version does not know is touched or stripped).
        """
        notices: list[str] = []
        found = self.schema
        if found > SCHEMA_VERSION:
            notices.append(
                f"a newer magnet has written to this group (schema {found}; this magnet knows {SCHEMA_VERSION}): "
                "what this version does not know is kept as it is; update magnet to see and edit it"
            )
        try:
            for step in STEPS:
                for name in step.collections:
                    self.ensure_collection(name)
                if step.upgrade is not None and found < step.number:
                    step.upgrade(self)
            if found < SCHEMA_VERSION:
                with self.change(PROFILE_KEY) as tx:
                    tx.put(ROOT, "schema", ScalarType.Int, SCHEMA_VERSION)
        except StoreError as exc:
            notices.append(f"the upgrade to schema {SCHEMA_VERSION} is not saved yet ({exc}); it is redone next time")
        return notices

    # ---- identity ---------------------------------------------------------------------------

    @property
    def group_id(self) -> str:
        if self._model is not None:
            return self._model.group_id
        value = self._get_root_scalar("group_id")
        return value if isinstance(value, str) else ""

    @property
    def schema(self) -> int:
        if self._model is not None:
            return self._model.schema
        value = self._get_root_scalar("schema")
        return value if isinstance(value, int) else 0

    def _get_root_scalar(self, key: str) -> object:
        with self._lock:
            found = self._doc.get(ROOT, key)
        if found is None or isinstance(found[0], ObjType):
            return None
        return found[0][1]

    # ---- the profile ------------------------------------------------------------------------

    @property
    def profile(self) -> GroupProfile:
        if self._model is not None:
            return decode_record(GroupProfile, PROFILE_KEY, self.raw(PROFILE_KEY))
        with self._lock:
            obj = self.collection_obj(PROFILE_KEY)
            raw = crdt.read_map(self._doc, obj)
        return decode_record(GroupProfile, PROFILE_KEY, raw)

    def update_profile(self, **values: Any) -> GroupProfile:
        if (remote := self.forwarding()) is not None:
            return cast(GroupProfile, self.forward(remote, PROFILE_KEY, "update_profile", (), values))
        specs = GroupProfile.specs()
        current = self.profile
        changed: dict[str, Any] = {}
        for key, raw in values.items():
            if key not in specs:
                raise ValidationError(key, "the group profile has no such field")
            value = parse_value(specs[key], raw)
            if getattr(current, key) != value:
                changed[key] = value
        if changed:
            with self.change(PROFILE_KEY) as tx:
                obj = self.collection_obj(PROFILE_KEY)
                for key, value in changed.items():
                    put_scalar(tx, obj, key, specs[key], value)
        return self.profile

    def put_rally_point(self, entry_id: str | None = None, **values: Any) -> str:
        """Add or change a rally point (the profile's entries), field by field."""
        if (remote := self.forwarding()) is not None:
            return cast(str, self.forward(remote, PROFILE_KEY, "put_rally_point", (entry_id,), values))
        spec = GroupProfile.spec("rally_points")
        existing = self.profile.rally_points
        base = existing.get(entry_id, {}) if entry_id else {}
        parsed = parse_entry(spec, {**{k: v for k, v in base.items() if k in spec.entry_fields}, **values})
        entry_id = entry_id or new_id()
        with self.change(PROFILE_KEY) as tx:
            points = child_map(tx, self.collection_obj(PROFILE_KEY), "rally_points")
            write_entry(tx, points, spec, entry_id, old=base, new=parsed)
        return entry_id

    # ---- collections ------------------------------------------------------------------------

    def collection(self, record_type: type[R]) -> Collection[R]:
        return cast(Collection[R], getattr(self, record_type.COLLECTION))

    def collections(self) -> list[Collection[Any]]:
        return [getattr(self, name) for name in COLLECTIONS]

    def has_collection(self, name: str) -> bool:
        if self._model is not None:
            return name in self._model.names()
        with self._lock:
            found = self._doc.get(ROOT, name)
        return found is not None and found[0] == ObjType.Map

    def collection_obj(self, name: str) -> bytes:
        """The Automerge object id of a root map (looked up again after every merge)."""
        obj = self._objs.get(name)
        if obj is None:
            with self._lock:
                found = self._doc.get(ROOT, name)
            if found is None or found[0] != ObjType.Map:
                raise WrongGroup(f"the group document has no {name!r} collection")
            obj = self._objs[name] = found[1]
        return obj

    def ensure_collection(self, name: str) -> None:
        """Create a known collection that is missing, with its schema step's deterministic change."""
        if name in COLLECTIONS and not self.has_collection(name):
            self._merge(_applying(creation_change(name)), "local")

    def read_collection(self, record_type: type[R]) -> list[R]:
        """Every record of a kind, decoded once per document version and then cached."""
        return cast(list[R], self._cached(record_type)[0])

    def record_index(self, record_type: type[R]) -> dict[str, R]:
        return cast(dict[str, R], self._cached(record_type)[1])

    def _cached(self, record_type: type[Record]) -> tuple[list[Any], dict[str, Any]]:
        name = record_type.COLLECTION
        with self._lock:
            hit = self._cache.get(name)
            if self._review_from is not None and name not in self._read_since_merge:
                if (hit is None or len(hit[1]) <= READ_AGAIN_BELOW) and not self._collided_at_root(name):
                    # Reading a small collection again costs less than the diff a review runs
                    # (a remote change's membership check reads the devices this way); the review
                    # itself, with its healing, comes with the next larger read or write.
                    self._versions[name] = self._versions.get(name, 0) + 1
                    self._objs.pop(name, None)
                    self._read_since_merge.add(name)
                else:
                    self.review()
            version = self._versions.get(name, 0)
            hit = self._cache.get(name)
            if hit is not None and hit[0] == version:
                return hit[1], hit[2]
            if self._model is not None:
                raw = self.raw(name)
            elif (seeded := self._seeded(name)) is not None:
                raw = seeded
            else:
                # A collection this copy does not have yet (made by a later step) reads as empty.
                raw = crdt.read_map(self._doc, self.collection_obj(name)) if self.has_collection(name) else {}
            records = decode_collection(record_type, raw)
            index = {r.id: r for r in records}
            self._cache[name] = (version, records, index)
            return records, index

    def seed(self, model: readmodel.ReadModel) -> bool:
        """Take first reads from `model` while the document is exactly what `model` was made from.

        The read model holds the plain values a read of the document gives, without walking
        Automerge's objects: a large group's first screen decodes in half the time. Any change,
        local or merged, moves the heads, and every later read comes from the document again.
        """
        with self._lock:
            if model.group_id != self.group_id or model.schema != self.schema or not self._same_heads(model):
                return False
            self._seed = model
            return True

    def _seeded(self, name: str) -> dict[str, Any] | None:
        seed = self._seed
        if seed is None or name not in seed.names():
            return None
        if not self._same_heads(seed):
            self._seed = None  # the document has moved on
            return None
        try:
            return seed.raw(name)
        except (readmodel.ReadModelDamaged, StoreError, ValueError, TypeError):
            self._seed = None  # a damaged or unreadable part: the document answers instead
            return None

    def _same_heads(self, model: readmodel.ReadModel) -> bool:
        return sorted(model.heads) == sorted(self._doc.get_heads())

    # ---- changing ---------------------------------------------------------------------------

    def set_journal(self, journal: Journal | None) -> None:
        self._journal = journal

    def add_listener(self, listener: Callable[[DocChange], None]) -> Callable[[], None]:
        """Hear every change after it is durable; returns a function that stops listening."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    @contextmanager
    def change(self, collection: str, *record_ids: str) -> Iterator[Transaction]:
        """One atomic, durable change to `record_ids` of `collection` (all of it when none named).

        Never hold it across an await: rc1 cannot sync while a transaction is open.
        """
        with self._lock:
            if self._review_from is not None:
                self.review()
            self.ensure_collection(collection)
            before = self._doc.get_heads()
            with self._doc.transaction() as tx:
                yield tx
            self._after_change(before, "local", {collection: frozenset(record_ids)})

    def _after_change(
        self,
        before: list[bytes],
        origin: str,
        touched: dict[str, frozenset[str]] | None,
        *,
        journal: bool = True,
        views: Sequence[list[bytes]] = (),
    ) -> tuple[bytes, ...]:
        if self._doc.get_heads() == before:
            return ()
        new = tuple(crdt.changes_since(self._doc, before))
        failure: StoreError | None = None
        if journal and self._journal is not None:
            # Everything since the last durable point, so a change that failed to reach the
            # disk earlier (a full disk) is written with this one.
            pending = (
                new if self._durable_heads == before else tuple(crdt.changes_since(self._doc, self._durable_heads))
            )
            try:
                self._journal.record(self, pending)
            except StoreError as exc:
                failure = exc  # the durable point stays where it was; the next commit retries
        if failure is None:
            self._durable_heads = self._doc.get_heads()
        # The change is in the document either way: readers and listeners see it (a change kept
        # in memory must not look lost, or the user types it again), then the caller hears why
        # it is not on disk yet.
        if touched is None:
            # A merge: looked at once, before the next read or write (see `review`), so a burst
            # of remote changes costs one diff, not one per change.
            if self._review_from is None:
                self._review_from = before
                self._review_changes = []
            if self._review_changes is not None:
                self._review_changes.extend(new)
                if len(self._review_changes) > PARSE_CHANGES_LIMIT:
                    self._review_changes = None
            self._review_views.extend(views)
            self._read_since_merge.clear()
        else:
            self._refresh_cache(touched)
        self._tell(DocChange(origin, frozenset(touched) if touched is not None else None, new))
        if failure is not None:
            raise failure
        return new

    def _merge(
        self,
        action: Callable[[Document], object],
        origin: str,
        *,
        journal: bool = True,
        views: Sequence[list[bytes]] = (),
    ) -> tuple[bytes, ...]:
        """Run a merge-like `action` on the document under the lock, then journal and announce it."""
        with self._lock:
            before = self._doc.get_heads()
            try:
                action(self._doc)
            except BaseException:
                self._keep_partial(before, origin, journal=journal, views=views)
                raise
            return self._after_change(before, origin, None, journal=journal, views=views)

    def _keep_partial(
        self, before: list[bytes], origin: str, *, journal: bool = True, views: Sequence[list[bytes]] = ()
    ) -> None:
        """A merge refused part-way: rc1 keeps the changes it applied before the bad one.

        Those are in the document now, so they are journaled, reviewed and announced like any
        merge; otherwise they would be in memory only, unsaved and unseen by the screens.
        """
        if self._doc.get_heads() != before:
            self._after_change(before, origin, None, journal=journal, views=views)

    def _views(self, before: list[bytes]) -> list[list[bytes]]:
        """Where to look for a map a merge hid: before it, and at each head that came with it."""
        return [before, *self._review_views, *([head] for head in self._doc.get_heads() if head not in before)]

    def _collided_at_root(self, name: str) -> bool:
        """Whether the merges waiting for review hid a map at this root key (cheap: a few reads)."""
        assert self._review_from is not None
        return bool(collisions.find_hidden(self._doc, [(ROOT, name)], self._views(self._review_from)))

    def review(self) -> patches.Touched | None:
        """Look at what remote changes since the last review did: heal collisions, refresh the cache.

        Any map a merge hid behind another made at the same key (see magnet.collisions) is folded
        into the one shown, as a local change that syncs like any other. Returns what was touched
        (None when nothing was waiting, or when the merge was too large to say record by record).
        """
        with self._lock:
            before = self._review_from
            if before is None:
                return None
            views = self._views(before)
            self._review_from, self._review_views = None, []
            self._read_since_merge.clear()
            self._objs.clear()
            after = self._doc.get_heads()
            if not before:
                # Nothing was here before: nothing can have been hidden.
                self._refresh_cache(None)
                return None
            changes, self._review_changes = self._review_changes, []
            read = self._index.touched(self._doc, changes, ROOT_MAPS) if changes else None
            if read is not None:
                # The changes' own ops say it, at the cost of their size (magnet.objectindex).
                touched, keys = read[0], set(read[1])
            else:
                raw = self._doc.diff(before, after)
                if len(raw) > PATCH_PARSE_LIMIT:
                    found = [patches.parse(text) for text in map(repr, raw) if "onflict" in text]
                    touched = None
                else:
                    found = patches.parse_all(raw)
                    touched = patches.touched(found)
                keys = {(p.obj.to_bytes(), p.prop) for p in found if p.collides and isinstance(p.prop, str)}
            keys |= {(ROOT, name) for name in ROOT_MAPS}
            hidden = collisions.find_hidden(self._doc, keys, views)
            if hidden:
                self._index.forget()  # a fold moves what was under the hidden map
                self._heal(hidden)
                self._refresh_cache(None)  # a fold can reach anywhere: every collection is read again
                return None
            if touched is None:
                self._refresh_cache(None)
            else:
                refresh = {name: frozenset(ids) for name, ids in touched.records.items()}
                refresh.update((name, frozenset()) for name in touched.whole)
                self._refresh_cache(refresh)
            return touched

    def take_dirty(self) -> Changed | None:
        """Records changed since the last call (as `take_changed` says them), after looking at merges."""
        with self._lock:
            self.review()
            dirty, self._dirty = self._dirty, {}
            return dirty

    def _heal(self, hidden: Sequence[collisions.Hidden]) -> None:
        before = self._doc.get_heads()
        with self._doc.transaction() as tx:
            for found in hidden:
                collisions.fold(tx, found.shown, found.hidden)
        self._after_change(before, "local", dict.fromkeys(COLLECTIONS, frozenset()))

    def _refresh_cache(self, touched: dict[str, frozenset[str]] | None) -> None:
        """Re-read only the records a local change touched; anything else invalidates."""
        self._dirty = noted(self._dirty, touched)
        if self.feeding:
            self._changed = noted(self._changed, touched)
        if touched is None:
            for name in list(self._cache):
                self._versions[name] = self._versions.get(name, 0) + 1
            return
        for name, ids in touched.items():
            if ids and self._read_now(name):
                self._patch_cached(name, self.record_values(name, ids))
            else:
                self._versions[name] = self._versions.get(name, 0) + 1

    def _read_now(self, name: str) -> bool:
        """Whether a collection of a known kind is read, at its current version."""
        hit = self._cache.get(name)
        return hit is not None and name in COLLECTIONS and hit[0] == self._versions.get(name, 0)

    def _patch_cached(self, name: str, values: Mapping[str, Any]) -> None:
        """Decode again only these records (stored values, None when gone) of a collection read."""
        record_type = COLLECTIONS[name]
        version, _, index = self._cache[name]
        for record_id, raw in values.items():
            if isinstance(raw, dict):
                index[record_id] = decode_record(record_type, record_id, raw)  # keeps its place
            else:
                index.pop(record_id, None)
        self._cache[name] = (version, list(index.values()), index)

    # ---- feeding a copy that reads its read model (the node's process, for the app) -----------

    def take_changed(self) -> Changed | None:
        """Records changed since the last call, after looking at merges: by collection, a set of
        ids or None (all of it); None for everything. Kept only while `feeding`."""
        with self._lock:
            self.review()
            changed, self._changed = self._changed, {}
            return changed

    def touched_since(self, heads: Sequence[bytes]) -> Changed | None:
        """Records changed since `heads`, read from the changes themselves (as `take_changed` says
        them); None when it cannot say: heads this document lacks, too many changes, an op it
        cannot place."""
        with self._lock:
            if not heads or not crdt.has_heads(self._doc, heads):
                return None
            changes = crdt.changes_since(self._doc, heads)
            if len(changes) > PARSE_CHANGES_LIMIT:
                return None
            read = self._index.touched(self._doc, changes, ROOT_MAPS)
            if read is None:
                return None
            found: Changed = {name: set(ids) for name, ids in read[0].records.items()}
            found.update((name, None) for name in read[0].whole)
            return found

    def record_values(self, name: str, ids: Iterable[str]) -> dict[str, Any]:
        """Plain values of some records as stored, None for one that is gone (the profile: by its key)."""
        with self._lock:
            if name == PROFILE_KEY:
                return {PROFILE_KEY: self.raw(PROFILE_KEY)}
            values: dict[str, Any] = dict.fromkeys(ids)
            if not self.has_collection(name):
                return values
            collection_obj = self.collection_obj(name)
            for record_id in values:
                found = self._doc.get(collection_obj, record_id)
                if found is not None and found[0] == ObjType.Map:
                    values[record_id] = crdt.read_map(self._doc, found[1])
            return values

    def take_records(self, records: dict[str, dict[str, Any]], heads: Sequence[bytes], origin: str) -> None:
        """Records the process holding the whole document fed this copy (None: gone); listeners hear.

        Only a copy that reads its read model takes them: once the whole document is open here,
        changes come through the store like any other process's.
        """
        with self._lock:
            if self._model is None:
                return
            for name, values in records.items():
                if name == PROFILE_KEY:
                    if isinstance(values.get(PROFILE_KEY), dict):
                        self._fed[name] = dict(values)
                    continue
                if name not in COLLECTIONS:
                    continue  # a kind this version does not know
                self._fed.setdefault(name, {}).update(values)
                if self._read_now(name):  # else read from the model and what was fed when asked for
                    self._patch_cached(name, values)
            self._fed_heads = list(heads)
        self._tell(DocChange(origin, frozenset(records), ()))

    def take_model(self, model: readmodel.ReadModel) -> None:
        """A newer read model for this copy (after a change too large to feed record by record)."""
        with self._lock:
            if self._model is None:
                return
            if model.group_id != self._model.group_id:
                raise WrongGroup("that read model belongs to another group")
            self._model, self._fed, self._fed_heads = model, {}, None
            for name in list(self._cache):
                self._versions[name] = self._versions.get(name, 0) + 1
        self._tell(DocChange("remote", None, ()))

    def _tell(self, event: DocChange) -> None:
        for listener in list(self._listeners):
            listener(event)

    def forwarding(self) -> RemoteWrites | None:
        """Where writes go instead of here: set for a copy that reads its read model."""
        return self.remote if self._model is not None else None

    def forward(self, remote: RemoteWrites, target: str, op: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Make a write in the process that holds the whole document; what it returns, as ids.

        When that process cannot take it (it is not running), the whole document is opened here
        (`open_whole`) and the write is made here instead.
        """
        try:
            result = remote.call(target, op, args, kwargs)
        except CannotForward:
            self.need_whole(f"{op} without sync running")
            receiver: Any = self if target == PROFILE_KEY else getattr(self, target)
            return getattr(receiver, op)(*args, **kwargs)
        # The records it wrote were fed here before it answered: its ids are read here.
        if target == PROFILE_KEY:
            return self.profile if op == "update_profile" else result
        collection: Collection[Any] = getattr(self, target)
        if op == "add_many":
            index = self.record_index(collection.record_type)
            return [index[record_id] for record_id in result]
        if op in RETURNS_RECORD:
            return collection.get(result)
        return result

    def flush(self) -> None:
        """Retry writing changes the journal refused earlier (e.g. after freeing disk space)."""
        with self._lock:
            if self._journal is not None and self._durable_heads != self._doc.get_heads():
                self._journal.record(self, crdt.changes_since(self._doc, self._durable_heads))
                self._durable_heads = self._doc.get_heads()

    @property
    def unsaved(self) -> bool:
        return self._durable_heads != self.heads()

    # ---- what the sync engine and the store see ---------------------------------------------

    def heads(self) -> list[bytes]:
        if self._model is not None:
            return list(self._model.heads if self._fed_heads is None else self._fed_heads)
        with self._lock:
            return self._doc.get_heads()

    def has_heads(self, heads: Sequence[bytes]) -> bool:
        with self._lock:
            return crdt.has_heads(self._doc, heads)

    def save(self) -> bytes:
        with self._lock:
            return self._doc.save()

    def changes_since(self, heads: Sequence[bytes]) -> list[bytes]:
        with self._lock:
            return crdt.changes_since(self._doc, heads)

    def change_count(self) -> int:
        with self._lock:
            return len(self._doc.get_changes([]))

    def apply_changes(self, changes: Sequence[bytes], *, journal: bool = True) -> tuple[bytes, ...]:
        """Merge changes from elsewhere; returns the ones that were new here."""
        return self._merge(lambda doc: crdt.apply_changes(doc, changes), "remote", journal=journal)

    def merge_saved(self, data: bytes, *, journal: bool = True) -> tuple[bytes, ...]:
        """Merge a whole saved document (a snapshot from a peer, a bundle from a USB stick)."""
        other = crdt.load(data)
        other_id = other.get(ROOT, "group_id")
        if other_id is None or isinstance(other_id[0], ObjType) or other_id[0][1] != self.group_id:
            raise WrongGroup("that data belongs to another group")
        return self._merge(self._merge_document(other), "remote", journal=journal, views=[other.get_heads()])

    def generate_sync_message(self, state: SyncState) -> bytes | None:
        """The next Automerge sync message for a peer, or None when there is nothing to say."""
        with self._lock:
            try:
                message = self._doc.generate_sync_message(state)
            except BaseException as exc:  # rc1 panics on a peer's damaged bloom filter
                if not crdt.is_binding_failure(exc):
                    raise
                raise crdt.CrdtError(f"cannot answer that peer: {exc}") from exc
        return None if message is None else message.encode()

    def receive_sync_message(self, state: SyncState, message: bytes) -> tuple[bytes, ...]:
        """Apply a peer's sync message; new changes are journaled and announced like any merge."""
        try:
            decoded = Message.decode(message)
        except BaseException as exc:
            if not crdt.is_binding_failure(exc):
                raise
            raise crdt.CrdtError(f"invalid sync message: {exc}") from exc
        with self._lock:
            before = self._doc.get_heads()
            try:
                self._doc.receive_sync_message(state, decoded)
            except BaseException as exc:
                self._keep_partial(before, "remote")
                if not crdt.is_binding_failure(exc):
                    raise
                raise crdt.CrdtError(f"invalid sync message: {exc}") from exc
            return self._after_change(before, "remote", None)

    def atomic(self, action: Callable[[], T]) -> T:
        """Run a read-modify-write of several steps with no other thread changing the document.

        The lock is re-entrant, so `action` uses the ordinary collection methods. A copy whose
        writes are made by another process (`forwarding`) runs it without the lock: that process
        orders the writes, and its answers are fed to this copy under the same lock.
        """
        if self.forwarding() is not None:
            return action()
        with self._lock:
            return action()

    def with_automerge(self, action: Callable[[Document], T]) -> T:
        """Run `action` on the raw Automerge document under the lock (read-only uses: forks, tests).

        Writes made here bypass the journal and listeners; use the methods above instead.
        """
        with self._lock:
            self.need_whole("reading history")
            return action(self._doc)

    def fork(self) -> GroupDocument:
        """An independent copy with its own actor: for tests and what-if work."""
        with self._lock:
            copy = self._doc.fork()
        return GroupDocument.from_document(copy, device_id=self.device_id)

    def merge(self, other: GroupDocument) -> tuple[bytes, ...]:
        """Merge another in-memory copy of this group."""
        if other.group_id != self.group_id:
            raise WrongGroup("that document belongs to another group")
        return self._merge(lambda doc: other.with_automerge(doc.merge), "remote", views=[other.heads()])

    @staticmethod
    def _merge_document(other: Document) -> Callable[[Document], object]:
        return lambda doc: doc.merge(other)

    def raw(self, name: str) -> dict[str, Any]:
        """Plain values of one collection (or the profile), as stored: for the read model."""
        if self._model is not None:
            fed = self._fed.get(name)
            if not fed:
                return self._model.raw(name)
            if name == PROFILE_KEY:
                return dict(fed[PROFILE_KEY])
            return readmodel.patched(self._model.raw(name), fed)
        with self._lock:
            if self._review_from is not None:
                self.review()
            found = self._doc.get(ROOT, name)
            if found is None or found[0] != ObjType.Map:
                return {}
            return crdt.read_map(self._doc, found[1])

    def export(self) -> dict[str, Any]:
        """Plain values of the whole group (ids as keys), as stored."""
        if self._model is not None:
            plain: dict[str, Any] = {"schema": self.schema, "group_id": self.group_id}
            names = {PROFILE_KEY, *self._model.names(), *self._fed}
            plain.update((name, self.raw(name)) for name in sorted(names))
            return plain
        with self._lock:
            return crdt.read_map(self._doc, ROOT)


def noted(changed: Changed | None, touched: dict[str, frozenset[str]] | None) -> Changed | None:
    """`changed` with what `touched` names added (no ids for a collection: all of it)."""
    if touched is None or changed is None:
        return None
    for name, ids in touched.items():
        if not ids:
            changed[name] = None
        elif (known := changed.setdefault(name, set())) is not None:
            known.update(ids)
    return changed


def _applying(change: bytes) -> Callable[[Document], object]:
    return lambda doc: crdt.apply_changes(doc, [change])
