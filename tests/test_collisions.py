"""Maps created twice at one key never cost a record: schema steps, lazy containers, foreign files."""

from __future__ import annotations

import random

from automerge.core import ROOT, Document, ObjType, ScalarType
from hypothesis import example, given, settings
from hypothesis import strategies as st

from magnet import crdt
from magnet.document import GroupDocument
from magnet.formats.bundle import merge_bundle
from magnet.home import OpenGroup
from magnet.migrations import creation_change
from magnet.records import COLLECTIONS

DEVICE_A = "a1" * 16
DEVICE_B = "b2" * 16
GROUP = "9f" * 16


def older_group(*, without: tuple[str, ...] = (), bare_member: str = "") -> Document:
    """A group as an older magnet made it: collections in its first change, some not yet invented.

    `bare_member` adds a member written before its container fields existed (no skills map,
    no languages, no roles), as records from older versions or other tools look.
    """
    doc = Document(actor_id=bytes.fromhex("c3" * 16))
    with doc.transaction() as tx:
        tx.put(ROOT, "schema", ScalarType.Int, 1)
        tx.put(ROOT, "group_id", ScalarType.Str, GROUP)
        profile = tx.put_object(ROOT, "group", ObjType.Map)
        tx.put(profile, "name", ScalarType.Str, "Maple St")
        tx.put_object(profile, "rally_points", ObjType.Map)
        for name in COLLECTIONS:
            if name not in without:
                made = tx.put_object(ROOT, name, ObjType.Map)
                if name == "members" and bare_member:
                    record = tx.put_object(made, bare_member, ObjType.Map)
                    tx.put(record, "name", ScalarType.Str, "Bob")
                    tx.put(record, "archived", ScalarType.Boolean, False)
    return doc


def device(doc: Document, device_id: str) -> GroupDocument:
    copy = GroupDocument.from_document(doc.fork(), device_id=device_id)
    copy.upgrade()
    return copy


def sync(a: GroupDocument, b: GroupDocument) -> None:
    """Merge both ways, let each side look at what arrived (healing), until both hold the same."""
    for _ in range(4):
        a.merge(b)
        b.merge(a)
        a.review()
        b.review()
        if a.heads() == b.heads():
            return
    raise AssertionError("the two copies did not converge")


def test_two_devices_upgrading_apart_create_a_missing_collection_once() -> None:
    base = older_group(without=("exchanges",))
    a, b = device(base, DEVICE_A), device(base, DEVICE_B)
    asked = a.exchanges.add(name="Ride to the pharmacy", kind="request")
    offered = b.exchanges.add(name="Spare generator", kind="offer")
    collection_a = a.collection_obj("exchanges")
    sync(a, b)
    for doc in (a, b):
        assert {r.id for r in doc.exchanges.all()} == {asked.id, offered.id}
        assert doc.collection_obj("exchanges") == collection_a  # the same map: nothing was hidden


def test_a_collection_is_created_by_the_same_bytes_on_every_device_and_every_run() -> None:
    doc = Document()
    crdt.apply_changes(doc, [creation_change("exchanges")])
    [made] = doc.get_changes([])
    assert made.deps == [] and made.seq == 1
    # Pinned: if a new Automerge binding encodes this change differently, devices on the old and
    # the new binding would make two maps where they must make one. Fail here first.
    assert made.hash.hex() == "95355b04f3c6708fc87daa5c72f39c1332f904d77eb260be36952fac2c797538"


def test_containers_two_devices_create_at_once_keep_both_sides_entries() -> None:
    base = older_group(bare_member="0000000000000b0b")
    a, b = device(base, DEVICE_A), device(base, DEVICE_B)
    a.roles.add(name="captain")  # the group's list (magnet.checks): a role is described before it is given
    a.members.update("0000000000000b0b", skills="radio: certified", languages="French", roles="captain")
    b.members.update("0000000000000b0b", skills="first aid", languages="Wolof")
    sync(a, b)
    for doc in (a, b):
        bob = doc.members.get("0000000000000b0b")
        assert bob.skills == {"radio": "certified", "first aid": "basic"}
        assert bob.languages == {"French", "Wolof"}
        assert bob.roles == {"captain"}


def test_a_quantity_two_devices_start_counting_at_once_adds_up() -> None:
    base = older_group()
    with base.transaction() as tx:
        items = tx.get(ROOT, "inventory")
        assert items is not None
        water = tx.put_object(items[1], "00000000000000aa", ObjType.Map)
        tx.put(water, "name", ScalarType.Str, "Water")
        tx.put(water, "quantity", ScalarType.F64, 40.0)  # a plain number, as another tool writes it
    a, b = device(base, DEVICE_A), device(base, DEVICE_B)
    a.inventory.adjust("00000000000000aa", "quantity", -6)
    b.inventory.adjust("00000000000000aa", "quantity", 10)
    sync(a, b)
    for doc in (a, b):
        assert doc.inventory.get("00000000000000aa").quantity == 44.0  # 40 - 6 + 10, the 40 counted once


Step = tuple[str, int]


@settings(max_examples=25, deadline=None)
@example(["tag-a", "tag-b"])
@example(["add-a", "tag-b", "b>a", "tag-a", "add-b"])
@given(st.lists(st.sampled_from(["add-a", "add-b", "tag-a", "tag-b", "a>b", "b>a"]), min_size=1, max_size=14))
def test_any_interleaving_of_creations_and_syncs_keeps_every_record(plan: list[str]) -> None:
    base = older_group(without=("exchanges",), bare_member="0000000000000b0b")
    docs = {"a": device(base, DEVICE_A), "b": device(base, DEVICE_B)}
    made: set[str] = set()
    tags: set[str] = set()
    rng = random.Random(len(plan))
    for number, step in enumerate(plan):
        if step.startswith("add"):
            made.add(docs[step[-1]].exchanges.add(name=f"offer {number}", kind="offer").id)
        elif step.startswith("tag"):
            doc = docs[step[-1]]
            word = f"lang{number}{rng.randint(0, 9)}"
            current = doc.members.get("0000000000000b0b").languages
            doc.members.update("0000000000000b0b", languages=current | {word})
            tags.add(word)
        else:
            source, target = step[0], step[-1]
            docs[target].merge(docs[source])
    sync(docs["a"], docs["b"])
    for doc in docs.values():
        assert {r.id for r in doc.exchanges.all()} == made
        assert doc.members.get("0000000000000b0b").languages == tags


def foreign_file(group_id: str, padding: int = 400) -> bytes:
    """What another Automerge tool might write: the group's id, fresh collection maps, one member.

    Made after many operations, so its maps have higher counters than ours and win the
    conflict at the root.
    """
    doc = Document(actor_id=bytes.fromhex("ff" * 16))
    with doc.transaction() as tx:
        for n in range(padding):
            tx.put(ROOT, "scratch", ScalarType.Int, n)
        tx.put(ROOT, "group_id", ScalarType.Str, group_id)
        tx.put(ROOT, "schema", ScalarType.Int, 1)
        for name in COLLECTIONS:
            made = tx.put_object(ROOT, name, ObjType.Map)
            if name == "members":
                record = tx.put_object(made, "f0f0f0f0f0f0f0f0", ObjType.Map)
                tx.put(record, "name", ScalarType.Str, "Frank Foreign")
                tx.put(record, "archived", ScalarType.Boolean, False)
    return doc.save()


def test_a_foreign_file_with_fresh_collections_never_shrinks_the_roster(group: OpenGroup) -> None:
    doc = group.doc
    names = ["Ann", "Bob", "Carla", "Dana", "Eve", "Femi"]
    for name in names:
        doc.members.add(name=name)
    doc.inventory.add(name="Water", quantity=40)
    summary = merge_bundle(doc, foreign_file(doc.group_id), "foreign.automerge")
    members = {m.name for m in doc.members.all()}
    assert members == {*names, "Frank Foreign"}
    assert [i.name for i in doc.inventory.all()] == ["Water"]
    assert summary.collections["members"].added == 1
    assert summary.collections["members"].removed == 0
    assert "inventory" not in summary.collections
    # And it stays that way on disk: the folded records were journaled as a change of ours.
    group.close()
    reopened = group.home.open_group()
    try:
        assert {m.name for m in reopened.doc.members.all()} == {*names, "Frank Foreign"}
    finally:
        reopened.close()
