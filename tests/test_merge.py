"""Concurrent edits on two replicas merge the way a person would expect."""

from __future__ import annotations

from pathlib import Path

import pytest

from magnet.document import GroupDocument

DEVICE = "ab" * 16


def replicas() -> tuple[GroupDocument, GroupDocument]:
    original = GroupDocument.create("Maple St", device_id=DEVICE, group_id="g1")
    return original, original.fork()


def sync(a: GroupDocument, b: GroupDocument) -> None:
    a.merge(b)
    b.merge(a)
    assert a.heads() == b.heads()


def test_edits_to_different_fields_of_one_record_both_survive() -> None:
    a, b = replicas()
    ann = a.members.add(name="Ann", zone="A")
    sync(a, b)
    a.members.update(ann.id, zone="B")
    b.members.update(ann.id, email="ann@example.org")
    sync(a, b)
    for doc in (a, b):
        merged = doc.members.get(ann.id)
        assert (merged.zone, merged.email) == ("B", "ann@example.org")


def test_same_field_edited_twice_picks_one_winner_everywhere() -> None:
    a, b = replicas()
    ann = a.members.add(name="Ann")
    sync(a, b)
    a.members.update(ann.id, zone="North")
    b.members.update(ann.id, zone="South")
    sync(a, b)
    assert a.members.get(ann.id).zone == b.members.get(ann.id).zone
    assert a.members.get(ann.id).zone in {"North", "South"}


def test_concurrent_adds_never_collide() -> None:
    a, b = replicas()
    a.members.add(name="Ann")
    b.members.add(name="Bob")
    a.inventory.add(name="Water", quantity=4)
    b.inventory.add(name="Water", quantity=6)
    sync(a, b)
    assert sorted(m.name for m in a.members) == ["Ann", "Bob"]
    assert sorted(i.quantity for i in b.inventory) == [4, 6]


def test_edit_and_archive_at_once_keeps_both() -> None:
    a, b = replicas()
    item = a.inventory.add(name="Generator", location="Garage")
    sync(a, b)
    a.inventory.archive(item.id)
    b.inventory.update(item.id, location="Church basement")
    sync(a, b)
    merged = a.inventory.find(item.id)
    assert merged is not None
    assert merged.archived
    assert merged.location == "Church basement"
    assert item.id not in {i.id for i in a.inventory.all()}
    assert item.id in {i.id for i in a.inventory.all(include_archived=True)}


def test_concurrent_quantity_adjustments_all_apply() -> None:
    a, b = replicas()
    water = a.inventory.add(name="Water", quantity=10)
    sync(a, b)
    a.inventory.adjust(water.id, "quantity", +2)
    b.inventory.adjust(water.id, "quantity", -1)
    b.inventory.adjust(water.id, "quantity", -1)
    sync(a, b)
    assert a.inventory.get(water.id).quantity == 10
    assert b.inventory.get(water.id).quantity == 10


def test_setting_a_quantity_is_an_adjustment_so_concurrent_counts_add_up() -> None:
    a, b = replicas()
    water = a.inventory.add(name="Water", quantity=8)
    sync(a, b)
    a.inventory.update(water.id, quantity=10)  # +2
    b.inventory.adjust(water.id, "quantity", 5)
    sync(a, b)
    assert a.inventory.get(water.id).quantity == 15


def test_concurrent_set_members_merge() -> None:
    a, b = replicas()
    ann = a.members.add(name="Ann", languages="en", skills="cooking")
    event = a.events.add(name="Potluck", starts="2026-12-01 18:00")
    sync(a, b)
    a.members.update(ann.id, languages="en, es", skills="cooking, first aid: certified")
    b.members.update(ann.id, languages="en, fr", skills={"cooking": "basic", "radio": "trained"})
    a.events.update(event.id, rsvps={ann.id: "yes"}, attendance=[ann.id])
    bob = b.members.add(name="Bob")
    b.events.update(event.id, rsvps={bob.id: "maybe"})
    sync(a, b)
    merged = a.members.get(ann.id)
    assert merged.languages == {"en", "es", "fr"}
    assert merged.skills == {"cooking": "basic", "first aid": "certified", "radio": "trained"}
    assert a.events.get(event.id).rsvps == {ann.id: "yes", bob.id: "maybe"}
    assert b.events.get(event.id).attendance == {ann.id}


def test_removing_a_tag_on_one_side_and_adding_another_elsewhere() -> None:
    a, b = replicas()
    for role in ("block captain", "cook", "radio operator"):
        a.roles.add(name=role)
    ann = a.members.add(name="Ann", roles="block captain, cook")
    sync(a, b)
    a.members.update(ann.id, roles="block captain")
    b.members.update(ann.id, roles="block captain, cook, radio operator")
    sync(a, b)
    assert a.members.get(ann.id).roles == {"block captain", "radio operator"}


def test_concurrent_milestones_and_rally_points_both_land() -> None:
    a, b = replicas()
    goal = a.goals.add(name="Water for all", target=100)
    sync(a, b)
    a.goals.put_entry(goal.id, "milestones", title="Buy barrels")
    b.goals.put_entry(goal.id, "milestones", title="Find storage")
    a.put_rally_point(name="Park")
    b.put_rally_point(name="Church lot")
    sync(a, b)
    titles = sorted(m["title"] for m in a.goals.get(goal.id).milestones.values())
    assert titles == ["Buy barrels", "Find storage"]
    assert sorted(p["name"] for p in b.profile.rally_points.values()) == ["Church lot", "Park"]


def test_purge_while_someone_edits_loses_the_edit_as_documented() -> None:
    a, b = replicas()
    ann = a.members.add(name="Ann")
    sync(a, b)
    a.members.purge(ann.id)
    b.members.update(ann.id, zone="B")
    sync(a, b)
    assert a.members.find(ann.id) is None
    assert b.members.find(ann.id) is None


def test_unknown_fields_from_a_newer_version_are_kept_through_updates() -> None:
    a, b = replicas()
    ann = a.members.add(name="Ann")

    def add_future_field(raw: object) -> None:
        from automerge.core import ScalarType

        with raw.transaction() as tx:  # type: ignore[attr-defined]
            obj = tx.get(a.collection_obj("members"), ann.id)[1]
            tx.put(obj, "pronouns", ScalarType.Str, "she/her")

    a.with_automerge(add_future_field)
    a.members.update(ann.id, zone="C")
    sync(a, b)
    merged = b.members.get(ann.id)
    assert merged.extra == {"pronouns": "she/her"}
    assert merged.zone == "C"


def test_what_a_refused_merge_already_applied_is_saved_and_shown(tmp_path: Path) -> None:
    """rc1 keeps the changes before a bad one (here: one actor's two different seq-1 changes)."""
    from automerge.core import ROOT, ObjType, ScalarType

    from magnet import crdt
    from magnet.home import Home

    group = Home(tmp_path).create_group("Maple St")
    group.doc.members.add(name="Ann")
    heard: list[str] = []
    group.doc.add_listener(lambda change: heard.append(change.origin))
    base = group.doc.heads()

    def change_by(actor: bytes, name: str) -> bytes:
        elsewhere = group.doc.with_automerge(lambda doc: doc.fork())
        elsewhere.set_actor(actor)
        members = elsewhere.get(ROOT, "members")
        assert members is not None
        with elsewhere.transaction() as tx:
            record = tx.put_object(members[1], name.lower(), ObjType.Map)
            tx.put(record, "name", ScalarType.Str, name)
        return crdt.changes_since(elsewhere, base)[0]

    eve, mallory, trudy = (
        change_by(b"\x0a" * 16, "Eve"),
        change_by(b"\x0b" * 16, "Mallory"),
        change_by(b"\x0b" * 16, "Trudy"),
    )
    with pytest.raises(crdt.CrdtError):
        group.doc.apply_changes([eve, mallory, trudy])
    assert {m.name for m in group.doc.members.all()} == {"Ann", "Eve", "Mallory"}  # as the document holds
    assert heard == ["remote"] and not group.doc.unsaved
    group.store.close()  # no other commit before the process ends
    reopened = Home(tmp_path).open_group()
    assert {m.name for m in reopened.doc.members.all()} == {"Ann", "Eve", "Mallory"}
    reopened.close()
