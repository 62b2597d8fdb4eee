"""A full disk while the app runs: a clear message, nothing lost, and saved once there is room.

The data dir lives on a real, tiny tmpfs (mounted by the test, as root), so the store meets a real
ENOSPC, not a patched write.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tui_drive import SIZE, make_app, open_area, screen_text, session, until

from magnet.home import Home
from screens.roster import RosterScreen
from screens.widgets.record_form import RecordForm


def can_mount() -> bool:
    return sys.platform == "linux" and os.geteuid() == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if not can_mount():
        pytest.skip("mounting a tmpfs needs root on Linux (CI runs as root)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Take every free byte of `disk`; the file to delete to free them again."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


async def test_adding_a_member_on_a_full_disk_says_so_and_saves_once_there_is_room(small_disk: Path) -> None:
    home = Home(small_disk / "magnet")
    home.create_group("Maple Street MAG", member_name="Ann Lee").close()
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        roster = await open_area(pilot, "2", RosterScreen)
        filler = fill(small_disk)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        form = app.screen
        assert isinstance(form, RecordForm)
        form.editor_for("name").set_raw("Bob Diallo")
        # More than the page of slack the store file may still have: this change needs a new block.
        form.editor_for("notes").set_raw(os.urandom(6000).hex())  # (random: Automerge compresses text)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Not saved" in screen_text(app))
        said = " ".join(str(toast.render()) for toast in app.screen.query("Toast"))
        assert "No space left on device" in said and "the change is kept in memory" in said, said
        await until(pilot, lambda: any(m.name == "Bob Diallo" for m in roster.members.rows))
        assert app.is_running

        filler.unlink()  # someone frees space; the next change writes both
        doc = session(app).doc
        await until(pilot, lambda: isinstance(app.screen, RosterScreen))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        app.screen.editor_for("name").set_raw("Cy Ng")  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any(m.name == "Cy Ng" for m in doc.members.all()))
    reopened = Home(small_disk / "magnet").open_group()
    try:
        assert {m.name for m in reopened.doc.members.all()} == {"Ann Lee", "Bob Diallo", "Cy Ng"}
    finally:
        reopened.close()
