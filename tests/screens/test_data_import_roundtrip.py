"""The app's import: a brought-back export lists its changes before applying them; contacts and duplicates."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from textual.widgets import Input
from tui_drive import SIZE, make_app, ready, screen_text, session, settle, type_text, until

from magnet.formats.csv_export import export_csv
from magnet.home import Home
from screens.data import open_data
from screens.data_import import ImportModal


@pytest.fixture
def me(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "me"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


def roster_home(home: Home) -> Home:
    group = home.create_group("Maple Street MAG", member_name="Ann Lee")
    group.doc.members.add(name="Bo Diaz", zone="C", phones={"mobile": "555-0102"})
    group.close()
    return home


async def import_path(pilot, app, path: str) -> None:  # type: ignore[no-untyped-def]
    open_data(app, "import-csv")
    await until(pilot, lambda: isinstance(app.screen, ImportModal) and bool(app.screen.query("#import-path")))
    field = app.screen.query_one("#import-path", Input)
    field.focus()
    await pilot.press("ctrl+u", "ctrl+k")
    await type_text(pilot, path)
    await pilot.press("enter")


async def test_a_brought_back_export_lists_its_changes_and_y_applies_them(home: Home, me: Path) -> None:
    app = make_app(roster_home(home))
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        rows = list(csv.reader(io.StringIO(export_csv(doc, "members").decode("utf-8-sig"))))
        bo_row = next(r for r in rows if r[0] == "Bo Diaz")
        bo_row[rows[0].index("Zone / block")] = "D"
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        (me / "members.csv").write_text(out.getvalue())
        heads = doc.heads()

        await import_path(pilot, app, "~/members.csv")
        await until(pilot, lambda: "Nothing changed yet" in screen_text(app))
        text = screen_text(app)
        assert "Will change 1 cells edited in the sheet" in text
        assert "Bo Diaz: zone / block: 'C' -> 'D'" in text
        assert "Read as UTF-8" in text and "y applies these changes" in text
        await settle(pilot)
        assert doc.heads() == heads, "nothing is written before y"

        await pilot.press("y")
        await until(pilot, lambda: "Changed 1 cells edited in the sheet" in screen_text(app))
        assert next(m for m in doc.members.all() if m.name == "Bo Diaz").zone == "D"


async def test_contacts_with_a_duplicate_are_listed_and_a_imports_them_too(home: Home, me: Path) -> None:
    (me / "phone.vcf").write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo Diaz\r\nTEL;TYPE=CELL:555-0102\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cy Ng\r\nTEL;TYPE=HOME:555-0103\r\nEND:VCARD\r\n",
        newline="",
    )
    app = make_app(roster_home(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        await import_path(pilot, app, "~/phone.vcf")
        await until(pilot, lambda: "Nothing imported" in screen_text(app))
        assert "looks like Bo Diaz already in the group" in screen_text(app)
        assert "a imports the 1 rows that look like duplicates too" in screen_text(app)
        await pilot.press("a")
        await until(pilot, lambda: "Imported 2 members from phone.vcf" in screen_text(app))
        assert sorted(m.name for m in doc.members.all()) == ["Ann Lee", "Bo Diaz", "Bo Diaz", "Cy Ng"]
