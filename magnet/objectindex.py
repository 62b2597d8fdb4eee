"""Which record each Automerge object belongs to, so a merged change's own ops name what it touched.

`GroupDocument.review()` must know which records a merge touched (to decode only those again) and
where it made maps (a concurrent one may hide another, see magnet.collisions). rc1's diff answers
both at a cost that grows with the whole document; the changes answer them at the cost of their
own size (magnet.changeops) once their objects can be placed: a collection's map, a record's map,
or a map or list inside a record. The index learns the first two from one read per collection,
the rest when a change reaches into a record (its subtree is read), and every object a change
makes from the change itself. An op it still cannot place makes the answer None: ask for a diff.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from automerge.core import ROOT, Document, ObjType

from magnet.changeops import MAKES, ChangeFormatError, ObjKey, Op, parse_change
from magnet.crdt import op_id
from magnet.patches import Touched

# Reading the subtrees of more records than this to place a batch's ops costs more than a diff.
MAX_WALKS = 256


class ObjectIndex:
    """Object -> (root key, record id or None for the root map itself, rc1's id bytes if read)."""

    def __init__(self) -> None:
        self._owners: dict[ObjKey, tuple[str, str | None, bytes | None]] = {}
        self._records: dict[tuple[str, str], bytes] = {}
        self._built = False

    def forget(self) -> None:
        """Start again (a root map was made or folded: what was under it may have moved)."""
        self._owners.clear()
        self._records.clear()
        self._built = False

    def touched(
        self, doc: Document, changes: Sequence[bytes], roots: Iterable[str]
    ) -> tuple[Touched, set[tuple[bytes, str]]] | None:
        """The records `changes` (already merged into `doc`) touched, and where they made maps.

        None when some op cannot be placed or read: the caller diffs instead.
        """
        try:
            batches = [parse_change(change) for change in changes]
        except ChangeFormatError:
            return None
        roots = tuple(roots)
        if not self._built:
            self._build(doc, roots)
        records: dict[str, set[str]] = {}
        whole: set[str] = set()
        made: set[tuple[bytes, str]] = set()
        unplaced: list[Op] = []
        for op in (op for ops in batches for op in ops):
            if op.obj is None:
                if op.action in MAKES:
                    self.forget()
                    return None  # a collection made at the root: leave it to the diff and its healing
                if op.key is not None:
                    whole.add(op.key)
            elif not self._place(op, records, whole, made):
                unplaced.append(op)
        if unplaced:
            self._build(doc, roots)  # records made here since the index was built
            walks = [(root, rid) for root, ids in records.items() for rid in ids]
            if len(walks) > MAX_WALKS:
                return None
            for root, rid in walks:
                self._walk(doc, root, rid)
            if not all(self._place(op, records, whole, made) for op in unplaced):
                return None
        return Touched(records, whole), made

    def _place(self, op: Op, records: dict[str, set[str]], whole: set[str], made: set[tuple[bytes, str]]) -> bool:
        assert op.obj is not None
        owner = self._owners.get(op.obj)
        if owner is None:
            return False
        root, record_id, obj = owner
        if record_id is None:  # the collection's own map: the key is a record id
            if op.key is None:
                whole.add(root)
            else:
                records.setdefault(root, set()).add(op.key)
                if op.action in MAKES:
                    self._owners[op.id] = (root, op.key, None)
        else:
            records.setdefault(root, set()).add(record_id)
            if op.action in MAKES:
                self._owners[op.id] = (root, record_id, None)
        if op.action in MAKES and obj is not None and op.key is not None:
            made.add((obj, op.key))
        return True

    def _build(self, doc: Document, roots: Sequence[str]) -> None:
        for root in roots:
            found = doc.get(ROOT, root)
            if found is None or found[0] != ObjType.Map:
                continue
            obj = found[1]
            key = op_id(obj)
            if key is not None:
                self._owners[key] = (root, None, obj)
            for record_id, (value, child) in zip(doc.keys(obj), doc.values(obj), strict=True):
                if isinstance(value, ObjType) and (child_key := op_id(child)) is not None:
                    self._owners[child_key] = (root, record_id, child)
                    self._records[(root, record_id)] = child
        self._built = True

    def _walk(self, doc: Document, root: str, record_id: str) -> None:
        """Place every map and list inside one record."""
        top = self._records.get((root, record_id))
        waiting = [top] if top is not None else []
        while waiting:
            obj = waiting.pop()
            for value, child in doc.values(obj):
                if not isinstance(value, ObjType):
                    continue
                child_key = op_id(child)
                if child_key is not None:
                    self._owners[child_key] = (root, record_id, child)
                if value in (ObjType.Map, ObjType.List):
                    waiting.append(child)
