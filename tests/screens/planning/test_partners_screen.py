"""Partners at 80x24: follow-ups due first, recording a contact, and which partners could meet a need."""

from __future__ import annotations

from datetime import date, datetime

from plan_app import SIZE, make_app, open_plan, screen_text, session, started, until
from textual.widgets import Input

from magnet.home import Home
from screens.planning.partners import PartnersScreen
from screens.widgets.modals import InfoModal, PromptModal

NOW = datetime(2026, 5, 4, 10, 0)


async def test_follow_ups_due_a_contact_recorded_and_offers_for_a_need(home: Home) -> None:
    home.create_group("Maple Street MAG").close()
    app = make_app(home, now=NOW)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot)
        doc = session(app).doc
        pantry = doc.partners.add(
            name="Food pantry", offers="food boxes", follow_up=date(2026, 4, 28), last_contact=date(2026, 3, 1)
        )
        doc.partners.add(name="Hardware store", offers="water barrels", follow_up=date(2026, 9, 1))
        doc.partners.add(name="Fire station", offers="training", last_contact=date(2025, 10, 1))
        water = doc.needs.add(name="Water storage", category="water", priority="high")

        screen = await open_plan(pilot, "p")
        assert isinstance(screen, PartnersScreen)
        await until(pilot, lambda: "1 overdue" in screen_text(app))
        assert [p.name for p in screen.table().visible_rows] == ["Food pantry", "Hardware store", "Fire station"]
        assert "2 not contacted for 90 days" in screen_text(app)

        screen.table().select(pantry.id)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, PromptModal))
        app.screen.query_one(Input).value = "2026-06-15"
        await pilot.press("enter")
        await until(pilot, lambda: doc.partners.get(pantry.id).follow_up == date(2026, 6, 15))
        assert doc.partners.get(pantry.id).last_contact == NOW.date()
        await until(pilot, lambda: "0 follow-ups due" in screen_text(app))

        await pilot.press("t")
        await until(pilot, lambda: screen.tab == "support" and "Hardware store" in screen_text(app))
        screen.table().select(water.id)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InfoModal) and "offers water barrels" in screen_text(app))
