"""Each dashboard item leads to the screen that deals with it, narrowed to that item."""

from __future__ import annotations

from tui_drive import SIZE, make_app, ready, screen_text, session, settle, type_text, until, with_sample

from magnet.home import Home
from magnet.readiness import below_minimum, expiring_items, is_low, out_of_stock
from screens.app import MagnetApp
from screens.checkin import CheckInScreen
from screens.dashboard import DashboardScreen
from screens.events import EventsScreen
from screens.inventory import InventoryScreen
from screens.planning.hub import PlanScreen
from screens.planning.training import TrainingScreen
from screens.widgets.record_form import RecordForm


def inventory(app: object) -> InventoryScreen:
    screen = getattr(app, "screen_stack")[0]  # noqa: B009 - the mode's own screen, under any form
    assert isinstance(screen, InventoryScreen)
    return screen


def lots_shown(app: MagnetApp) -> set[str]:
    """The items the stock sheet shows one by one (an item kept in one place, or a lot under its line)."""
    return {line.item.id for line in inventory(app).records.visible_rows if line.item is not None}


async def test_low_stock_and_expiring_items_open_the_inventory_filtered(home: Home) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        doc = session(app).doc
        low_lines, empty_lines = below_minimum(doc.inventory.all()), out_of_stock(doc.inventory.all())
        low = {i.id for lots in low_lines for i in lots if is_low(i)}
        expiring = {i.id for i in expiring_items(doc.inventory.all(), today=session(app).now().date())}
        assert low and expiring, "the sample group has both to show"
        # The card counts stock lines, as the Inventory's head does: the two never disagree.
        assert f"{len(low_lines)} low, {len(empty_lines)} empty" in screen_text(app)

        await pilot.press("l")
        await until(pilot, lambda: app.current_mode == "inventory" and inventory(app).loaded_once)
        await until(pilot, lambda: lots_shown(app) == low)
        assert inventory(app).records.search.value == "is:low"
        text = screen_text(app)
        assert f"{len(low_lines)} low · {len(empty_lines)} none left" in text
        assert "is:low" in text and "LOW" in text

        await pilot.press("1", "x")
        await until(pilot, lambda: lots_shown(app) == expiring)
        assert inventory(app).records.search.value == "is:expiring"
        assert "is:expiring" in screen_text(app)


async def test_supplies_card_enter_and_a_click_on_a_line(home: Home) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("4", "t")  # the inventory shows loans: a lead brings the items back
        await settle(pilot)
        await pilot.press("1", "down", "enter")  # supplies, under check-in
        await until(pilot, lambda: app.current_mode == "inventory")
        await until(pilot, lambda: inventory(app).records.search.value == "is:low")
        assert inventory(app).view == "records"
        await pilot.press("1")
        await settle(pilot)
        # The third line of the card ("1 expiring (x), 0 on loan"): one row of border, then lines 0..2.
        await pilot.click("#card-supplies", offset=(4, 3))
        await until(pilot, lambda: app.current_mode == "inventory")
        await until(pilot, lambda: inventory(app).records.search.value == "is:expiring")


async def test_a_form_left_open_in_the_inventory_waits_under_the_lead(home: Home) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("4")
        await until(pilot, lambda: inventory(app).loaded_once)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        await type_text(pilot, "Half typed")
        await pilot.press("f2", "1", "l")
        await until(pilot, lambda: app.current_mode == "inventory")
        assert isinstance(app.screen, RecordForm), "the form still waits"
        assert app.screen.editor_for("name").raw == "Half typed"
        assert inventory(app).records.search.value == "is:low"


async def test_needs_help_opens_check_in_on_the_first_household_needing_help(home: Home) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("5")
        await until(pilot, lambda: isinstance(app.screen, CheckInScreen) and app.screen.loaded_once)
        checkin = app.screen
        assert isinstance(checkin, CheckInScreen)
        checkin.units.search.value = "zone:a"  # a captain's zone filter from before
        await pilot.press("o")  # and another sort
        await settle(pilot)
        await pilot.press("1", "h")
        await until(pilot, lambda: app.current_mode == "checkin")
        await settle(pilot)
        needing = [u for u in checkin.units.rows if u.status == "needs_help"]
        assert needing, "the sample group has households needing help"
        assert checkin.units.search.value == "", "everyone shows: a filter would hide who is unknown"
        assert checkin.units.sort_column == "status"
        current = checkin.units.current
        assert current is not None and current.status == "needs_help"
        assert {u.id for u in checkin.units.visible_rows[: len(needing)]} == {u.id for u in needing}
        assert screen_text(app).count("NEEDS HELP") >= min(len(needing), 5)
        await pilot.press("1", "enter")  # Enter on the check-in card does the same
        await until(pilot, lambda: app.current_mode == "checkin")


async def test_certificates_and_skills_open_the_training_page(home: Home) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen) and app.screen.loaded_once)
        training = app.screen
        assert isinstance(training, TrainingScreen)
        assert app.current_mode == "plan"
        assert training.tab == "certs"
        await until(pilot, lambda: training.data is not None and "lapsed" in screen_text(app))
        today = session(app).now().date()
        lapsed = [c for c in session(app).doc.certifications.all() if c.expires and c.expires < today]
        shown = training.table("certs").visible_rows
        assert lapsed and shown[0].expired, "lapsed certificates come first"
        assert {h.certificate.id for h in shown if h.expired} <= {c.id for c in lapsed}
        assert f"{sum(h.expired for h in shown)} lapsed" in screen_text(app)

        await pilot.press("1", "k")
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen) and app.screen.tab == "matrix")
        await until(pilot, lambda: "Skills by zone" in screen_text(app) and "GAP" in screen_text(app))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, PlanScreen))

        await pilot.press("1")
        await settle(pilot)
        app.screen.query_one("#card-skills").focus()
        await pilot.press("enter")  # the skills card
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen))


async def test_coming_up_opens_upcoming_events(home: Home) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("3", "t")  # looking at past events
        await until(pilot, lambda: isinstance(app.screen, EventsScreen) and app.screen.past)
        await pilot.press("1", "right", "enter")
        await until(pilot, lambda: app.current_mode == "events")
        events = app.screen
        assert isinstance(events, EventsScreen)
        await until(pilot, lambda: not events.past)
        now = session(app).now()
        assert all(e.starts is None or e.starts.date() >= now.date() for e in events.records.visible_rows)
        assert isinstance(app.screen_stack[0], EventsScreen)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
