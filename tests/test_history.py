"""History and undo from the document's own changes: who (the member behind the device), when, what."""

from __future__ import annotations

import os
from datetime import date

import pytest

from magnet.cli import main
from magnet.document import GroupDocument
from magnet.history import CannotUndo, Edit, recent_changes, record_history, undo

ANN_DEVICE = "a1" * 16
BEN_DEVICE = "b2" * 16


def two_devices() -> tuple[GroupDocument, GroupDocument, str, str]:
    """Ann's laptop and Ben's, each registered to its member, in sync."""
    ann_doc = GroupDocument.create("Maple Street MAG", device_id=ANN_DEVICE, group_id=os.urandom(16).hex())
    ann = ann_doc.members.add(name="Ann Lee", zone="A")
    ben = ann_doc.members.add(name="Ben Ortiz", zone="B")
    ann_doc.devices.add(name="ann-laptop", device_id=ANN_DEVICE, member_id=ann.id)
    ann_doc.devices.add(name="ben-laptop", device_id=BEN_DEVICE, member_id=ben.id)
    ben_doc = GroupDocument.load(ann_doc.save(), device_id=BEN_DEVICE)
    return ann_doc, ben_doc, ann.id, ben.id


def sync(a: GroupDocument, b: GroupDocument) -> None:
    a.apply_changes(b.changes_since(a.heads()))
    b.apply_changes(a.changes_since(b.heads()))


def fields(edit: Edit) -> dict[str, tuple[str, str]]:
    return {f.field: (f.old_text, f.new_text) for f in edit.fields}


def test_an_edit_from_another_device_shows_its_member_the_fields_and_their_old_and_new_values() -> None:
    ann_doc, ben_doc, ann_id, _ = two_devices()
    ben_doc.members.update(ann_id, zone="C", notes="moved to Cedar Ave")
    sync(ann_doc, ben_doc)
    newest, *older = record_history(ann_doc, "members", ann_id)
    assert newest.who == "Ben Ortiz" and newest.device_id == BEN_DEVICE
    assert fields(newest) == {"zone": ("A", "C"), "notes": ("", "moved to Cedar Ave")}
    assert newest.when is not None and newest.when == ann_doc.members.get(ann_id).updated_at
    assert [e.summary() for e in older] == ["created"] and older[0].who == "Ann Lee"


def test_concurrent_edits_on_two_devices_both_appear() -> None:
    ann_doc, ben_doc, ann_id, _ = two_devices()
    ann_doc.members.update(ann_id, email="ann@example.org")
    ben_doc.members.update(ann_id, callsign="KD2ABC")  # at the same time, before they sync
    sync(ann_doc, ben_doc)
    ann_doc.members.update(ann_id, notes="both seen")  # a change made after merging both
    for doc in (ann_doc, ben_doc):
        doc.apply_changes(ann_doc.changes_since(doc.heads()))
        found = {e.who: fields(e) for e in record_history(doc, "members", ann_id)[:3]}
        assert found["Ben Ortiz"] == {"callsign": ("", "KD2ABC")}
        history = record_history(doc, "members", ann_id)
        said = [fields(e) for e in history if e.who == "Ann Lee"]
        assert {"email": ("", "ann@example.org")} in said and {"notes": ("", "both seen")} in said
        assert len(history) == 4  # created, two concurrent edits, the edit after them


def test_recent_changes_are_the_groups_latest_across_records_newest_first() -> None:
    ann_doc, ben_doc, _, ben_id = two_devices()
    item = ben_doc.inventory.add(name="Water", quantity=10, unit="gallon")
    ben_doc.inventory.adjust(item.id, "quantity", -2)
    ann_doc.members.update(ben_id, zone="D")
    sync(ann_doc, ben_doc)
    recent = recent_changes(ann_doc, limit=4)
    said = [(e.who, e.collection, e.summary()) for e in recent]
    assert ("Ben Ortiz", "inventory", "Quantity") in said and ("Ben Ortiz", "inventory", "created") in said
    assert ("Ann Lee", "members", "Zone / block") in said
    adjusted = next(e for e in recent if e.summary() == "Quantity")
    assert fields(adjusted) == {"quantity": ("10", "8")}
    assert recent[0].order >= recent[-1].order
    assert len(recent_changes(ann_doc, limit=2)) == 2


def test_undo_restores_the_old_values_as_a_new_change_that_syncs() -> None:
    ann_doc, ben_doc, ann_id, _ = two_devices()
    ann_doc.members.update(ann_id, zone="Z", notes="typo")
    [edit, _created] = record_history(ann_doc, "members", ann_id)
    done = undo(ann_doc, edit, device_id=ANN_DEVICE)
    assert set(done.restored) == {"Zone / block", "Notes"} and not done.kept
    assert (ann_doc.members.get(ann_id).zone, ann_doc.members.get(ann_id).notes) == ("A", "")
    sync(ann_doc, ben_doc)
    assert ben_doc.members.get(ann_id).zone == "A"  # an ordinary change: it syncs
    newest = record_history(ben_doc, "members", ann_id)[0]
    assert newest.who == "Ann Lee" and fields(newest) == {"zone": ("Z", "A"), "notes": ("typo", "")}


def test_only_your_own_changes_are_undone_and_a_field_changed_since_is_kept() -> None:
    ann_doc, ben_doc, ann_id, _ = two_devices()
    ben_doc.members.update(ann_id, zone="C")
    sync(ann_doc, ben_doc)
    with pytest.raises(CannotUndo, match="made by Ben Ortiz"):
        undo(ann_doc, record_history(ann_doc, "members", ann_id)[0], device_id=ANN_DEVICE)
    ann_doc.members.update(ann_id, zone="E", email="a@x.org")
    mine = record_history(ann_doc, "members", ann_id)[0]
    ben_doc.members.update(ann_id, zone="F")
    sync(ann_doc, ben_doc)
    done = undo(ann_doc, mine, device_id=ANN_DEVICE)
    assert done.restored == ("Email",) and done.kept == ("Zone / block",)
    assert (ann_doc.members.get(ann_id).zone, ann_doc.members.get(ann_id).email) == ("F", "")
    with pytest.raises(CannotUndo, match="changed again since"):
        undo(ann_doc, mine, device_id=ANN_DEVICE)  # its email is back; its zone is Ben's now


def test_undoing_an_adjustment_gives_back_what_it_moved_and_keeps_others() -> None:
    ann_doc, ben_doc, _, _ = two_devices()
    item = ann_doc.inventory.add(name="Batteries", quantity=20)
    sync(ann_doc, ben_doc)
    ann_doc.inventory.adjust(item.id, "quantity", -5)
    ben_doc.inventory.adjust(item.id, "quantity", 3)
    sync(ann_doc, ben_doc)
    mine = next(e for e in record_history(ann_doc, "inventory", item.id) if e.who == "Ann Lee" and not e.created)
    undo(ann_doc, mine, device_id=ANN_DEVICE)
    assert ann_doc.inventory.get(item.id).quantity == 23  # Ben's +3 still counts


def test_undoing_a_creation_archives_the_record() -> None:
    ann_doc, _, _, _ = two_devices()
    item = ann_doc.inventory.add(name="Tarp", quantity=2, expires=date(2030, 1, 1))
    [created] = record_history(ann_doc, "inventory", item.id)
    assert created.created and created.summary() == "created"
    undo(ann_doc, created, device_id=ANN_DEVICE)
    assert ann_doc.inventory.get(item.id).archived
    assert record_history(ann_doc, "inventory", item.id)[0].summary() == "archived"


def test_the_cli_shows_recent_changes_and_a_records_history(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "Maple", "--me", "Ann Lee"]) == 0
    assert main(["add", "members", "name=Ben Ortiz", "zone=B"]) == 0
    assert main(["set", "members", "Ben Ortiz", "zone=C"]) == 0
    capsys.readouterr()
    assert main(["history", "members", "Ben Ortiz"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Changes to the member Ben Ortiz, newest first:"
    assert out[1].endswith("Ann Lee: Zone / block") and out[2] == "  Zone / block: B → C"
    assert out[3].endswith("Ann Lee: created")
    assert main(["history", "-n", "1"]) == 0
    recent = capsys.readouterr().out
    assert "Zone / block: B → C" in recent and "(member Ben Ortiz," in recent
    assert main(["history", "members"]) == 1
    assert "give both a kind and a record" in capsys.readouterr().err


def test_automerge_drops_a_put_of_the_value_a_key_already_holds() -> None:
    from automerge.core import ROOT, Document, ScalarType

    raw = Document()
    with raw.transaction() as tx:
        tx.put(ROOT, "updated_at", ScalarType.Str, "2026-06-01T09:00:00")
    with raw.transaction() as tx:
        tx.put(ROOT, "updated_at", ScalarType.Str, "2026-06-01T09:00:00")  # the same second again
        tx.put(ROOT, "zone", ScalarType.Str, "C")
    assert len(raw.get_changes([])[-1]) == 1  # only the zone: the stamp's put left no op


def test_two_edits_within_one_second_are_both_in_the_history() -> None:
    ann_doc, _, ann_id, _ = two_devices()
    ann_doc.members.update(ann_id, zone="B")
    ann_doc.members.update(ann_id, zone="C")  # same device, same second: the stamp does not change
    said = [fields(e) for e in record_history(ann_doc, "members", ann_id)]
    assert said[:2] == [{"zone": ("B", "C")}, {"zone": ("A", "B")}]
