"""The command line: the contract scripts and people rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from magnet.cli import main
from magnet.home import Home


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "magnet", *args], capture_output=True, text=True, timeout=60)


def test_init_groups_and_picking_a_group(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "Maple Street MAG", "--me", "Ann Lee"]) == 0
    assert main(["init", "Oak Lane"]) == 0
    capsys.readouterr()
    assert main(["groups"]) == 0
    listing = capsys.readouterr().out
    assert "Maple Street MAG" in listing and "Oak Lane" in listing
    assert main(["list", "members"]) == 1
    assert "several groups" in capsys.readouterr().err
    assert main(["--group", "maple street mag", "list", "members"]) == 0
    assert "Ann Lee" in capsys.readouterr().out


def test_user_mistakes_are_one_line_without_traceback() -> None:
    assert run("init", "Maple").returncode == 0
    for args, expected in [
        (("add", "members", "name="), "name: must not be empty"),
        (("add", "members", "name=Ann", "joined=soon"), "joined: 'soon' is not a date"),
        (("add", "nonsense", "name=x"), "unknown kind 'nonsense'"),
        (("--group", "nope", "info"), "no group called 'nope'"),
        (("init", "maple"), "already exists"),
    ]:
        result = run(*args)
        assert result.returncode == 1
        assert result.stderr.strip().count("\n") == 0, result.stderr
        assert expected in result.stderr
        assert "Traceback" not in result.stderr


def test_export_json_has_every_collection_with_ids_and_archived_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "Maple"]) == 0
    assert main(["add", "members", "name=Ann", "skills=first aid: certified"]) == 0
    assert main(["add", "members", "name=Bob"]) == 0
    assert main(["archive", "members", "Bob"]) == 0
    out = tmp_path / "group.json"
    assert main(["export", "--format", "json", "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    assert out.stat().st_mode & 0o077 == 0, "an export is neighbors' data: owner-only"
    assert data["group"]["name"] == "Maple"
    assert {"members", "households", "inventory", "events", "goals", "checkins", "partners"} <= set(data)
    members = {m["name"]: m for m in data["members"]}
    assert members["Ann"]["skills"] == {"first aid": "certified"}
    assert members["Bob"]["archived"] is True
    assert all(len(m["id"]) == 16 for m in data["members"])


def test_demo_creates_a_realistic_group(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "240 members" in out
    assert main(["info"]) == 0
    info = capsys.readouterr().out
    assert "Items" in info and "Events" in info


def test_adjust_and_set_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "Maple"]) == 0
    assert main(["add", "inventory", "name=Water", "quantity=4", "unit=gallon"]) == 0
    assert main(["adjust", "Water", "--", "-1.5"]) == 0
    assert "Water: 2.5 gallon" in capsys.readouterr().out
    assert main(["set", "inventory", "Water", "location=Garage"]) == 0


def test_kinds_answer_to_the_words_people_use(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "Maple"]) == 0
    assert main(["add", "item", "name=Water", "quantity=4"]) == 0
    assert main(["add", "Members", "name=Bob"]) == 0
    assert main(["add", "check-in", "member=Bob", "status=safe"]) == 0
    capsys.readouterr()
    assert main(["list", "items"]) == 0
    assert "Water" in capsys.readouterr().out
    assert main(["list", "checkins"]) == 0
    assert "safe" in capsys.readouterr().out
    assert main(["export", "--format", "csv", "--kind", "member", "-o", "-"]) == 0
    assert "Bob" in capsys.readouterr().out


def test_references_name_records_and_never_store_a_dangling_word(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "Maple"]) == 0
    capsys.readouterr()
    assert main(["add", "members", "name=Bob Neighbor"]) == 0
    bob = capsys.readouterr().out.strip()
    assert main(["add", "inventory", "item=Ladder", "qty=1", "held by=bob neighbor"]) == 0
    ladder = capsys.readouterr().out.strip()
    assert main(["add", "checkins", "member_id=Nobody", "status=safe"]) == 1
    assert "no member matches 'Nobody'" in capsys.readouterr().err
    assert main(["set", "inventory", "Ladder", "holder_id="]) == 0
    capsys.readouterr()
    assert main(["set", "inventory", ladder, f"holder={bob[:6]}"]) == 0
    out = tmp_path / "group.json"
    assert main(["export", "--format", "json", "-o", str(out)]) == 0
    exported = json.loads(out.read_text())
    [item] = exported["inventory"]
    assert item["holder_id"] == bob
    assert exported["checkins"] == []
    assert main(["add", "checkin", "member=Bob Neighbor", "status=needs_help"]) == 0
    capsys.readouterr()
    assert main(["list", "checkins"]) == 0
    assert "Bob Neighbor" in capsys.readouterr().out  # listed by name, not by id


@pytest.mark.skipif(sys.platform == "win32", reason="the full disk is made with a POSIX file-size limit")
def test_a_command_on_a_full_disk_says_nothing_was_changed(home: Home) -> None:
    """The store keeps a refused change in memory for a later commit; a command exits instead."""
    import os
    import resource
    import signal

    assert main(["init", "Maple"]) == 0
    [info] = home.groups()
    limit = (info.path / "store.mgn").stat().st_size + 10

    def small_disk() -> None:  # in the child: files may not grow past `limit` bytes
        if sys.platform != "win32":  # (skipped there)
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    notes = os.urandom(3000).hex()
    result = subprocess.run(
        [sys.executable, "-m", "magnet", "add", "members", "name=Bob", f"notes={notes}"],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=small_disk,
    )
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("magnet: error: could not save to ") and line.endswith("; nothing was changed")
    assert "File too large" in line
    assert main(["list", "members"]) == 0  # the store is intact and holds no half-written Bob
