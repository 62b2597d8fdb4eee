"""One schema step and the deterministic change that creates its collections."""

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

    def creation_change(self) -> bytes:
        return creation_change(self.number, self.collections)


def step_actor(number: int) -> bytes:
    """The actor every device uses for step `number`'s change: the same everywhere, used for nothing else."""
    return hashlib.sha256(f"magnet schema step {number}".encode()).digest()[:16]


@cache
def creation_change(number: int, collections: tuple[str, ...]) -> bytes:
    """The one change that creates `collections` as empty maps at the root.

    Same actor, sequence 1, no dependencies, timestamp 0 (rc1 writes 0), same operations in the
    same order: every device computes the same bytes, hence the same change hash, and Automerge
    treats the copies as one change.
    """
    scratch = Document(actor_id=step_actor(number))
    with scratch.transaction() as tx:
        for name in sorted(collections):
            tx.put_object(ROOT, name, ObjType.Map)
    [change] = scratch.get_changes([])
    return bytes(change.bytes)
