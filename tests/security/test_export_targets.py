"""An export replaces only a regular file (or writes into a folder), and its temporary file is
created exclusively beside the target: a FIFO, a device, a symlink or a planted temporary name
is refused, never replaced or written through."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from magnet.errors import MagnetError
from magnet.formats.export import export_target, file_name, write_export
from magnet.home import OpenGroup

assert sys.platform != "win32"  # POSIX-only tests (FIFOs, ptys, /proc); mypy --platform win32 skips the rest

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_regular_file_is_replaced_owner_only_and_nothing_is_left_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "roster.csv"
    target.write_text("old")
    target.chmod(0o644)
    assert write_export(target, "name\nAnn\n") == 9
    assert target.read_text() == "name\nAnn\n" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.csv"]


@pytest.mark.parametrize("kind", ["fifo", "symlink to a file", "dangling symlink", "folder", "socket"])
def test_anything_but_a_regular_file_is_refused_and_left_as_it_was(tmp_path: Path, kind: str) -> None:
    target, elsewhere = tmp_path / "out.json", tmp_path / "elsewhere.txt"
    elsewhere.write_text("someone else's file")
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink to a file":
        target.symlink_to(elsewhere)
    elif kind == "dangling symlink":
        target.symlink_to(tmp_path / "nowhere")
    elif kind == "folder":
        target.mkdir()
    else:
        import socket

        server = socket.socket(socket.AF_UNIX)
        server.bind(str(target))
        server.close()
    before = os.lstat(target)
    with pytest.raises(MagnetError, match=r"replaces only a regular file"):
        write_export(target, "{}")
    after = os.lstat(target)
    assert (stat.S_IFMT(after.st_mode), after.st_ino) == (stat.S_IFMT(before.st_mode), before.st_ino)
    assert elsewhere.read_text() == "someone else's file" and not (tmp_path / "nowhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere.txt", "out.json"], "no temporary file left"


def test_a_device_is_refused(tmp_path: Path) -> None:
    """/dev/full itself when this is not root; as root, a /dev/full made in the test's own folder."""
    if os.geteuid() == 0:
        device = tmp_path / "full"
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    else:
        device = Path("/dev/full")
    with pytest.raises(MagnetError, match="it is a device"):
        write_export(device, b"bundle")
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_a_planted_temporary_file_is_never_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "group.json"
    # The name the old code always used, and (with the random part pinned) every name it would try.
    (tmp_path / ".group.json.part").symlink_to(victim)
    write_export(target, "{}")
    assert victim.read_text() == "precious" and target.read_text() == "{}"
    monkeypatch.setattr(secrets, "token_hex", lambda _n: "pinned")
    (tmp_path / ".group.json.pinned.part").symlink_to(victim)
    with pytest.raises(MagnetError, match="cannot write"):
        write_export(target, "{ replaced }")
    assert victim.read_text() == "precious" and target.read_text() == "{}"
    assert os.path.islink(tmp_path / ".group.json.pinned.part")


def test_a_folder_given_as_the_target_gets_a_dated_file_inside(tmp_path: Path) -> None:
    folder = tmp_path / "stick"
    folder.mkdir()
    linked = tmp_path / "usb"
    linked.symlink_to(folder)  # /media/usb is often a link to the mount
    name = file_name("Maple Street MAG", "csv", kind="members")
    assert name.startswith("magnet-maple-street-mag-members-") and name.endswith(".csv")
    assert export_target(linked, name) == linked / name
    assert export_target(tmp_path / "new.csv", name) == tmp_path / "new.csv"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "magnet", *args], capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_the_command_line_refuses_a_fifo_in_one_line_and_writes_into_a_folder(tmp_path: Path) -> None:
    assert run("init", "Maple Street MAG", "--me", "Ann Lee").returncode == 0
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    refused = run("export", "-o", str(fifo))  # would block forever if it opened the FIFO
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert "it is a named pipe (FIFO); an export replaces only a regular file" in refused.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    folder = tmp_path / "stick"
    folder.mkdir()
    wrote = run("export", "--format", "csv", "--kind", "members", "-o", str(folder))
    assert wrote.returncode == 0, wrote.stderr
    [written] = folder.iterdir()
    assert written.name.startswith("magnet-maple-street-mag-members-") and "Ann Lee" in written.read_text("utf-8-sig")


def test_the_apps_export_refuses_a_fifo_even_when_told_to_replace_it(tmp_path: Path, group: OpenGroup) -> None:
    from screens.data_files import EXPORT_BY_ID, export_to

    fifo = tmp_path / "binder.html"
    os.mkfifo(fifo)
    with pytest.raises(MagnetError, match="named pipe"):
        export_to(group.doc, EXPORT_BY_ID["binder-html"], fifo, sensitive=False, overwrite=True, today=date.today())
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
