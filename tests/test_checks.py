"""Domain checks: impossible entries are refused wherever they come from (API, CLI, spreadsheet)."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import pytest

from magnet.checks import check_question, from_a_spreadsheet
from magnet.cli import main
from magnet.document import GroupDocument
from magnet.errors import ValidationError
from magnet.formats.csv_import import import_csv

DEVICE = "c4" * 16


@pytest.fixture
def doc() -> GroupDocument:
    return GroupDocument.create("Maple Street MAG", device_id=DEVICE, group_id=os.urandom(16).hex())


# ---- events ---------------------------------------------------------------------------------


def test_an_event_ends_after_it_starts_on_add_and_on_update(doc: GroupDocument) -> None:
    with pytest.raises(ValidationError, match=r"ends: 2026-06-01 18:00 is not after the start \(2026-06-01 19:00\)"):
        doc.events.add(name="Meeting", starts="2026-06-01 19:00", ends="2026-06-01 18:00")
    with pytest.raises(ValidationError, match=r"ends: .* is not after the start"):
        doc.events.add(name="Meeting", starts="2026-06-01 19:00", ends="2026-06-01 19:00")
    meeting = doc.events.add(name="Meeting", starts="2026-06-01 19:00", ends="2026-06-01 21:00")
    with pytest.raises(ValidationError, match="ends: 2026-06-01 21:00 is not after the start"):
        doc.events.update(meeting.id, starts="2026-06-01 22:00")  # moving the start past the stored end
    assert doc.events.get(meeting.id).starts == datetime(2026, 6, 1, 19, 0)
    moved = doc.events.update(meeting.id, starts="2026-06-02 19:00", ends="2026-06-02 20:30")
    assert moved.ends == datetime(2026, 6, 2, 20, 30)
    assert doc.events.add(name="Open end", starts="2026-06-01 19:00").ends is None


def test_the_cli_refuses_an_event_that_ends_before_it_starts_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "Maple"]) == 0
    assert main(["add", "events", "name=Drill", "starts=2026-06-01 10:00", "ends=2026-06-01 09:00"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "magnet: error: ends: 2026-06-01 09:00 is not after the start (2026-06-01 10:00)"
    assert main(["list", "events"]) == 0
    assert "Drill" not in capsys.readouterr().out


def test_a_spreadsheet_row_ending_before_it_starts_is_reported_by_line(doc: GroupDocument) -> None:
    data = b"Title,Start,End\nPotluck,2026-06-01 18:00,2026-06-01 20:00\nDrill,2026-06-02 10:00,2026-06-02 09:00\n"
    summary = import_csv(doc, data, "events.csv", kind="events", skip_invalid=False)
    assert summary.failed == ["line 3: ends (column 'End'): 2026-06-02 09:00 is not after the start (2026-06-02 10:00)"]
    assert doc.events.all() == []  # all or nothing
    summary = import_csv(doc, data, "events.csv", kind="events", skip_invalid=True)
    assert [e.name for e in doc.events.all()] == ["Potluck"]


def test_an_old_bad_end_does_not_block_other_edits(doc: GroupDocument) -> None:
    from magnet.collection import put_scalar
    from magnet.records import Event

    event = doc.events.add(name="Meeting", starts="2026-06-01 19:00")
    with doc.change("events", event.id) as tx:  # written by a version from before the check
        found = tx.get(doc.collection_obj("events"), event.id)
        assert found is not None
        put_scalar(tx, found[1], "ends", Event.spec("ends"), datetime(2026, 6, 1, 18, 0))
    assert doc.events.update(event.id, minutes="All came").minutes == "All came"


# ---- loans ----------------------------------------------------------------------------------


def test_a_loan_is_within_the_stock_and_comes_back_after_it_left(doc: GroupDocument) -> None:
    ann = doc.members.add(name="Ann")
    water = doc.inventory.add(name="Water", quantity=41, unit="gallon")
    with pytest.raises(ValidationError, match=r"quantity: only 41 gallon of Water on the shelf \(asked for 500\)"):
        doc.loans.add(item_id=water.id, member_id=ann.id, quantity=500, lent_on="2026-05-01")
    with pytest.raises(ValidationError, match="due_back: 2026-04-01 is before it was lent"):
        doc.loans.add(item_id=water.id, member_id=ann.id, quantity=5, lent_on="2026-05-01", due_back="2026-04-01")
    with pytest.raises(ValidationError, match="quantity: a loan lends at least some"):
        doc.loans.add(item_id=water.id, member_id=ann.id, quantity=0)
    first = doc.loans.add(item_id=water.id, member_id=ann.id, quantity=30, lent_on="2026-05-01")
    with pytest.raises(ValidationError, match="only 11 gallon of Water on the shelf"):
        doc.loans.add(item_id=water.id, member_id=ann.id, quantity=12)  # 30 of 41 are out already
    with pytest.raises(ValidationError, match="only 41 gallon"):
        doc.loans.update(first.id, quantity=42)  # its own 30 count as back on the shelf
    doc.loans.update(first.id, quantity=41)
    with pytest.raises(ValidationError, match="returned_on: 2026-04-30 is before it was lent"):
        doc.loans.update(first.id, returned=True, returned_on="2026-04-30")
    back = doc.loans.update(first.id, returned=True, returned_on="2026-05-03")
    assert back.returned
    doc.inventory.adjust(water.id, "quantity", -40)  # the stock shrank while nothing was out
    assert doc.loans.update(first.id, notes="all jugs rinsed").notes == "all jugs rinsed"
    with pytest.raises(ValidationError, match="only 1 gallon of Water"):
        doc.loans.update(first.id, returned=False)  # reopening it would lend more than is there


def test_a_loan_needs_a_real_item_that_is_lent_out(doc: GroupDocument) -> None:
    ann = doc.members.add(name="Ann")
    with pytest.raises(ValidationError, match="item_id: no such item"):
        doc.loans.add(item_id="0" * 16, member_id=ann.id)
    generator = doc.inventory.add(name="Generator", quantity=1, shareable=False)
    with pytest.raises(ValidationError, match="Generator is not lent out"):
        doc.loans.add(item_id=generator.id, member_id=ann.id)


# ---- levels and roles -----------------------------------------------------------------------


def test_levels_and_roles_come_from_the_groups_list(doc: GroupDocument) -> None:
    assert doc.members.add(name="Ann", level="Core team").level == "core_team"
    with pytest.raises(ValidationError, match=r"level: 'Cor team' is not one of the group's levels \(active member"):
        doc.members.add(name="Bob", level="Cor team")
    with pytest.raises(ValidationError, match=r"roles: 'block captian' is not one of the group's roles \(none yet\)"):
        doc.members.add(name="Bob", roles="block captian")
    doc.roles.add(name="Block captain", kind="role", responsibilities="Sweeps one block")  # added on purpose
    doc.roles.add(name="Youth crew", kind="level")
    bob = doc.members.add(name="Bob", level="youth crew", roles="block captain")
    assert bob.level == "youth crew" and bob.roles == {"block captain"}
    with pytest.raises(ValidationError, match="already describes the role 'Block captain'"):
        doc.roles.add(name="block-captain", kind="role")


def test_a_role_held_before_the_check_never_blocks_an_edit(doc: GroupDocument) -> None:
    with from_a_spreadsheet():
        ann = doc.members.add(name="Ann", level="Street rep", roles="medic")
    assert doc.members.update(ann.id, zone="B").zone == "B"
    assert doc.members.update(ann.id, roles="medic").roles == {"medic"}
    assert doc.members.add(name="Bob", roles="Medic").roles == {"Medic"}  # the group holds it already


# ---- surveys, goals, certificates ------------------------------------------------------------


def test_survey_question_kinds_and_options_agree(doc: GroupDocument) -> None:
    survey = doc.surveys.add(name="Preparedness")
    with pytest.raises(ValidationError, match="a scale question has no options"):
        doc.surveys.put_entry(survey.id, "questions", text="How ready?", kind="scale", options="low, high")
    with pytest.raises(ValidationError, match="a choice question needs at least two options"):
        doc.surveys.put_entry(survey.id, "questions", text="Which?", kind="choice", options="food")
    with pytest.raises(ValidationError, match="a yes/no question has no options"):
        doc.surveys.put_entry(survey.id, "questions", text="Water?", kind="yes_no", options="maybe")
    scale = doc.surveys.put_entry(
        survey.id, "questions", text="How ready?", kind="scale", options="1-5", category="emergency_response"
    )
    doc.surveys.put_entry(survey.id, "questions", text="Which?", kind="multi", options="food, water")
    with pytest.raises(ValidationError, match="a choice question needs"):
        doc.surveys.put_entry(survey.id, "questions", scale, kind="choice")  # its kind changes, its options do not
    with pytest.raises(ValidationError, match="a text question has no options"):
        doc.surveys.add(name="Other", questions={"q": {"text": "Say", "kind": "text", "options": "a, b"}})
    assert len(doc.surveys.get(survey.id).questions) == 2
    check_question({"text": "Rate", "kind": "scale", "options": "0 to 10"})


def test_a_goal_that_counts_something_has_a_target_above_zero(doc: GroupDocument) -> None:
    with pytest.raises(ValidationError, match="target: must be above 0: how many radios on net is the goal"):
        doc.goals.add(name="Radio net", measure="radios on net")
    with pytest.raises(ValidationError, match=r"target: must be above 0 \(leave it empty"):
        doc.goals.add(name="Radio net", target=0)
    net = doc.goals.add(name="Radio net", measure="radios on net", target=12)
    with pytest.raises(ValidationError, match="target: must be above 0"):
        doc.goals.update(net.id, target=0)
    assert doc.goals.add(name="Pantry").target == 0  # measured by milestones
    assert doc.goals.update(net.id, measure="", target=0).target == 0


def test_a_certificate_expires_after_it_was_issued(doc: GroupDocument) -> None:
    ann = doc.members.add(name="Ann")
    with pytest.raises(ValidationError, match="expires: 2025-01-01 is before it was issued"):
        doc.certifications.add(name="First aid", member_id=ann.id, issued=date(2026, 1, 1), expires="2025-01-01")


def test_the_cli_explains_how_to_add_a_role_on_purpose(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "Maple"]) == 0
    assert main(["add", "members", "name=Ann", "roles=radio op"]) == 1
    assert "describe it under Plan › Membership first" in capsys.readouterr().err
    assert main(["add", "roles", "name=Radio op", "kind=role"]) == 0
    assert main(["add", "members", "name=Ann", "roles=radio op"]) == 0
