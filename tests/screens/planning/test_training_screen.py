"""Training at 80x24: a completion certifies a skill; a certificate about to expire shows at risk, and once lapsed the zone shows a GAP."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from plan_app import SIZE, screen_text, session, started, until
from textual.widgets import DataTable, Input

from magnet.home import Home
from screens.app import MagnetApp
from screens.planning.training import TrainingScreen
from screens.widgets.modals import PickModal

START = datetime(2026, 5, 4, 10, 0)


def cell(screen: TrainingScreen, skill: str, zone: str) -> str:
    table = screen.query_one("#matrix", DataTable)
    return str(table.get_cell(skill, f"zone:{zone}"))


async def test_an_expiring_certificate_shows_at_risk_then_as_a_gap_once_lapsed(home: Home) -> None:
    home.create_group("Maple Street MAG").close()
    now = [START]
    app = MagnetApp(home, None, node_factory=None, clock=lambda: now[0])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot)
        doc = session(app).doc
        ann = doc.members.add(name="Ann North", zone="North", skills="first aid")
        bob = doc.members.add(name="Bob South", zone="South")
        first_aid = doc.courses.add(name="First aid", skill="first aid", valid_months=24)
        doc.certifications.add(name="First aid", member_id=ann.id, skill="first aid", expires=date(2026, 5, 30))

        await pilot.press("8")
        await until(pilot, lambda: "Needs" in screen_text(app))
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen) and app.screen.loaded_once)
        screen = app.screen
        assert isinstance(screen, TrainingScreen)

        # Bob finishes first aid today: he is certified for two years.
        screen.table().select(first_aid.id)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, PickModal))
        app.screen.query_one(Input).value = "Bob South"
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: len(doc.certifications.filter(member_id=bob.id)) == 1)
        [bobs] = doc.certifications.filter(member_id=bob.id)
        assert (bobs.skill, bobs.expires) == ("first aid", date(2028, 5, 4))
        assert len(doc.trainings.filter(member_id=bob.id, course_id=first_aid.id)) == 1

        await pilot.press("t")
        await until(pilot, lambda: screen.tab == "certs" and "expiring" in screen_text(app))
        row = next(line for line in screen_text(app).splitlines() if "Ann North" in line)
        assert "2026-05-30" in row and "expiring" in row
        await pilot.press("t")
        await until(pilot, lambda: screen.tab == "matrix" and "1 at risk" in screen_text(app))
        assert cell(screen, "first aid", "North") == "1!"
        assert cell(screen, "first aid", "South") == "1"

        # A month later Ann's certificate has lapsed: her zone has nobody for first aid.
        now[0] = START + timedelta(days=30)
        screen.reload()
        await until(pilot, lambda: cell(screen, "first aid", "North") == "GAP")
        assert cell(screen, "first aid", "South") == "1"
        assert "GAP" in screen_text(app)
        await pilot.press("t", "t")
        await until(pilot, lambda: screen.tab == "certs" and "lapsed" in screen_text(app))
        row = next(line for line in screen_text(app).splitlines() if "Ann North" in line)
        assert "lapsed" in row
