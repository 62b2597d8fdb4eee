"""Community at 80x24: a milestone reached and an anniversary to celebrate, and planning a social."""

from __future__ import annotations

from datetime import date, datetime

from plan_app import SIZE, make_app, open_plan, screen_text, session, started, type_text, until

from magnet.goals import reach_milestone
from magnet.home import Home
from screens.planning.community import CommunityScreen
from screens.planning.goal_detail import GoalDetail
from screens.widgets.record_form import RecordForm

NOW = datetime(2026, 5, 4, 10, 0)


async def test_celebrations_lead_to_what_they_are_about_and_a_social_is_planned(home: Home) -> None:
    home.create_group("Maple Street MAG").close()
    app = make_app(home, now=NOW)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot)
        doc = session(app).doc
        goal = doc.goals.add(name="Radio net")
        step = doc.goals.put_entry(goal.id, "milestones", title="Six radios bought")
        reach_milestone(doc, goal.id, step, on=date(2026, 4, 28))
        doc.members.add(name="Ann Founder", joined=date(2024, 5, 10))

        screen = await open_plan(pilot, "y")
        assert isinstance(screen, CommunityScreen)
        await until(pilot, lambda: "Six radios bought" in screen_text(app) and "2 years with us" in screen_text(app))
        assert "no social planned" in screen_text(app)
        milestone = next(c for c in screen.table().visible_rows if c.kind == "milestone")
        screen.table().select(f"milestone:{goal.id}:2026-04-28:Six radios bought")
        assert screen.table().current == milestone
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, GoalDetail) and "✓ Six radios bought" in screen_text(app))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)

        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        form = app.screen
        assert isinstance(form, RecordForm)
        await type_text(pilot, "Block party")
        form.editor_for("starts").set_raw("2026-05-16 17:00")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "next social: Block party Sat 16 May" in screen_text(app))
        [party] = doc.events.filter(name="Block party")
        assert (party.kind, party.starts) == ("social", datetime(2026, 5, 16, 17, 0))
