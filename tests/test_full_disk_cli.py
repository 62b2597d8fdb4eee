"""CLI commands on a full disk: the exit code and the message match what is on disk afterwards.

The data dir lives on a real, tiny tmpfs (mounted by the test, as root), so the store meets a real
ENOSPC. The group's log has grown past the compaction threshold, so every command that closes it
also tries to compact, which needs room for a whole new snapshot.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from magnet.cli import main
from magnet.home import Home

assert sys.platform != "win32"  # POSIX-only tests; mypy --platform win32 skips the rest


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int = 0) -> Path:
    """Take the free space of `disk` but `leave` bytes; the file to delete to free it again."""
    filler = disk / "filler"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    want = max(0, free - leave)
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while want > 0:
            want -= os.write(fd, b"\0" * min(want, 1 << 16))
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def grown_group(disk: Path) -> tuple[Home, str, str]:
    """A group whose appended log is due for compaction; returns (home, Ann's id, Water's id)."""
    home = Home(disk / "magnet")
    group = home.create_group("Maple")
    ann = group.doc.members.add(name="Ann").id
    water = group.doc.inventory.add(name="Water", quantity=5).id
    while not group.store.needs_compaction():
        group.doc.members.update(ann, notes=os.urandom(9_000).hex())
    group.doc.set_journal(None)  # left as a process killed before it could compact would leave it
    group.store.close()
    return home, ann, water


def run(capsys: pytest.CaptureFixture[str], home: Home, *argv: str) -> tuple[int, str, str]:
    code = main(["--home", str(home.root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def on_disk(home: Home) -> tuple[list[str], float, str]:
    """Members' names, Water's quantity and Ann's zone, read afresh from the store."""
    group = home.open_group()
    try:
        members = sorted(m.name for m in group.doc.members.all())
        water = group.doc.inventory.all()[0].quantity
        zone = next(m.zone for m in group.doc.members.all() if m.name == "Ann")
        return members, water, zone
    finally:
        group.close()


def test_changes_that_fit_are_saved_and_said_so_even_when_compaction_cannot_be(
    small_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, ann, water = grown_group(small_disk)
    filler = fill(small_disk, leave=16 * 1024)  # room for small appends, not for a new snapshot

    code, out, err = run(capsys, home, "add", "members", "name=Bob")
    assert code == 0 and len(out.split()) == 1, err
    assert "could not write" in err and "every change is saved" in err, err
    code, _, err = run(capsys, home, "set", "members", ann, "zone=B")
    assert code == 0, err
    code, out, err = run(capsys, home, "adjust", water, "--", "-2")
    assert code == 0 and out.strip() == "Water: 3", err
    for reading, shows in ((["list", "members"], "Bob"), (["info"], "Members"), (["export"], '"Bob"')):
        code, out, err = run(capsys, home, *reading)
        assert code == 0 and shows in out, (reading, err)

    group = home.open_group()  # a long-running process: told once, then it waits for the log to double
    warnings: list[str] = []
    group.warn = warnings.append
    assert group.maybe_compact() is False and len(warnings) == 1
    assert not group.store.needs_compaction() and group.store.last_problem == warnings[0]
    group.close()
    assert len(warnings) == 1

    filler.unlink()
    assert on_disk(home) == (["Ann", "Bob"], 3, "B")  # each once: nothing to retry, nothing doubled


def test_changes_that_do_not_fit_fail_and_change_nothing(small_disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home, ann, water = grown_group(small_disk)
    filler = fill(small_disk)
    big = os.urandom(9_000).hex()  # more than the slack left in the store file's last page

    code, out, err = run(capsys, home, "add", "members", "name=Bob", f"notes={big}")
    assert code == 1 and out == "" and "No space left on device" in err and "nothing was changed" in err, err
    code, _, err = run(capsys, home, "set", "members", ann, "zone=B", f"notes={big}")
    assert code == 1 and "nothing was changed" in err, err
    # A small change may still fit in the slack of the file's last page: whichever way it goes,
    # what the command says is what the disk holds.
    adjusted, _, err = run(capsys, home, "adjust", water, "--", "-2")
    assert adjusted == 0 or "nothing was changed" in err, err
    code, out, err = run(capsys, home, "list", "members")
    assert code == 0 and "Ann" in out and "Bob" not in out, err
    code, out, err = run(capsys, home, "info")
    assert code == 0 and "Members" in out, err
    target = small_disk / "export.json"
    code, _, err = run(capsys, home, "export", "--format", "json", "-o", str(target))
    assert code == 1 and "No space left on device" in err and not target.exists(), err
    assert [p.name for p in small_disk.iterdir() if p.name.startswith(".export")] == []

    filler.unlink()
    members, quantity, zone = on_disk(home)
    assert (members, quantity, zone) == (["Ann"], 3 if adjusted == 0 else 5, "")
