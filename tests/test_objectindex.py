"""A merge's touched records read from the changes' own bytes agree with rc1's diff, and reviews stay exact.

The diff is the reference: for random edits of every shape magnet makes (new records, fields,
tags and skills maps, tallies, entries, archives, purges) on another device, the records the
changes' ops name must include every record the diff names, and after `review()` every
collection read from the cache must equal a fresh read of the document.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magnet import patches
from magnet.changeops import ChangeFormatError, parse_change
from magnet.crdt import op_id
from magnet.document import ROOT_MAPS, GroupDocument
from magnet.objectindex import ObjectIndex
from magnet.records import RECORD_TYPES

DEVICES = ["a1" * 16, "b2" * 16]


def pair() -> tuple[GroupDocument, GroupDocument]:
    first = GroupDocument.create("Maple St", device_id=DEVICES[0], group_id="g" * 32)
    first.members.add(name="Ann Lee", skills={"first aid": "certified"})
    first.inventory.add(name="Water", unit="gallon", quantity=10)
    first.goals.add(name="Radio net", measure="count", target=5)
    other = GroupDocument.from_document(first.with_automerge(lambda d: d.fork()), device_id=DEVICES[1])
    return first, other


def edit(doc: GroupDocument, step: tuple[str, int]) -> None:
    action, n = step
    members, items, goals = doc.members.all(include_archived=True), doc.inventory.all(), doc.goals.all()
    if action == "add member" or not members:
        doc.members.add(name=f"Neighbor {n}", zone=f"Z{n % 3}", languages={f"lang {n % 4}"})
    elif action == "field":
        doc.members.update(members[n % len(members)].id, notes=f"note {n}", zone=f"Z{n % 5}")
    elif action == "skills":
        doc.members.update(members[n % len(members)].id, skills={f"skill {n % 3}": "basic", "radio": "expert"})
    elif action == "tally" and items:
        doc.inventory.adjust(items[n % len(items)].id, "quantity", n % 7 + 1)
    elif action == "add item":
        doc.inventory.add(name=f"Item {n % 4}", unit="pack", quantity=n % 9, location=f"shelf {n}")
    elif action == "entry" and goals:
        doc.goals.put_entry(goals[0].id, "milestones", None, title=f"step {n}", due=date(2027, 1, 1 + n % 28))
    elif action == "archive":
        record = members[n % len(members)]
        (doc.members.restore if record.archived else doc.members.archive)(record.id)
    elif action == "purge" and len(members) > 1:
        doc.members.purge(members[n % len(members)].id)


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["add member", "field", "skills", "tally", "add item", "entry", "archive", "purge"]),
        st.integers(0, 50),
    ),
    min_size=1,
    max_size=12,
)


def apart(mine: list[tuple[str, int]], theirs: list[tuple[str, int]]) -> tuple[GroupDocument, GroupDocument]:
    """Two devices of one group, each with its own edits, not merged yet."""
    here, there = pair()
    for step in mine:
        edit(here, step)
    for step in theirs:
        edit(there, step)
    return here, there


@settings(max_examples=60, deadline=None)
@given(mine=STEPS, theirs=STEPS)
def test_the_changes_name_every_record_the_diff_names(
    mine: list[tuple[str, int]], theirs: list[tuple[str, int]]
) -> None:
    here, there = apart(mine, theirs)
    index = ObjectIndex()
    assert index.touched(here.with_automerge(lambda d: d), [], ROOT_MAPS) is not None  # built before the merge
    before = here.heads()
    here.apply_changes(there.changes_since(before))
    arriving = here.changes_since(before)  # what the merge added, as the document journals it
    raw = here.with_automerge(lambda d: d.diff(before, d.get_heads()))
    by_diff = patches.touched(patches.parse_all(raw))
    read = index.touched(here.with_automerge(lambda d: d), arriving, ROOT_MAPS)
    if read is None:
        # Only an edit of a record this device has purged meanwhile is out of reach (its map is
        # gone from the collection): then the review asks for the diff, as before.
        assert any(action == "purge" for action, _ in mine)
        return
    by_changes = read[0]
    for name, ids in by_diff.records.items():
        assert ids <= by_changes.records.get(name, set()), (name, ids, by_changes.records.get(name))
    assert by_diff.whole <= by_changes.whole | set(by_changes.records)


@settings(max_examples=40, deadline=None)
@given(mine=STEPS, theirs=STEPS)
def test_a_review_leaves_every_read_equal_to_a_fresh_one(
    mine: list[tuple[str, int]], theirs: list[tuple[str, int]]
) -> None:
    here, there = apart(mine, theirs)
    for record_type in RECORD_TYPES:
        here.collection(record_type).all()  # everything cached, as on a screen
    here.apply_changes(there.changes_since(here.heads()))
    here.review()
    fresh = GroupDocument.load(here.save(), device_id=DEVICES[0])
    for record_type in RECORD_TYPES:
        cached = sorted(here.collection(record_type).all(include_archived=True), key=lambda r: r.id)
        assert cached == sorted(fresh.collection(record_type).all(include_archived=True), key=lambda r: r.id)


def test_a_compressed_change_is_read_like_a_plain_one() -> None:
    here, _ = pair()
    before = here.heads()
    member = here.members.add(name="Long Notes", notes="x" * 2_000)  # large: rc1 deflates the chunk
    [change] = here.changes_since(before)
    assert change[8] == 2
    ops = parse_change(change)
    record = here.with_automerge(lambda d: d.get(here.collection_obj("members"), member.id))
    assert record is not None
    assert any(op.obj == op_id(record[1]) and op.key == "notes" for op in ops)


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not a change",
        b"\x85\x6f\x4a\x83" + b"\x00" * 4 + b"\x01\x7f",
        b"\x85\x6f\x4a\x83" + b"\x00" * 4 + b"\x00\x01\x00",
    ],
)
def test_bytes_it_does_not_know_are_refused(damage: bytes) -> None:
    with pytest.raises(ChangeFormatError):
        parse_change(damage)


def test_a_change_it_cannot_read_leaves_the_review_to_the_diff() -> None:
    here, there = pair()
    there.members.add(name="Bob")
    index = ObjectIndex()
    assert index.touched(here.with_automerge(lambda d: d), [b"garbage"], ROOT_MAPS) is None
