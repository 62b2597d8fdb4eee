"""Data in and out from the app: every export to an editable path, CSV imports with bad rows, bundles."""

from __future__ import annotations

import csv
import io
import json
from html import escape
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static
from tui_drive import SIZE, make_app, ready, screen_text, session, settle, text_of, type_text, until, with_sample

from magnet.document import GroupDocument
from magnet.formats.bundle import AUTOMERGE_MAGIC
from magnet.formats.sealed import SEALED_MAGIC, seal
from magnet.groupkey import KeyRing
from magnet.home import Home
from screens.app import MagnetApp
from screens.data import DataMenu, open_data
from screens.data_export import ExportModal
from screens.data_files import EXPORTS
from screens.data_import import ImportModal
from screens.settings import SettingsScreen
from screens.widgets.modals import ConfirmModal


@pytest.fixture
def me(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The person's home folder, where exports go by default and imports are looked for."""
    folder = tmp_path / "me"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


async def palette(pilot: Pilot[Any], text: str) -> None:
    await pilot.press("ctrl+p")
    await type_text(pilot, text)
    await settle(pilot)
    await pilot.press("enter")


async def retype(pilot: Pilot[Any], selector: str, text: str) -> None:
    """Clear an input the way a person does (select all, delete) and type `text`."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    await pilot.press("ctrl+u", "ctrl+k")
    await type_text(pilot, text)


def sensitive_member(app: MagnetApp) -> tuple[str, str]:
    """A member and their emergency contact (which only a sensitive export may hold), as the HTML
    binder writes them (Bea O'Brien is Bea O&#x27;Brien there)."""
    found = next(m for m in session(app).doc.members.all() if len(m.emergency_contact) > 8)
    return escape(found.name), escape(found.emergency_contact)


async def test_binder_to_the_home_folder_then_again_with_sensitive_fields(home: Home, me: Path) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, DataMenu))
        text = screen_text(app)
        assert "Printable binder (HTML)" in text and "Merge a bundle from a USB stick" in text
        await pilot.press("enter")  # the first entry: the HTML binder
        await until(pilot, lambda: isinstance(app.screen, ExportModal))
        today = session(app).now().date().isoformat()
        expected = me / f"magnet-sample-street-mag-binder-{today}.html"
        assert f"~/{expected.name}" in screen_text(app)

        await pilot.press("enter")
        await until(pilot, lambda: "Wrote" in screen_text(app))
        assert f"Wrote ~/{expected.name}" in screen_text(app)
        html = expected.read_text()
        name, private = sensitive_member(app)
        assert "Sample Street MAG" in html and name in html
        assert private not in html and "CONFIDENTIAL" not in html

        await pilot.press("tab", "space")  # tick "include sensitive fields"
        await pilot.press("enter")  # Enter writes even with the box focused
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "Replace it?" in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: "Sensitive fields included" in screen_text(app))
        html = expected.read_text()
        assert private in html and "CONFIDENTIAL" in html
        assert expected.stat().st_mode & 0o077 == 0, "a file with sensitive fields is the owner's only"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DataMenu))
        await pilot.press("escape")
        await settle(pilot)
        assert app.current_mode == "dashboard" and not isinstance(app.screen, DataMenu)


async def test_every_export_from_the_menu_to_a_typed_path(home: Home, me: Path) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        for index, choice in enumerate(EXPORTS):
            open_data(app)
            await until(pilot, lambda: isinstance(app.screen, DataMenu))
            await pilot.press(*["down"] * index, "enter")
            await until(pilot, lambda: isinstance(app.screen, ExportModal))
            assert isinstance(app.screen, ExportModal) and app.screen.choice == choice
            await retype(pilot, "#export-path", f"~/out/{choice.id}{choice.suffix}")
            (me / "out").mkdir(exist_ok=True)
            await pilot.press("enter")
            written = me / "out" / f"{choice.id}{choice.suffix}"
            await until(pilot, lambda: "Wrote" in screen_text(app))
            assert f"Wrote ~/out/{written.name}" in screen_text(app)
            data = written.read_bytes()
            if choice.fmt == "csv":
                rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
                kind = choice.kind or ""
                assert len(rows) - 1 == len(doc.collection(_record_type(kind)).all())
            elif choice.fmt == "vcard":
                assert data.count(b"BEGIN:VCARD") > 10
            elif choice.fmt == "ics":
                assert data.startswith(b"BEGIN:VCALENDAR") and data.count(b"BEGIN:VEVENT") == len(doc.events.all())
            elif choice.fmt == "json":
                assert json.loads(data)
            elif choice.fmt == "bundle":  # sealed unless the box is unticked
                assert data.startswith(SEALED_MAGIC) and b"Sample Street" not in data
                warning = app.screen.query_one("#export-warning", Static)
                assert "sealed for the group's devices" in text_of(warning)
                assert written.stat().st_mode & 0o077 == 0
                await pilot.press("tab", "space")  # from the path to the seal box; untick it
                await until(pilot, lambda: "unencrypted: keep it safe" in text_of(warning))  # noqa: B023
                plain = me / "out" / "plain.mgb"
                await retype(pilot, "#export-path", "~/out/plain.mgb")
                await pilot.press("enter")
                await until(pilot, plain.exists)
                assert plain.read_bytes().startswith(AUTOMERGE_MAGIC)
            else:
                assert b"Sample Street MAG" in data
            await pilot.press("escape", "escape")
            await settle(pilot)


def _record_type(kind: str) -> type[Any]:
    from magnet.formats.columns import CSV_KINDS

    return CSV_KINDS[kind]


async def test_a_folder_gets_the_dated_name_and_bad_paths_are_shown(home: Home, me: Path, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    (tmp_path / "a-file").write_text("not a folder")
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await palette(pilot, "export bundle for a usb")
        await until(pilot, lambda: isinstance(app.screen, ExportModal))
        await retype(pilot, "#export-path", str(tmp_path / "no-such-folder" / "x.mgb"))
        await pilot.press("enter")
        await until(pilot, lambda: "Not written" in screen_text(app))
        assert "cannot write" in screen_text(app)
        await retype(pilot, "#export-path", str(tmp_path / "a-file" / "x.mgb"))
        await pilot.press("enter")
        await until(pilot, lambda: "cannot write" in screen_text(app) and "a-file" in screen_text(app))
        await retype(pilot, "#export-path", " ")
        await pilot.press("enter")
        await until(pilot, lambda: "type where the file is" in screen_text(app))
        await retype(pilot, "#export-path", str(stick))
        await pilot.press("enter")
        await until(pilot, lambda: "Wrote" in screen_text(app))
        written = list(stick.iterdir())  # the dated bundle, and no half-written ".part" beside it
        assert [p.name for p in written] == [f"magnet-sample-street-mag-bundle-{session(app).now().date()}.mgb"]
        assert app.is_running


ROSTER = (
    "First name,Last name,Zone,Mobile,Joined,Member status,Favourite colour\n"
    "Ann,Lee,B,555-0101,2025-01-05,active,blue\n"
    "Bo,Diaz,C,555-0102,03/04/2025,active,red\n"
    "Cy,Ng,A,555-0103,2025-02-01,retired,green\n"
    "Di,Ok,A,555-0104,2025-02-03,,\n"
)


async def test_csv_with_bad_rows_lists_them_then_imports_the_good_ones(home: Home, me: Path) -> None:
    (me / "roster.csv").write_text(ROSTER)
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        before = len(doc.members.all())
        await palette(pilot, "import a spreadsheet")
        await until(pilot, lambda: isinstance(app.screen, ImportModal))
        await until(pilot, lambda: "~/roster.csv" in screen_text(app))  # found in the home folder
        await pilot.press("down", "enter")  # pick it
        modal = app.screen
        assert isinstance(modal, ImportModal)
        assert modal.query_one("#import-path", Input).value == "~/roster.csv"
        await pilot.press("enter")  # the Import button has the focus
        await until(pilot, lambda: "Nothing imported" in screen_text(app))
        text = screen_text(app)
        assert "2 of 4 rows in roster.csv have problems" in text
        assert "line 3: joined: '03/04/2025' could be" in text
        assert "line 4: status" in text and "'retired'" in text
        assert "Read as members, guessed from the headers" in text
        assert "g imports the 2 good rows" in text
        await settle(pilot)
        assert len(doc.members.all()) == before, "nothing changed"

        await pilot.press("g")
        await until(pilot, lambda: "Imported 2 members from roster.csv" in screen_text(app))
        assert "Skipped 2 rows with problems" in screen_text(app)
        assert "Favourite colour" in screen_text(app), "an unknown column is kept in notes, and said so"
        names = {m.name for m in doc.members.all()}
        assert {"Ann Lee", "Di Ok"} <= names and not {"Bo Diaz", "Cy Ng"} & names
        assert len(doc.members.all()) == before + 2
        ann = next(m for m in doc.members.all() if m.name == "Ann Lee")
        assert ann.zone == "B" and "Favourite colour: blue" in ann.notes


async def test_csv_with_the_kind_chosen_and_a_missing_file(home: Home, me: Path) -> None:
    (me / "stock.csv").write_text("Name,Qty,Where\nWater jugs,12,garage\nTarp,3,shed\n")
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("7")
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await pilot.press("d")  # Settings' footer key for the same menu
        await until(pilot, lambda: isinstance(app.screen, DataMenu))
        await pilot.press("end", "up", "enter")  # Import a spreadsheet (CSV)
        await until(pilot, lambda: isinstance(app.screen, ImportModal))
        await retype(pilot, "#import-path", "~/nope.csv")
        await pilot.press("enter")
        await until(pilot, lambda: "Not imported: no file" in screen_text(app))

        await retype(pilot, "#import-path", "~/stock.csv")
        app.screen.query_one("#import-kind", Select).focus()
        await pilot.press("enter", "down", "down", "down", "enter")  # guess, members, households, inventory
        await settle(pilot)
        assert app.screen.query_one("#import-kind", Select).value == "inventory"
        app.screen.query_one("#import-path", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: "Imported 2 items from stock.csv" in screen_text(app))
        assert "guessed" not in screen_text(app)
        items = {i.name: i for i in session(app).doc.inventory.all()}
        assert items["Water jugs"].quantity == 12 and items["Tarp"].location == "shed"


async def test_merging_a_bundle_shows_what_changed_and_refuses_another_groups(
    home: Home, me: Path, tmp_path: Path
) -> None:
    sample_home = with_sample(home)
    group = sample_home.open_group(None)
    carried = GroupDocument.load(group.doc.save(), device_id="ab" * 16)
    group.close()
    carried.members.add(name="Carried Over", zone="C")
    (me / "from-the-hall.mgb").write_bytes(carried.save())
    carried.members.add(name="Sealed Over", zone="D")
    secret = KeyRing.load(group.path).current
    (me / "from-the-pi.mgb").write_bytes(seal(carried.save(), group_id=carried.group_id, secret=secret))
    other = Home(tmp_path / "elsewhere").create_group("Oak Lane MAG")
    (me / "oak-lane.mgb").write_bytes(other.doc.save())
    other.close()

    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        await palette(pilot, "merge a bundle")
        await until(pilot, lambda: isinstance(app.screen, ImportModal) and "Merge a bundle" in screen_text(app))
        await until(pilot, lambda: "~/oak-lane.mgb" in screen_text(app) and "~/from-the-hall.mgb" in screen_text(app))
        await retype(pilot, "#import-path", "~/from-the-hall.mgb")
        await pilot.press("enter")
        await until(pilot, lambda: "Merged from-the-hall.mgb: 1 new changes." in screen_text(app))
        assert "members: 1 added" in screen_text(app)
        assert any(m.name == "Carried Over" for m in doc.members.all())

        await pilot.press("enter")  # the same stick again
        await until(pilot, lambda: "Nothing new in from-the-hall.mgb" in screen_text(app))
        await retype(pilot, "#import-path", "~/from-the-pi.mgb")  # sealed: opened with this device's keys
        await pilot.press("enter")
        await until(pilot, lambda: "Merged from-the-pi.mgb" in screen_text(app))
        assert any(m.name == "Sealed Over" for m in doc.members.all())

        count = len(doc.members.all())
        heads = doc.heads()
        await retype(pilot, "#import-path", "~/oak-lane.mgb")
        await pilot.press("enter")
        await until(pilot, lambda: "belongs to another group" in screen_text(app))
        assert "Oak Lane MAG" in screen_text(app) and "nothing was changed" in screen_text(app)
        await settle(pilot)
        assert len(doc.members.all()) == count and doc.heads() == heads


async def test_the_palette_has_an_entry_for_each_export_and_import(home: Home, me: Path) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await palette(pilot, "export calendar")
        await until(pilot, lambda: isinstance(app.screen, ExportModal))
        assert isinstance(app.screen, ExportModal) and app.screen.choice.fmt == "ics"
        await pilot.press("escape")
        await settle(pilot)
        from screens.data import data_commands

        names = [name for name, _, _ in data_commands(app)]
        assert len(names) == len(EXPORTS) + 2
        assert "Export: Contacts for phones (vCard)" in names and "Merge a bundle from a USB stick" in names
