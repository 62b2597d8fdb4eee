"""Changes from elsewhere appear while the app runs, and never clobber what someone is typing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path

from tui_drive import SIZE, make_app, ready, screen_text, session, settle, type_text, until, with_sample

from magnet.home import Home
from screens.roster import RosterScreen
from screens.widgets.record_form import RecordForm

ROOT = Path(__file__).resolve().parents[2]


def _from_another_thread(action: object) -> None:
    """Apply a change the way the sync node does: on its own thread."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            action()  # type: ignore[operator]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not errors, errors


async def test_a_peers_edit_arrives_while_a_form_is_open_and_typed_text_survives(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, RosterScreen) and app.screen.loaded_once)
        roster = app.screen
        assert isinstance(roster, RosterScreen)
        doc = session(app).doc
        member = roster.members.current
        assert member is not None
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        form = app.screen
        assert isinstance(form, RecordForm)
        form.editor_for("notes").editor.focus()
        await type_text(pilot, "Typed here, not saved yet")

        # A neighbor's laptop edits the same member (zone, email and notes) and adds someone.
        laptop = doc.fork()
        laptop.members.update(member.id, zone="Q7", email="remote@example.org", notes="their notes")
        newcomer = laptop.members.add(name="Remote Newcomer", zone="Q7")
        _from_another_thread(lambda: doc.apply_changes(laptop.changes_since(doc.heads())))

        await until(pilot, lambda: form.editor_for("zone").raw == "Q7")
        assert form.editor_for("email").raw == "remote@example.org"
        assert form.editor_for("notes").raw == "Typed here, not saved yet", "typing survives"
        text = screen_text(app)
        assert "updated from another device" in text and "yours kept" in text
        await until(pilot, lambda: any(m.id == newcomer.id for m in roster.members.rows))
        assert app.screen is form, "the form stayed open"

        await pilot.press("ctrl+s")
        await until(pilot, lambda: doc.members.get(member.id).notes == "Typed here, not saved yet")
        saved = doc.members.get(member.id)
        assert (saved.zone, saved.email) == ("Q7", "remote@example.org"), "the peer's edits were kept"
        roster.members.search.value = "Remote Newcomer"
        await settle(pilot)
        assert "Remote Newcomer" in screen_text(app)


async def test_a_new_record_form_keeps_its_text_through_remote_changes(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("4", "a")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        form = app.screen
        assert isinstance(form, RecordForm)
        await type_text(pilot, "Rain barrel")
        doc = session(app).doc
        laptop = doc.fork()
        for n in range(5):
            laptop.inventory.add(name=f"Remote item {n}", quantity=n)
        _from_another_thread(lambda: doc.apply_changes(laptop.changes_since(doc.heads())))
        await settle(pilot)
        assert form.editor_for("name").raw == "Rain barrel"
        await type_text(pilot, "s")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: doc.inventory.filter(name="Rain barrels") != [])
        assert len(doc.inventory.filter(lambda i: i.name.startswith("Remote item"))) == 5


async def test_another_process_on_the_same_data_dir_shows_up(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, RosterScreen) and app.screen.loaded_once)
        roster = app.screen
        assert isinstance(roster, RosterScreen)
        result = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "magnet",
                "--home",
                str(sample_home.root),
                "add",
                "members",
                "name=Aaa From The CLI",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        await until(pilot, lambda: any(m.name == "Aaa From The CLI" for m in roster.members.rows))
        await until(pilot, lambda: "Aaa From The CLI" in screen_text(app))
        assert session(app).doc.members.filter(name="Aaa From The CLI")
