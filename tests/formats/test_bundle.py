"""Sneakernet: three data dirs edit apart and converge by carrying bundles; twice is a no-op."""

from __future__ import annotations

from pathlib import Path

import pytest
from automerge.core import Document

from formats.helpers import run_cli
from magnet.cli import main
from magnet.formats.json_export import group_to_json
from magnet.home import Home


def cli(home: Path, *args: str) -> int:
    return main(["--home", str(home), *args])


def export_bundle(home: Path, stick: Path, name: str) -> Path:
    path = stick / name
    assert cli(home, "export", "--format", "bundle", "-o", str(path)) == 0
    return path


def state(home: Path) -> tuple[list[bytes], dict[str, object]]:
    group = Home(home).open_group()
    try:
        return sorted(group.doc.heads()), {
            k: v for k, v in group_to_json(group.doc, sensitive=True).items() if k != "devices"
        }
    finally:
        group.close()


def test_three_data_dirs_converge_by_usb_stick(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b, c, stick = tmp_path / "a", tmp_path / "b", tmp_path / "c", tmp_path / "stick"
    stick.mkdir()
    assert cli(a, "init", "Maple Street MAG", "--me", "Ann Lee") == 0
    assert cli(a, "add", "members", "name=Bob", "zone=B") == 0
    first = export_bundle(a, stick, "maple.mgb")
    assert Document.load(first.read_bytes())  # a plain Automerge file, no magnet header
    for other in (b, c):  # two neighbors got the group from the stick
        Home(other).adopt_group(first.read_bytes()).close()

    # Everyone edits apart: different records, and two fields of one record.
    assert cli(a, "add", "inventory", "name=Water", "quantity=10", "unit=gallon") == 0
    assert cli(b, "set", "members", "Bob", "zone=C") == 0
    assert cli(b, "add", "members", "name=Cy") == 0
    assert cli(c, "set", "members", "Bob", "email=bob@example.org") == 0
    assert cli(c, "add", "events", "name=Drill", "starts=2026-06-06 09:30") == 0
    assert cli(c, "archive", "members", "Ann Lee") == 0
    capsys.readouterr()

    # B and C bring their sticks to A; A's bundle goes back to both.
    assert cli(a, "import", str(export_bundle(b, stick, "from-b.mgb"))) == 0
    report = capsys.readouterr().out
    assert "Merged from-b.mgb" in report and "members: 1 added, 1 changed" in report
    assert cli(a, "import", str(export_bundle(c, stick, "from-c.mgb"))) == 0
    report = capsys.readouterr().out
    assert "events: 1 added" in report and "members: 1 changed, 1 archived" in report
    back = export_bundle(a, stick, "from-a.mgb")
    for other in (b, c):
        assert cli(other, "import", str(back)) == 0
    assert state(a) == state(b) == state(c)

    heads, records = state(a)
    members = {m["name"]: m for m in records["members"]}  # type: ignore[attr-defined]
    assert members["Bob"]["zone"] == "C" and members["Bob"]["email"] == "bob@example.org"
    assert members["Ann Lee"]["archived"] is True and "Cy" in members
    assert [i["name"] for i in records["inventory"]] == ["Water"]  # type: ignore[attr-defined]

    # The same stick twice: nothing changes.
    capsys.readouterr()
    assert cli(b, "import", str(back)) == 0
    assert "Nothing new in from-a.mgb" in capsys.readouterr().out
    assert state(b)[0] == heads


def test_another_groups_bundle_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    assert cli(mine, "init", "Maple Street MAG") == 0
    assert cli(theirs, "init", "Oak Lane") == 0
    assert cli(theirs, "add", "members", "name=Stranger") == 0
    foreign = export_bundle(theirs, tmp_path, "oak.mgb")
    before = state(mine)
    result = run_cli("--home", str(mine), "import", str(foreign))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "oak.mgb belongs to another group, Oak Lane" in result.stderr
    assert "Maple Street MAG" in result.stderr and "nothing was changed" in result.stderr
    assert result.stderr.count("\n") == 1
    assert state(mine) == before


def test_bundles_are_known_by_content_and_damage_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "h"
    assert cli(home, "init", "Maple Street MAG") == 0
    assert cli(home, "add", "members", "name=Ann") == 0
    bundle = export_bundle(home, tmp_path, "group.mgb").read_bytes()
    renamed = tmp_path / "FROM_USB.BIN"
    renamed.write_bytes(bundle)
    capsys.readouterr()
    assert cli(home, "import", str(renamed)) == 0  # no extension needed: the bytes say it
    assert "Nothing new" in capsys.readouterr().out

    before = state(home)
    damaged = tmp_path / "torn.mgb"
    damaged.write_bytes(bundle[: len(bundle) // 2])
    assert cli(home, "import", str(damaged)) == 1
    assert "torn.mgb is damaged or incomplete" in capsys.readouterr().err
    not_bundle = tmp_path / "roster.mgb"
    not_bundle.write_text("Name\nAnn\n")
    assert cli(home, "import", str(not_bundle)) == 1
    assert "not a magnet bundle" in capsys.readouterr().err
    assert cli(home, "import", str(renamed), "--kind", "members") == 1
    assert "--kind is for CSV" in capsys.readouterr().err
    assert state(home) == before
