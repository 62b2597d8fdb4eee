"""What people type is validated with one clear message per mistake."""

from __future__ import annotations

import contextlib
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from magnet.document import GroupDocument
from magnet.errors import ValidationError
from magnet.fields import parse_value
from magnet.records import Event, InventoryItem, Member
from magnet.values import format_value


@pytest.fixture
def doc() -> GroupDocument:
    return GroupDocument.create("Maple St", device_id="cd" * 16, group_id="g1")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "name: must not be empty"),
        ({"name": "Ann", "joined": "2026-02-30"}, "joined: '2026-02-30' is not a real date"),
        ({"name": "Ann", "joined": "03/04/2025"}, "ambiguous"),
        ({"name": "Ann", "joined": "last tuesday"}, "is not a date; use YYYY-MM-DD"),
        ({"name": "Ann", "status": "asleep"}, "status: 'asleep' is not one of: active, inactive, away, left"),
        ({"name": "Ann", "skills": "radio: wizard"}, "skills (radio): 'wizard' is not one of"),
        ({"name": "Ann", "consent_share": "perhaps"}, "consent_share: 'perhaps' is not yes or no"),
        ({"name": "Ann", "shoe_size": "9"}, "shoe_size: member has no such field"),
    ],
)
def test_bad_member_input_is_refused_clearly(doc: GroupDocument, fields: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        doc.members.add(**fields)
    assert doc.members.all() == []


def test_negative_quantity_and_missing_start_are_refused(doc: GroupDocument) -> None:
    with pytest.raises(ValidationError, match="quantity: must not be negative"):
        doc.inventory.add(name="Water", quantity=-2)
    with pytest.raises(ValidationError, match="starts: must not be empty"):
        doc.events.add(name="Meeting")
    water = doc.inventory.add(name="Water", quantity=2)
    with pytest.raises(ValidationError, match="would drop below 0"):
        doc.inventory.adjust(water.id, "quantity", -3)
    assert doc.inventory.get(water.id).quantity == 2


def test_an_update_cannot_blank_a_required_field(doc: GroupDocument) -> None:
    ann = doc.members.add(name="Ann")
    with pytest.raises(ValidationError, match="name: must not be empty"):
        doc.members.update(ann.id, name="")
    assert doc.members.get(ann.id).name == "Ann"


def test_groups_may_name_their_own_membership_levels(doc: GroupDocument) -> None:
    assert doc.members.add(name="Ann", level="Core Team").level == "core_team"
    doc.roles.add(name="Youth crew", kind="level")  # a level of its own is described on purpose first
    assert doc.members.add(name="Bob", level="Youth crew").level == "Youth crew"


def test_typed_values_round_trip_through_the_document(doc: GroupDocument) -> None:
    event = doc.events.add(name="Drill", kind="drill", starts="2026-12-01 7:30 pm", ends=datetime(2026, 12, 1, 21, 0))
    assert event.starts == datetime(2026, 12, 1, 19, 30)
    assert format_value(Event.spec("starts"), event.starts) == "2026-12-01 19:30"
    item = doc.inventory.add(name="Rice", quantity="2.5", expires="5 Jan 2027", shareable="no")
    assert (item.quantity, item.expires, item.shareable) == (2.5, date(2027, 1, 5), False)


def test_updates_write_only_changed_fields(doc: GroupDocument) -> None:
    ann = doc.members.add(name="Ann", zone="A")
    heads = doc.heads()
    assert doc.members.update(ann.id, zone="A", name="Ann") == ann
    assert doc.heads() == heads


def test_archive_hides_and_restore_brings_back(doc: GroupDocument) -> None:
    ann = doc.members.add(name="Ann")
    doc.members.archive(ann.id)
    assert doc.members.all() == []
    assert doc.members.filter(include_archived=True, name="Ann")[0].archived
    doc.members.restore(ann.id)
    assert [m.name for m in doc.members] == ["Ann"]


@given(st.text(max_size=40))
def test_parsing_never_fails_with_anything_but_a_validation_error(raw: str) -> None:
    for record_type in (Member, InventoryItem, Event):
        for spec in record_type.specs().values():
            with contextlib.suppress(ValidationError):
                parse_value(spec, raw)
