"""Requests and offers at 80x24: post a request, match it to the offer that fits best, and track the pair to done."""

from __future__ import annotations

from datetime import datetime

from plan_app import SIZE, make_app, open_plan, screen_text, session, started, type_text, until
from textual.widgets import Input, OptionList

from magnet.home import Home
from screens.planning.exchanges import ExchangesScreen
from screens.widgets.modals import PickModal
from screens.widgets.record_form import RecordForm

NOW = datetime(2026, 5, 4, 10, 0)


async def test_a_request_is_matched_to_an_offer_and_both_go_to_done(home: Home) -> None:
    home.create_group("Maple Street MAG", member_name="Ann Organiser").close()
    app = make_app(home, now=NOW)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot)
        doc = session(app).doc
        bob = doc.members.add(name="Bob Driver")
        cy = doc.members.add(name="Cy Cook")
        van = doc.exchanges.add(
            name="Rides to the clinic in my van", kind="offer", member_id=bob.id, category="transport"
        )
        doc.exchanges.add(name="Soup on Sundays", kind="offer", member_id=cy.id, category="food")

        screen = await open_plan(pilot, "r")
        assert isinstance(screen, ExchangesScreen)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        form = app.screen
        assert isinstance(form, RecordForm)
        form.editor_for("name").set_raw("Ride to the clinic on Tuesday")
        form.editor_for("category").editor.focus()
        await type_text(pilot, "transport")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(doc.exchanges.filter(kind="request")) == 1)
        [ride] = doc.exchanges.filter(kind="request")
        me = session(app).me()
        assert me is not None and ride.member_id == me.id and ride.state == "open"
        await until(pilot, lambda: screen.records.current is not None and screen.records.current.id == ride.id)
        assert "1 to match (m)" in screen_text(app)

        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, PickModal))
        options = app.screen.query_one(OptionList)
        first = options.get_option_at_index(0)
        assert first.id == van.id, "the offer that fits best comes first"
        app.screen.query_one(Input).value = ""
        await pilot.press("enter")
        await until(pilot, lambda: doc.exchanges.get(ride.id).state == "matched")
        assert doc.exchanges.get(ride.id).match_id == van.id
        assert (doc.exchanges.get(van.id).state, doc.exchanges.get(van.id).match_id) == ("matched", ride.id)

        await until(pilot, lambda: screen.records.select(ride.id))
        await pilot.press("s")
        await until(pilot, lambda: doc.exchanges.get(van.id).state == "in_progress")
        await pilot.press("d")
        await until(pilot, lambda: doc.exchanges.get(ride.id).state == "done" == doc.exchanges.get(van.id).state)
        assert doc.exchanges.get(ride.id).done_at == NOW
        await until(pilot, lambda: "Ride to the clinic" not in screen_text(app), wait=5)
        await pilot.press("f")
        await until(pilot, lambda: "Ride to the clinic" in screen_text(app))
        row = next(line for line in screen_text(app).splitlines() if "Ride to the clinic" in line)
        assert "done" in row
