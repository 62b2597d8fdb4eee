"""What a merge changed, read from Automerge's patches: which records it touched, which maps collided.

automerge 1.0.0rc1 hands `Document.diff()` patches as opaque objects whose only readable form is
Rust's Debug text, e.g.

    Patch { obj: Id(7, ActorID("55.."), 0), path: [(Root, Map("members"))],
            action: PutMap { key: "notes", value: (Scalar(Str("x")), Id(9, ActorID(".."), 1)), conflict: false } }

The binding is pinned exactly, so this text is a stable format; it is parsed here, in one place,
with anchored patterns (no general Debug parser: a year-sized merge yields 100k patches). Scalar
values are not decoded: whoever needs a value reads it from the document (at any heads).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from automerge.core import ROOT

from magnet.crdt import uleb128

# One string literal in Rust Debug form: quotes, with backslash escapes inside.
_STR = r'"((?:[^"\\]|\\.)*)"'
_OBJ = r'(Root|Id\((\d+), ActorID\("([0-9a-f]*)"\), (\d+)\))'
_HEAD = re.compile(r"Patch \{ obj: " + _OBJ + r", path: \[")
_STEP = re.compile(r"\(" + _OBJ + r", (?:Map\(" + _STR + r"\)|Seq\((\d+)\))\)(, )?")
_ACTION = re.compile(r"\], action: (\w+) \{ ")
_KEYED = re.compile(r"(?:key|prop): (?:Map\()?" + _STR)
_SEQ_PROP = re.compile(r"(?:index|prop): (?:Seq\()?(\d+)")
_OBJECT_VALUE = re.compile(r", value: \(Object\((\w+)\)")
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|.)")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", '"': '"', "\\": "\\", "'": "'"}

Prop = str | int


@dataclass(frozen=True, slots=True)
class ObjRef:
    """An Automerge object as a patch names it: the op that created it, or the root."""

    counter: int = 0
    actor: str = ""  # hex
    actor_index: int = 0

    @property
    def is_root(self) -> bool:
        return not self.actor

    def to_bytes(self) -> bytes:
        """The id the binding's calls take (`doc.get(obj, ...)`); the root is `ROOT`."""
        if self.is_root:
            return ROOT
        actor = bytes.fromhex(self.actor)
        return b"\x10" + uleb128(len(actor)) + actor + uleb128(self.actor_index) + uleb128(self.counter)


@dataclass(frozen=True, slots=True)
class Patch:
    """One visible change: `action` on `prop` of the object at `path` (keys from the root)."""

    obj: ObjRef
    path: tuple[Prop, ...]
    action: str  # PutMap, DeleteMap, Conflict, Increment, PutSeq, Insert, DeleteSeq, SpliceText, Mark
    prop: Prop | None
    object_type: str | None  # "Map", "List" or "Text" when the value put is an object
    conflict: bool  # the key now holds several concurrent values; one is shown

    @property
    def collides(self) -> bool:
        """Two values (maybe two maps) now share this key: something may be hidden behind another."""
        return self.action == "Conflict" or self.conflict

    @property
    def full_path(self) -> tuple[Prop, ...]:
        return self.path if self.prop is None else (*self.path, self.prop)


class PatchFormatError(ValueError):
    """A patch whose text does not have the shape rc1 writes (a different binding version?)."""


def parse(text: str) -> Patch:
    """One patch from its Debug text."""
    head = _HEAD.match(text)
    if head is None:
        raise PatchFormatError(f"not a patch: {text[:80]!r}")
    obj = _obj(head, 1)
    pos = head.end()
    path: list[Prop] = []
    while True:
        step = _STEP.match(text, pos)
        if step is None:
            break
        path.append(_unescape(step[5]) if step[5] is not None else int(step[6]))
        pos = step.end()
        if not step[7]:
            break
    action = _ACTION.match(text, pos)
    if action is None:
        raise PatchFormatError(f"unexpected patch shape at {pos}: {text[pos : pos + 80]!r}")
    name = action[1]
    pos = action.end()
    prop: Prop | None = None
    keyed = _KEYED.match(text, pos)
    if keyed is not None:
        prop = _unescape(keyed[1])
        pos = keyed.end()
    else:
        seq = _SEQ_PROP.match(text, pos)
        if seq is not None:
            prop = int(seq[1])
            pos = seq.end()
    object_type: str | None = None
    conflict = False
    if name in ("PutMap", "PutSeq"):
        value = _OBJECT_VALUE.match(text, pos)
        object_type = value[1] if value is not None else None
        conflict = text.endswith("conflict: true } }")
    return Patch(obj, tuple(path), name, prop, object_type, conflict)


def parse_all(patches: Iterable[object]) -> list[Patch]:
    return [parse(repr(p)) for p in patches]


def _obj(match: re.Match[str], group: int) -> ObjRef:
    if match[group] == "Root":
        return ObjRef()
    return ObjRef(int(match[group + 1]), match[group + 2], int(match[group + 3]))


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    return _ESCAPE.sub(_one_escape, raw)


def _one_escape(match: re.Match[str]) -> str:
    code = match[1]
    if code.startswith("u{"):
        return chr(int(code[2:-1], 16))
    return _SIMPLE_ESCAPES.get(code, code)


# ---- what a set of patches touched ------------------------------------------------------------


@dataclass
class Touched:
    """Collections and records a merge changed. A collection in `whole` changed beyond its records."""

    records: dict[str, set[str]]
    whole: set[str]

    def collections(self) -> frozenset[str]:
        return frozenset(self.records) | frozenset(self.whole)


def touched(patches: Iterable[Patch]) -> Touched:
    """Which root keys (collections) and which keys under them (record ids) the patches reach."""
    records: dict[str, set[str]] = {}
    whole: set[str] = set()
    for patch in patches:
        full = patch.full_path
        if not full or not isinstance(full[0], str):
            continue
        if len(full) == 1:
            whole.add(full[0])  # the collection itself was put, deleted or collided
        elif isinstance(full[1], str):
            records.setdefault(full[0], set()).add(full[1])
        else:
            whole.add(full[0])
    return Touched(records, whole)
