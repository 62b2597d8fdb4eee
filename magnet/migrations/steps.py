"""One schema step, and the deterministic change that creates a collection."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from automerge.core import ROOT, Document, ObjType

if TYPE_CHECKING:
    from magnet.document import GroupDocument


@dataclass(frozen=True)
class Step:
    """A numbered step of the schema: the collections it adds, and what it does to existing data."""

    number: int
    title: str
    upgrade: Callable[[GroupDocument], None] | None = None
    # The collections it creates; by default every kind whose `KIND.since` is this step.
    adds: tuple[str, ...] | None = None

    @property
    def collections(self) -> tuple[str, ...]:
        if self.adds is not None:
            return self.adds
        from magnet.records import RECORD_TYPES

        return tuple(cls.COLLECTION for cls in RECORD_TYPES if cls.KIND.since == self.number)


def collection_actor(name: str) -> bytes:
    """The actor every device uses to create collection `name`: the same everywhere, used for nothing else."""
    return hashlib.sha256(f"magnet collection {name}".encode()).digest()[:16]


@cache
def creation_change(name: str) -> bytes:
    """The one change that creates collection `name` as an empty map at the root.

    Same actor, sequence 1, no dependencies, timestamp 0 (rc1 writes 0), one operation: every
    device computes the same bytes, hence the same change hash, and Automerge treats the copies
    as one change. One change per collection, so a group missing one collection gets exactly
    that one, never a second map for a collection it has.
    """
    scratch = Document(actor_id=collection_actor(name))
    with scratch.transaction() as tx:
        tx.put_object(ROOT, name, ObjType.Map)
    [change] = scratch.get_changes([])
    return bytes(change.bytes)
