"""The group's document outlives versions: fixtures from earlier releases, newer writers, odd values."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from automerge.core import ROOT, ObjType, ScalarType

from magnet.collection import Collection
from magnet.document import GroupDocument
from magnet.errors import ValidationError
from magnet.home import Home, OpenGroup
from magnet.migrations import SCHEMA_VERSION
from magnet.problems import find_problems
from magnet.records import COLLECTIONS, RECORD_TYPES, kind_named

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA1 = FIXTURES / "schema1-two-devices"
SCHEMA1_MEMBERS = {"Ann Lee", "Ben Ortiz", "Bob Diallo", "Carla Okafor", "Dana Kim"}


def restore(source: Path, target: Path) -> Path:
    """A copy of a fixture data dir with the owner-only modes git does not keep."""
    shutil.copytree(source, target)
    for path in target.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)
    target.chmod(0o700)
    return target


def magnet(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "magnet", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


# ---- data an earlier magnet wrote --------------------------------------------------------------


@pytest.mark.parametrize("device", ["ann", "ben"])
def test_a_group_the_first_release_wrote_opens_with_every_record(tmp_path: Path, device: str) -> None:
    home = Home(restore(SCHEMA1 / device, tmp_path / device))
    with home.open_group() as group:
        doc = group.doc
        assert group.report.problems == []
        assert {m.name for m in doc.members.all()} == SCHEMA1_MEMBERS
        bob = next(m for m in doc.members.all() if m.name == "Bob Diallo")
        assert bob.skills == {"first aid": "certified", "radio": "basic"}
        assert bob.phones == {"mobile": "555-0101"}
        assert bob.languages == {"French", "Wolof"}
        assert bob.medical_notes == "asthma"
        assert doc.households.get(bob.household_id).name == "Lee"
        assert next(m for m in doc.members.all() if m.name == "Carla Okafor").zone == "B"
        water = next(i for i in doc.inventory.all() if i.name == "Drinking water")
        assert water.quantity == 44
        assert [e.name for e in doc.events.all()] == ["First meeting"]
        assert [g.name for g in doc.goals.all()] == ["Two weeks of water for every household"]
        assert [p.name for p in doc.partners.all()] == ["Corner Hardware"]
        assert len(doc.checkins.all()) == 1
        assert doc.schema == SCHEMA_VERSION
        assert find_problems(doc) == []


def test_two_copies_of_an_old_group_upgraded_and_edited_apart_converge(tmp_path: Path) -> None:
    ann = restore(SCHEMA1 / "ann", tmp_path / "ann")
    ben = restore(SCHEMA1 / "ben", tmp_path / "ben")
    assert magnet(ann, "add", "members", "name=Eve Adams", "skills=radio").returncode == 0
    assert magnet(ann, "adjust", "Drinking water", "--", "-4").returncode == 0
    assert magnet(ben, "add", "exchanges", "name=Ride to the pharmacy", "kind=request").returncode == 0
    assert magnet(ben, "set", "members", "Bob Diallo", "zone=C").returncode == 0
    assert magnet(ben, "adjust", "Drinking water", "--", "+2").returncode == 0
    # Carried over on a USB stick each way, as people without a network do.
    for source, target in ((ann, ben), (ben, ann)):
        bundle = tmp_path / f"{source.name}.mgb"
        assert magnet(source, "export", "--format", "bundle", "-o", str(bundle)).returncode == 0
        result = magnet(target, "import", str(bundle))
        assert result.returncode == 0, result.stderr
    exported = [json.loads(magnet(home, "export", "--format", "json").stdout) for home in (ann, ben)]
    for data in exported:
        assert {m["name"] for m in data["members"]} == {*SCHEMA1_MEMBERS, "Eve Adams"}
        assert next(m for m in data["members"] if m["name"] == "Bob Diallo")["zone"] == "C"
        assert next(i for i in data["inventory"] if i["name"] == "Drinking water")["quantity"] == 42
        assert [x["name"] for x in data["exchanges"]] == ["Ride to the pharmacy"]
    assert exported[0] == exported[1]


# ---- what each kind declares ------------------------------------------------------------------


def test_every_kind_is_a_typed_collection_of_the_document() -> None:
    hints = typing.get_type_hints(GroupDocument)
    doc = GroupDocument.create("Maple St", device_id="ab" * 16, group_id="g1")
    for record_type in RECORD_TYPES:
        assert hints[record_type.COLLECTION] == Collection[record_type]  # type: ignore[valid-type]
        assert getattr(doc, record_type.COLLECTION).record_type is record_type
        assert doc.has_collection(record_type.COLLECTION)
    assert {name for name, hint in hints.items() if getattr(hint, "__origin__", None) is Collection} == set(COLLECTIONS)


def test_people_name_kinds_by_noun_plural_or_their_own_words() -> None:
    for record_type in RECORD_TYPES:
        kind = record_type.KIND
        for word in (kind.noun, kind.plural_noun, kind.collection, kind.collection.upper(), *kind.words):
            assert kind_named(word) == kind.collection, word
    assert kind_named("check-ins") == "checkins"
    assert kind_named("offers") == "exchanges"
    assert kind_named("call tree") == "call_tree"
    assert kind_named("spaceships") is None


# ---- a group a newer magnet wrote -------------------------------------------------------------


def test_a_newer_magnets_collections_and_fields_are_kept_and_the_person_is_told(home: Home) -> None:
    group = home.create_group("Maple St")
    ann = group.doc.members.add(name="Ann")

    def newer(doc: typing.Any) -> None:
        with doc.transaction() as tx:
            tx.put(ROOT, "schema", ScalarType.Int, SCHEMA_VERSION + 1)
            drills = tx.put_object(ROOT, "drills", ObjType.Map)
            drill = tx.put_object(drills, "d1", ObjType.Map)
            tx.put(drill, "name", ScalarType.Str, "Fire drill")
            members = tx.get(ROOT, "members")
            assert members is not None
            record = tx.get(members[1], ann.id)
            assert record is not None
            tx.put(record[1], "pronouns", ScalarType.Str, "she/her")

    later = group.doc.fork()
    later.with_automerge(newer)
    group.doc.merge(later)
    group.close()
    reopened = home.open_group()
    try:
        assert any("newer magnet" in problem for problem in reopened.report.problems)
        doc = reopened.doc
        doc.members.update(ann.id, zone="B")  # an edit by this older version keeps what it does not know
        assert doc.members.get(ann.id).extra == {"pronouns": "she/her"}
        assert doc.export()["drills"] == {"d1": {"name": "Fire drill"}}
        assert doc.schema == SCHEMA_VERSION + 1  # never written back down
    finally:
        reopened.close()


# ---- numbers that are not numbers -----------------------------------------------------------


@pytest.mark.parametrize("delta", ["nan", "1e400", "-inf"])
def test_an_adjustment_that_is_not_a_finite_number_is_refused(tmp_path: Path, delta: str) -> None:
    home = tmp_path / "cli"
    assert magnet(home, "init", "Maple St").returncode == 0
    assert magnet(home, "add", "inventory", "name=Water", "quantity=40").returncode == 0
    refused = magnet(home, "adjust", "Water", "--", delta)
    assert refused.returncode == 1
    assert "not a finite number" in refused.stderr
    listed = magnet(home, "export", "--format", "json")
    assert json.loads(listed.stdout)["inventory"][0]["quantity"] == 40


def test_nan_from_another_writer_counts_zero_is_listed_and_can_be_repaired(group: OpenGroup) -> None:
    doc = group.doc
    water = doc.inventory.add(name="Water", quantity=40)
    goal = doc.goals.add(name="Radios", target=10)

    def poison(raw: typing.Any) -> None:
        with raw.transaction() as tx:
            items = tx.get(ROOT, "inventory")
            goals = tx.get(ROOT, "goals")
            assert items is not None and goals is not None
            item = tx.get(items[1], water.id)
            assert item is not None
            tally = tx.get(item[1], "quantity")
            assert tally is not None
            tx.put(tally[1], "f" * 32, ScalarType.F64, float("nan"))
            record = tx.get(goals[1], goal.id)
            assert record is not None
            tx.put(record[1], "target", ScalarType.F64, float("inf"))
            tx.put(record[1], "name", ScalarType.Int, 7)

    other = doc.fork()
    other.with_automerge(poison)
    doc.merge(other)
    assert doc.inventory.get(water.id).quantity == 40
    assert doc.goals.get(goal.id).target == 0
    problems = {(p.collection, p.field): p for p in find_problems(doc)}
    assert problems.keys() == {("inventory", "Quantity"), ("goals", "Target"), ("goals", "Goal")}
    assert problems[("goals", "Goal")].found == "7"
    doc.inventory.update(water.id, quantity=5)
    assert doc.inventory.get(water.id).quantity == 5
    exported = json.loads(__import__("magnet.formats.json_export", fromlist=["dumps"]).dumps(doc))
    assert exported["goals"][0]["target"] == 0
    with pytest.raises(ValidationError):
        doc.goals.update(goal.id, target=float("nan"))


def test_check_lists_what_does_not_fit_and_info_counts_it(tmp_path: Path) -> None:
    home = tmp_path / "cli"
    assert magnet(home, "init", "Maple St").returncode == 0
    assert magnet(home, "add", "members", "name=Ann").returncode == 0
    assert magnet(home, "check").returncode == 0
    with Home(home).open_group() as group:
        ann = group.doc.members.all()[0]

        def number_as_zone(raw: typing.Any) -> None:
            with raw.transaction() as tx:
                members = tx.get(ROOT, "members")
                assert members is not None
                record = tx.get(members[1], ann.id)
                assert record is not None
                tx.put(record[1], "zone", ScalarType.Int, 12)

        other = group.doc.fork()
        other.with_automerge(number_as_zone)
        group.doc.merge(other)
    checked = magnet(home, "check")
    assert checked.returncode == 1
    assert f"members Ann ({ann.id[:8]}): Zone / block holds 12, not text" in checked.stdout
    assert "1 value written by another program or version does not fit" in checked.stderr
    assert "1 stored value does not fit its field: 'magnet check' lists them" in magnet(home, "info").stdout
