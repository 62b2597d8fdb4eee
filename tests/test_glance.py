"""`magnet list` from the read model alone says exactly what the full CLI says, or leaves it the word.

The quick path (magnet.glance) must never answer differently from a group opened in full: every
kind, format and option on the sample group, and a read model holding hostile or wrong-typed
values, are listed both ways and compared byte for byte. Whatever it cannot vouch for (an
encrypted or damaged group, a stale or older read model, a newer schema, an unusual command line)
goes to the full CLI.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from magnet import readmodel
from magnet.cli import main
from magnet.datadir import DAMAGE_NOTE, GroupInfo
from magnet.formats.listing import Listing, every_listing, list_records
from magnet.glance import answer, parse
from magnet.home import Home
from magnet.records import COLLECTIONS, RECORD_TYPES
from magnet.safetext import shown
from magnet.sample import create_demo_group
from magnet.schema import SCHEMA_VERSION


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GroupInfo]:
    home = Home(tmp_path_factory.mktemp("glance"))
    group = create_demo_group(home, name="Sample Street MAG")
    group.doc.members.archive(group.doc.members.all()[0].id)  # so --archived shows a difference
    info = group.info
    group.close()
    yield info


def full(info: GroupInfo, kind: str, **options: object) -> str:
    """What the full CLI prints: the group opened, its document read."""
    group = Home(info.path.parent.parent).open_group(info)
    try:
        return shown(list_records(group.doc, kind, **options), multiline=True)  # type: ignore[arg-type]
    finally:
        group.close()


def quick(info: GroupInfo, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str | None:
    capsys.readouterr()
    code = answer(["--home", str(info.path.parent.parent), *argv])
    out = capsys.readouterr().out
    return out if code == 0 else None


def test_every_kind_format_and_option_lists_the_same_both_ways(
    sample: GroupInfo, capsys: pytest.CaptureFixture[str]
) -> None:
    compared = 0
    for record_type in RECORD_TYPES:
        kind = record_type.COLLECTION
        for fmt in ("table", "tsv"):
            for sensitive in (False, True):
                for archived in (False, True):
                    argv = ["list", record_type.KIND.plural_noun, "--format", fmt]
                    argv += ["--sensitive"] * sensitive + ["--archived"] * archived
                    got = quick(sample, argv, capsys)
                    assert got is not None, argv
                    assert got == full(sample, kind, fmt=fmt, sensitive=sensitive, archived=archived), argv
                    compared += 1
    assert compared == len(RECORD_TYPES) * 8
    members = quick(sample, ["list", "members"], capsys)
    assert members is not None and len(members.splitlines()) > 100  # the sample group, really listed


def test_a_listing_survives_the_read_models_header() -> None:
    for listing in every_listing():
        assert Listing.from_plain(listing.plain()) == listing
    assert {listing.collection for listing in every_listing()} == set(COLLECTIONS)


def _hostile_model(info: GroupInfo, **header: object) -> None:
    """A read model for the store as it is, holding what another tool or a hostile peer could write."""
    members = {
        "m1": {"name": "Eve \x1b]52;c;aGk=\x07\x1b[2J", "zone": "B\u202eA", "household_id": "h1"},
        "m2": {"name": 42, "phones": "not a map", "skills": {"first aid": 7}},
        "m3": {"name": "Archived Al", "archived": 1},
        "m4": "not a record",
        "m5": {"joined": "2026-02-30", "name": "Bad Date", "updated_at": "yesterday"},
    }
    households = {"h1": {"name": "Tab\there"}}
    inventory = {
        "i1": {"name": "Water", "quantity": math.nan, "minimum": "ten"},
        "i2": {"quantity": {"a": 2, "b": -1.5}},
    }
    readmodel.write(
        info.path,
        readmodel.StoreState.of(info.store_path),  # type: ignore[arg-type]
        group_id=str(header.get("group_id", info.group_id)),
        schema=int(header.get("schema", SCHEMA_VERSION)),  # type: ignore[call-overload]
        collections=[("members", members), ("households", households), ("inventory", inventory)],
        listings=header.get("listings", [listing.plain() for listing in every_listing()]),  # type: ignore[arg-type]
    )


@pytest.fixture()
def small(tmp_path: Path) -> GroupInfo:
    group = Home(tmp_path / "home").create_group("Maple Street")
    group.doc.members.add(name="Ann Lee")
    info = group.info
    group.close()
    return info


def test_hostile_and_wrong_typed_values_list_the_same_both_ways(
    small: GroupInfo, capsys: pytest.CaptureFixture[str]
) -> None:
    _hostile_model(small)
    doc = Home(small.path.parent.parent).read_group(small)
    assert doc is not None
    for kind in ("members", "inventory"):
        for fmt in ("table", "tsv"):
            for archived in (False, True):
                argv = ["list", kind, "-f", fmt] + ["--archived"] * archived
                got = quick(small, argv, capsys)
                want = shown(list_records(doc, kind, fmt=fmt, sensitive=True, archived=archived), multiline=True)
                want_plain = shown(list_records(doc, kind, fmt=fmt, archived=archived), multiline=True)
                assert got == want_plain, argv
                assert quick(small, [*argv, "--sensitive"], capsys) == want
    listed = quick(small, ["list", "members"], capsys)
    assert listed is not None
    assert "\x1b" not in listed and "\u202e" not in listed and "\x07" not in listed
    assert "Tab\\there" in listed  # the household's title, escaped, in the member's row


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda info: (info.path / DAMAGE_NOTE).write_text("damaged"), id="damage-note"),
        pytest.param(lambda info: (info.path / readmodel.FILE).unlink(), id="no-read-model"),
        pytest.param(lambda info: _hostile_model(info, schema=SCHEMA_VERSION + 1), id="newer-schema"),
        pytest.param(lambda info: _hostile_model(info, listings=[]), id="older-read-model"),
        pytest.param(lambda info: _hostile_model(info, listings=[["members", "x"]]), id="garbled-listings"),
        pytest.param(lambda info: _hostile_model(info, group_id="f" * 32), id="another-group"),
    ],
)
def test_what_it_cannot_vouch_for_goes_to_the_full_cli(
    small: GroupInfo, spoil: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert quick(small, ["list", "members"], capsys) is not None  # the group as made: answered here
    spoil(small)  # type: ignore[operator]
    assert quick(small, ["list", "members"], capsys) is None


def test_a_change_to_the_store_makes_the_read_model_stale(small: GroupInfo, capsys: pytest.CaptureFixture[str]) -> None:
    group = Home(small.path.parent.parent).open_group(small)
    group.doc.members.add(name="Bob Stone")
    # The store moved on; the group is still open, so no new read model was written yet.
    assert quick(small, ["list", "members"], capsys) is None
    group.close()
    listed = quick(small, ["list", "members"], capsys)
    assert listed is not None and "Bob Stone" in listed


def test_an_encrypted_group_is_left_to_the_full_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from magnet.unlock import create_group

    group = create_group(Home(tmp_path / "home"), "Hidden", encrypt=True, passphrase="correct horse battery")
    group.doc.members.add(name="Ann Lee")
    info = group.info
    group.close()
    assert (info.path / readmodel.FILE).exists()
    assert quick(info, ["list", "members"], capsys) is None


@pytest.mark.parametrize(
    ("argv", "kind", "fmt", "flags"),
    [
        (["list", "members"], "members", "table", ()),
        (["--home=/x", "-g", "Maple", "list", "member", "-f", "tsv"], "member", "tsv", ()),
        (["--group=Maple", "list", "--archived", "items", "--format=tsv", "--sensitive"], "items", "tsv", ("a", "s")),
    ],
)
def test_plain_list_lines_are_understood(argv: list[str], kind: str, fmt: str, flags: tuple[str, ...]) -> None:
    asked = parse(argv)
    assert asked is not None
    assert (asked.kind, asked.fmt, asked.archived, asked.sensitive) == (kind, fmt, "a" in flags, "s" in flags)


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],
        ["list", "members", "extra"],
        ["list", "members", "--format", "json"],
        ["list", "members", "--format", "xml"],
        ["list", "members", "--arch"],  # argparse's abbreviations are argparse's business
        ["--home", "list", "members"],
        ["--verbose", "list", "members"],
        ["info"],
        ["add", "members", "name=list"],
        [],
    ],
)
def test_anything_else_is_left_to_the_full_cli(argv: list[str]) -> None:
    assert parse(argv) is None


def test_the_full_cli_still_answers_what_the_quick_path_leaves(
    small: GroupInfo, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(small.path.parent.parent)
    assert main(["--home", home, "list", "nonsense"]) == 1
    assert "unknown kind 'nonsense'" in capsys.readouterr().err
    (small.path / readmodel.FILE).unlink()
    assert main(["--home", home, "list", "members"]) == 0
    assert "Ann Lee" in capsys.readouterr().out
