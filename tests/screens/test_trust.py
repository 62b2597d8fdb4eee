"""Issue 14 at 80x24: history with who and what, undo, the Escape question, drafts that survive a
restart, the palette by the words members use, domain checks in forms, and a QR code that fits."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static
from tui_drive import SIZE, make_app, ready, screen_text, session, settle, type_text, until

from magnet.document import GroupDocument
from magnet.home import Home
from screens.history import RecentScreen, RecordHistory
from screens.member_detail import MemberDetail
from screens.planning.comms import CommsScreen
from screens.planning.community import CommunityScreen
from screens.planning.evaluation import EvaluationScreen
from screens.planning.goals import GoalsScreen
from screens.planning.members import MembershipScreen
from screens.planning.needs import NeedsScreen
from screens.planning.survey import SurveyDetail
from screens.planning.training import TrainingScreen
from screens.record_detail import RecordDetail
from screens.roster import RosterScreen
from screens.widgets.modals import ChoiceModal, ConfirmModal, PickModal, PromptModal
from screens.widgets.record_form import NEW_LEVEL, RecordForm

BEN_DEVICE = "be" * 16


def small_group(home: Home) -> Home:
    """A group with a few records: fast to open, enough to act on."""
    group = home.create_group("Maple Street MAG", member_name="Ann Lee")
    doc = group.doc
    doc.members.add(name="Ben Ortiz", zone="A")
    doc.households.add(name="Lee household", zone="A", people=3)
    doc.inventory.add(name="Water jug", quantity=41, unit="gallon", location="Garage")
    group.close()
    return home


async def wait_for(pilot: Pilot[Any], kind: type) -> Any:
    await until(pilot, lambda: isinstance(pilot.app.screen, kind) and getattr(pilot.app.screen, "loaded_once", True))
    return pilot.app.screen


# ---- history and undo -----------------------------------------------------------------------


async def test_an_edit_from_another_device_shows_with_its_members_name(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        ben = doc.members.filter(name="Ben Ortiz")[0]
        doc.devices.add(name="ben-laptop", device_id=BEN_DEVICE, member_id=ben.id)
        laptop = GroupDocument.load(doc.save(), device_id=BEN_DEVICE)  # Ben's own laptop
        laptop.members.update(ben.id, zone="C", notes="moved to Cedar Ave")
        doc.apply_changes(laptop.changes_since(doc.heads()))
        await pilot.press("2")
        roster = await wait_for(pilot, RosterScreen)
        await until(pilot, lambda: roster.members.select(ben.id))
        await pilot.press("enter")
        await wait_for(pilot, MemberDetail)
        await pilot.press("h")
        await wait_for(pilot, RecordHistory)
        await until(pilot, lambda: "Zone / block: A → C" in screen_text(app))
        text = screen_text(app)
        assert "History of the member Ben Ortiz: 2 changes" in text
        assert "Ben Ortiz" in text.split("Zone / block: A → C")[0].splitlines()[-1]  # who, on the same line
        await pilot.press("down")
        await until(pilot, lambda: "Notes: (empty) → moved to Cedar Ave" in screen_text(app))  # in full, under it
        assert "created" in text


async def test_undo_my_change_from_the_history_area_restores_it_as_a_new_change(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        ben = doc.members.filter(name="Ben Ortiz")[0]
        doc.members.update(ben.id, zone="Z")  # a slip, made on this device
        await pilot.press("9")
        recent = await wait_for(pilot, RecentScreen)
        await until(pilot, lambda: "Zone / block: A → Z" in screen_text(app))
        assert recent.table.current is not None and recent.table.current.edit.record_id == ben.id
        heads = doc.heads()
        await pilot.press("u")
        await wait_for(pilot, ConfirmModal)
        assert "Zone / block: A → Z" in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: doc.members.get(ben.id).zone == "A")
        assert doc.heads() != heads  # a new change, which syncs like any other
        await until(pilot, lambda: "Zone / block: Z →" in screen_text(app))  # the undo, itself in history


async def test_ctrl_z_offers_my_latest_changes_and_refuses_another_devices(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        item = doc.inventory.filter(name="Water jug")[0]
        doc.inventory.adjust(item.id, "quantity", -5)
        await pilot.press("ctrl+z")
        await wait_for(pilot, PickModal)
        assert "Quantity" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, ConfirmModal)
        await pilot.press("y")
        await until(pilot, lambda: doc.inventory.get(item.id).quantity == 41)


# ---- typing is never lost -------------------------------------------------------------------


async def open_new_member_form(pilot: Pilot[Any]) -> RecordForm[Any]:
    await pilot.press("2")
    await wait_for(pilot, RosterScreen)
    await pilot.press("a")
    form: RecordForm[Any] = await wait_for(pilot, RecordForm)
    return form


async def test_escape_on_a_changed_form_asks_keep_discard_or_save(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        form = await open_new_member_form(pilot)
        await pilot.press("escape")  # nothing typed: no question
        await until(pilot, lambda: isinstance(app.screen, RosterScreen))
        form = await open_new_member_form(pilot)
        await type_text(pilot, "Cy Diaz")
        await pilot.press("escape")
        await wait_for(pilot, ChoiceModal)
        assert "You changed Name. Leave this form?" in screen_text(app)
        assert "Keep editing (k)" in screen_text(app) and "Discard (d)" in screen_text(app)
        await pilot.press("k")
        await until(pilot, lambda: app.screen is form)
        assert form.editor_for("name").raw == "Cy Diaz"
        await pilot.press("escape")
        await wait_for(pilot, ChoiceModal)
        await pilot.press("s")
        await until(pilot, lambda: bool(doc.members.filter(name="Cy Diaz")))
        form = await open_new_member_form(pilot)
        await type_text(pilot, "Dee Eng")
        await pilot.press("escape")
        await wait_for(pilot, ChoiceModal)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, RosterScreen))
        await settle(pilot)
        assert not doc.members.filter(name="Dee Eng")
        assert app.drafts is not None and not app.drafts.all()  # discarded means gone


async def test_a_draft_survives_crisis_check_in_and_a_restart(home: Home) -> None:
    small_group(home)
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        form = await open_new_member_form(pilot)
        await type_text(pilot, "Eve Fox")
        await pilot.press("f2")
        await until(pilot, lambda: app.current_mode == "checkin")
        await pilot.press("2")
        await until(pilot, lambda: app.screen is form)
        assert form.editor_for("name").raw == "Eve Fox"
        await until(pilot, lambda: app.drafts is not None and bool(app.drafts.all()))
    drafts = next(home.root.rglob("drafts.json"))
    assert drafts.stat().st_mode & 0o777 == 0o600
    again = make_app(home)  # the app restarted (or the laptop crashed and came back)
    async with again.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await until(pilot, lambda: "kept from before: New" in screen_text(again))  # the toast wraps "member"
        form = await open_new_member_form(pilot)
        assert form.editor_for("name").raw == "Eve Fox"
        assert "Brought back what you typed" in screen_text(again)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(session(again).doc.members.filter(name="Eve Fox")))
        await until(pilot, lambda: not drafts.exists())


# ---- the palette by the words people use -----------------------------------------------------

SYNONYMS: list[tuple[str, type, str]] = [  # in an order where each word leads somewhere new
    ("call tree", CommsScreen, "tree"),
    ("PACE", CommsScreen, "pace"),
    ("celebrate", CommunityScreen, "news"),
    ("announcement", CommsScreen, "news"),
    ("social", CommunityScreen, "socials"),
    ("report", EvaluationScreen, ""),
    ("certificate", TrainingScreen, "certs"),
    ("survey", NeedsScreen, "surveys"),
    ("course", TrainingScreen, "courses"),
    ("need", NeedsScreen, "needs"),
    ("membership", MembershipScreen, "posts"),
    ("goal", GoalsScreen, ""),
    ("role", MembershipScreen, "posts"),
]


async def palette(pilot: Pilot[Any], words: str) -> None:
    """Open the palette, search for `words` (as if typed, at once) and take the first hit."""
    from textual.command import CommandInput, CommandPalette

    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    pilot.app.screen.query_one(CommandInput).value = words
    await settle(pilot, rounds=1)
    await pilot.press("enter")


async def test_the_palette_reaches_every_planning_page_by_each_word(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        for words, page, tab in SYNONYMS:
            await palette(pilot, words)

            def arrived(page: type = page, tab: str = tab) -> bool:
                screen = app.screen
                shown = isinstance(screen, page) and bool(getattr(screen, "loaded_once", False))
                return shown and (not tab or getattr(screen, "tab", "") == tab)

            await until(pilot, arrived)


async def test_the_palette_finds_loans_invites_and_the_binder_from_anywhere(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await palette(pilot, "loan")
        await until(pilot, lambda: app.current_mode == "inventory" and getattr(app.screen, "view", "") == "loans")
        await palette(pilot, "post an announcement")
        await until(pilot, lambda: isinstance(app.screen, RecordForm) and "announcement" in screen_text(app))
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "binder")
        await settle(pilot, rounds=2)
        assert "Printable binder" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "invite")
        await settle(pilot, rounds=2)
        assert "Invite a device" in screen_text(app)


# ---- domain checks where people type ----------------------------------------------------------


async def save_and_read_error(pilot: Pilot[Any], form: RecordForm[Any]) -> str:
    """Ctrl+S on an impossible entry: the form stays, and says why under the field (or on top)."""
    await settle(pilot)  # the form hears what was just typed first, as it would from a person
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert pilot.app.screen is form, "an impossible entry keeps the form open with what was typed"
    said = [str(e.query_one(".field-error", Static).content) for e in form.editors if e.has_class("invalid")]
    return " ".join([*said, str(form.query_one("#form-notice", Static).content)])


async def test_a_loan_beyond_the_stock_or_back_before_it_left_is_refused_in_the_form(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        ben = doc.members.filter(name="Ben Ortiz")[0]
        await pilot.press("4")
        await until(pilot, lambda: app.current_mode == "inventory" and app.screen.loaded_once)  # type: ignore[attr-defined]
        await pilot.press("l")
        form = await wait_for(pilot, RecordForm)
        form.editor_for("member_id").set_raw(ben.id)
        form.editor_for("quantity").set_raw("500")
        assert "only 41 gallon of Water jug on the shelf (asked for 500)" in await save_and_read_error(pilot, form)
        form.editor_for("quantity").set_raw("5")
        today = session(app).now().date()
        form.editor_for("due_back").set_raw((today - timedelta(days=3)).isoformat())
        assert "is before it was lent" in await save_and_read_error(pilot, form)
        form.editor_for("due_back").set_raw((today + timedelta(days=7)).isoformat())
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(doc.loans.all()) == 1)


async def test_an_overdue_loan_is_flagged_on_the_dashboard_and_the_inventory(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        item = doc.inventory.filter(name="Water jug")[0]
        ben = doc.members.filter(name="Ben Ortiz")[0]
        today = session(app).now().date()
        doc.loans.add(
            item_id=item.id, member_id=ben.id, quantity=2, lent_on=today - timedelta(14), due_back=today - timedelta(2)
        )
        await until(pilot, lambda: "1 loan overdue (o)" in screen_text(app))
        await pilot.press("o")  # the dashboard's lead to it
        await until(pilot, lambda: app.current_mode == "inventory" and "OVERDUE" in screen_text(app))
        assert "1 overdue" in screen_text(app)


async def test_an_event_must_end_after_it_starts_in_the_form(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("3", "a")
        form = await wait_for(pilot, RecordForm)
        form.editor_for("name").set_raw("Drill")
        form.editor_for("starts").set_raw("2026-06-01 10:00")
        form.editor_for("ends").set_raw("2026-06-01 09:00")
        assert "is not after the start" in await save_and_read_error(pilot, form)


async def test_a_level_is_picked_from_the_groups_list_or_added_on_purpose(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        form = await open_new_member_form(pilot)
        await type_text(pilot, "Gus Hale")
        level = form.editor_for("level")
        choices = [str(value) for _label, value in level.editor._options]  # type: ignore[attr-defined]
        assert choices[:4] == ["core team", "active member", "volunteer", "advisory"] and NEW_LEVEL in choices
        level.set_raw(NEW_LEVEL)
        await wait_for(pilot, PromptModal)
        await type_text(pilot, "Youth crew")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is form and level.raw == "Youth crew")
        form.editor_for("roles").set_raw("captian")
        assert "'captian' is not one of the group's roles" in await save_and_read_error(pilot, form)
        form.editor_for("roles").set_raw("")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(doc.members.filter(name="Gus Hale")))
        assert doc.members.filter(name="Gus Hale")[0].level == "Youth crew"
        assert [r.name for r in doc.roles.all() if r.kind == "level"] == ["Youth crew"]


async def test_a_scale_question_with_choices_and_a_goal_without_a_target_are_refused(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        survey = doc.surveys.add(name="Preparedness")
        await pilot.press("8", "n", "t")
        await until(pilot, lambda: getattr(app.screen, "tab", "") == "surveys")
        await pilot.press("enter")
        await wait_for(pilot, SurveyDetail)
        await pilot.press("q")
        form = await wait_for(pilot, RecordForm)
        form.editor_for("text").set_raw("How ready are you?")
        form.editor_for("kind").set_raw("scale")
        form.editor_for("options").set_raw("low, high")
        assert "a scale question has no options" in await save_and_read_error(pilot, form)
        form.editor_for("options").set_raw("1-5")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(doc.surveys.get(survey.id).questions) == 1)
        await pilot.press("escape", "escape", "g", "a")
        form = await wait_for(pilot, RecordForm)
        form.editor_for("name").set_raw("Radio net")
        form.editor_for("measure").set_raw("radios on net")
        assert "must be above 0: how many radios on net is the goal?" in await save_and_read_error(pilot, form)


# ---- details, the stock sheet, the QR code ---------------------------------------------------


async def test_enter_opens_details_for_households_and_e_edits(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("2", "t")
        await until(pilot, lambda: isinstance(app.screen, RosterScreen) and app.screen.view == "households")
        await pilot.press("enter")
        await wait_for(pilot, RecordDetail)
        assert "Household: Lee household" in screen_text(app) and "People" in screen_text(app)
        await pilot.press("e")
        form = await wait_for(pilot, RecordForm)
        assert form.editor_for("name").raw == "Lee household"


async def test_the_stock_sheet_totals_an_item_kept_in_several_places(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        ann = doc.members.filter(name="Ann Lee")[0]
        doc.inventory.add(name="Water jug", quantity=9, unit="gallon", location="Church", holder_id=ann.id)
        doc.inventory.add(name="Batteries", quantity=0, unit="pack")
        await pilot.press("4")
        await until(pilot, lambda: "50 gallon" in screen_text(app))
        text = screen_text(app)
        assert "Held by" in text and "2 places" in text
        assert "NONE" in text  # nothing left and no minimum set: still flagged
        screen = app.screen
        await until(pilot, lambda: screen.records.select("item:water jug:gallon"))  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: "Church" in screen_text(app) and "Ann Lee" in screen_text(app))
        assert "41 gallon" in screen_text(app) and "9 gallon" in screen_text(app)


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) not installed")
async def test_the_invite_qr_fits_80x24_and_a_scanner_reads_it(home: Home, tmp_path: Path) -> None:
    from screens.invite_modal import QrScreen

    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("6", "i")
        await until(pilot, lambda: "MAGNET:" in screen_text(app), wait=20)
        await pilot.press("q")
        screen = await wait_for(pilot, QrScreen)
        app.clear_notifications()  # a toast ("Making an invite…") must not sit on the code being read
        await settle(pilot)
        code = screen.invite.code
        rows = screen_text(app).splitlines()
        assert len(rows) == 24
        qr = screen.invite.qr.splitlines()
        top = next(i for i, row in enumerate(rows) if qr[0] in row)
        left = rows[top].index(qr[0])
        shown = [row[left : left + len(qr[0])] for row in rows[top : top + len(qr)]]
        assert top + len(qr) <= len(rows) - 1, "every row of the code is on the screen, the hint below it"
        assert shown == qr
        assert "Scan to join" in rows[top - 1] and "Escape" in "".join(rows[top + len(qr) :])
    assert decode(shown, tmp_path) == code


def decode(lines: list[str], tmp_path: Path) -> str:
    """What zbarimg reads from the code's cells as drawn (its own light border included), with the
    terminal's dark background all around, as a phone held to the screen would see it."""
    bits = {" ": (0, 0), "▀": (1, 0), "▄": (0, 1), "█": (1, 1)}
    matrix: list[list[int]] = []
    for line in lines:
        pairs = [bits[ch] for ch in line]
        matrix += [[top for top, _ in pairs], [bottom for _, bottom in pairs]]
    pad, scale = 6, 6
    wide = len(matrix[0]) + 2 * pad
    dark = [[1] * wide for _ in range(pad)]
    full = dark + [[1] * pad + row + [1] * pad for row in matrix] + dark
    image = tmp_path / "screen.pgm"
    pixels = b"".join(bytes(0 if bit else 255 for bit in row for _ in range(scale)) * scale for row in full)
    image.write_bytes(f"P5 {wide * scale} {len(full) * scale} 255\n".encode() + pixels)
    found = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True, check=True)
    return found.stdout.strip()


async def test_footers_keep_whole_keys_at_80_columns(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        for key in "123456789":
            await pilot.press(key)
            await settle(pilot, rounds=1)
            footer = screen_text(app).splitlines()[-1]
            described = {
                f"{app.get_key_display(b.binding)} {b.binding.description}"
                for b in app.screen.active_bindings.values()
                if b.binding.show
            } | {"F1 more", "^p palette"}
            shown = footer.replace("▏", "  ").strip()
            for piece in described:
                shown = shown.replace(piece, "")
            assert not shown.strip(), f"area {key}: {footer!r} has a cut key: {shown.strip()!r}"


async def test_end_goes_to_the_last_row_and_the_names_stay_in_sight(home: Home) -> None:
    group = small_group(home).open_group(None)
    group.doc.members.add_many([{"name": f"Member {n:02d}", "skills": "radio, first aid, cooking"} for n in range(40)])
    group.close()
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("2")
        roster = await wait_for(pilot, RosterScreen)
        await pilot.press("end")
        await settle(pilot)
        table = roster.members.table
        assert table.cursor_row == table.row_count - 1 and table.scroll_x == 0
        assert "Name" in screen_text(app).splitlines()[2] and "Member 39" in screen_text(app)
        await pilot.press("home")
        await settle(pilot)
        assert table.cursor_row == 0 and "Ann Lee" in screen_text(app)


async def test_on_a_narrow_terminal_the_names_stay_as_the_other_columns_scroll(home: Home) -> None:
    app = make_app(small_group(home))
    async with app.run_test(size=(56, 24), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("4")
        await until(pilot, lambda: "Water jug" in screen_text(app))
        table = app.screen.records.table  # type: ignore[attr-defined]
        assert table.fixed_columns == 1 and table.max_scroll_x > 0  # too wide: the item's name is pinned
        table.scroll_x = table.max_scroll_x
        await settle(pilot)
        assert "Water jug" in screen_text(app) and "Garage" in screen_text(app)


async def test_minutes_ask_before_their_typing_is_dropped_and_are_kept_as_a_draft(home: Home) -> None:
    from screens.widgets.modals import TextModal

    app = make_app(small_group(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        meeting = doc.events.add(name="Monthly meeting", starts=session(app).now() + timedelta(days=2))
        await pilot.press("3")
        await until(pilot, lambda: app.current_mode == "events" and app.screen.loaded_once)  # type: ignore[attr-defined]
        await pilot.press("m")
        await wait_for(pilot, TextModal)
        await type_text(pilot, "Water barrels ordered")
        await until(pilot, lambda: app.drafts is not None and f"minutes:{meeting.id}" in app.drafts.all())
        await pilot.press("escape")
        await wait_for(pilot, ChoiceModal)
        await pilot.press("k")
        await wait_for(pilot, TextModal)
        await pilot.press("escape")
        await wait_for(pilot, ChoiceModal)
        await pilot.press("s")
        await until(pilot, lambda: doc.events.get(meeting.id).minutes == "Water barrels ordered")
        assert app.drafts is not None and not app.drafts.all()
