"""Check-in: needs-help first, a block captain's sweep in a few keys, who checked and when, notes."""

from __future__ import annotations

from textual.widgets import Static
from tui_drive import (
    SIZE,
    make_app,
    open_area,
    screen_text,
    session,
    settle,
    text_of,
    type_text,
    until,
    with_sample,
)

from magnet.home import Home
from magnet.readiness import WELFARE_ORDER
from screens.checkin import CheckInScreen
from screens.widgets.modals import InfoModal, PromptModal


async def _checkin(pilot) -> CheckInScreen:  # type: ignore[no-untyped-def]
    return await open_area(pilot, "f2", CheckInScreen)


async def test_every_household_needs_help_first(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _checkin(pilot)
        units = screen.units.visible_rows
        assert len(units) == 95
        ranks = [WELFARE_ORDER[u.status] for u in units]
        assert ranks == sorted(ranks)
        assert units[0].status == "needs_help"
        assert "NEEDS HELP" in screen_text(app).splitlines()[3]


async def test_a_block_captain_sweeps_zone_b(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _checkin(pilot)
        doc = session(app).doc
        captain = doc.members.add(name="Cap Tain", zone="B")
        device = session(app).this_device()
        assert device is not None
        doc.devices.update(device.id, member_id=captain.id)
        before = {c.id for c in doc.checkins.all()}
        await pilot.press("z")
        await settle(pilot)
        await type_text(pilot, "zone b")
        await pilot.press("enter")
        await settle(pilot)
        block = screen.units.visible_rows
        assert block and all(u.zone == "B" for u in block)
        order = [u.id for u in block]
        await pilot.press("s", "h", "u", "s")
        await until(pilot, lambda: len(doc.checkins.all()) == len(before) + 4)
        new = [c for c in doc.checkins.all() if c.id not in before]
        marks = {c.household_id or c.member_id: c.status for c in new}
        assert marks == dict(zip(order[:4], ["safe", "needs_help", "unknown", "safe"], strict=True))
        assert all(c.recorded_by == captain.id for c in new)
        await settle(pilot)
        assert [u.id for u in screen.units.visible_rows] == order, "rows stay put during a sweep"
        assert screen.units.table.cursor_row == 4
        marked = {u.id: u.status for u in screen.units.visible_rows[:4]}
        assert list(marked.values()) == ["safe", "needs_help", "unknown", "safe"]
        text = screen_text(app)
        assert "Cap Tain" in text
        assert "zone B" in text
        await pilot.press("R")
        await settle(pilot)
        ranks = [WELFARE_ORDER[u.status] for u in screen.units.visible_rows]
        assert ranks == sorted(ranks)


async def test_a_note_and_the_households_history(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _checkin(pilot)
        doc = session(app).doc
        unit = screen.units.current
        assert unit is not None
        await pilot.press("h")
        await settle(pilot)
        screen.units.select(unit.id)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PromptModal))
        await type_text(pilot, "needs insulin from the pharmacy")
        await pilot.press("enter")
        await until(pilot, lambda: any(c.note == "needs insulin from the pharmacy" for c in doc.checkins.all()))
        # Under the table, the highlighted household's line carries the note (wrapped at 80 columns).
        detail = screen.query_one("#unit-detail", Static)
        await until(pilot, lambda: "needs insulin from the pharmacy" in text_of(detail))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InfoModal))
        assert "needs insulin" in screen_text(app)


async def test_the_window_decides_which_reports_count(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _checkin(pilot)
        assert "last 24 h" in screen_text(app)
        await pilot.press("w")
        await until(pilot, lambda: "last 3 days" in screen_text(app))
        assert app.prefs.checkin_window == 72
        await pilot.press("w", "w")
        await until(pilot, lambda: "all reports" in screen_text(app))
        assert screen.units.visible_rows


async def test_the_dashboard_counts_follow_the_sweep(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _checkin(pilot)
        before = sum(1 for u in screen.units.rows if u.status == "needs_help")
        target = next(u for u in screen.units.visible_rows if u.status == "unknown")
        screen.units.select(target.id)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("1")
        await until(pilot, lambda: f"{before + 1} need help" in screen_text(app))
