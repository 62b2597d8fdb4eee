"""Goals at 80x24: add a goal, give it a milestone, reach it and the target; a goal behind schedule stands out."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from plan_app import SIZE, make_app, open_plan, screen_text, session, started, type_text, until
from textual.pilot import Pilot
from textual.widgets import Input

from magnet.home import Home
from screens.planning.goal_detail import GoalDetail
from screens.planning.goals import GoalsScreen
from screens.widgets.modals import PickModal, PromptModal
from screens.widgets.record_form import RecordForm

NOW = datetime(2026, 5, 4, 10, 0)


async def answer(pilot: Pilot[Any], modal: type, words: str) -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, modal))
    pilot.app.screen.query_one(Input).value = words
    await pilot.pause()
    await pilot.press("enter")


async def test_a_goal_reaches_its_milestone_and_its_target(home: Home) -> None:
    home.create_group("Maple Street MAG", member_name="Ann Organiser").close()
    app = make_app(home, now=NOW)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_plan(pilot, "g")
        assert isinstance(screen, GoalsScreen)
        doc = session(app).doc
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        form = app.screen
        assert isinstance(form, RecordForm)
        await type_text(pilot, "Radios on every block")
        form.editor_for("measure").set_raw("radios on the net")
        form.editor_for("target").set_raw("6")
        form.editor_for("target_date").set_raw("2026-09-01")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(doc.goals.all()) == 1 and "Radios on every block" in screen_text(app))
        [goal] = doc.goals.all()
        assert (goal.target, goal.target_date) == (6.0, date(2026, 9, 1))

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, GoalDetail) and "Milestones" in screen_text(app))
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        milestone_form = app.screen
        assert isinstance(milestone_form, RecordForm)
        milestone_form.editor_for("title").set_raw("Buy six radios")
        milestone_form.editor_for("due").set_raw("2026-06-01")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "○ Buy six radios" in screen_text(app))

        await pilot.press("d")
        await answer(pilot, PickModal, "Buy six")
        await until(pilot, lambda: "✓ Buy six radios" in screen_text(app))
        [milestone] = doc.goals.get(goal.id).milestones.values()
        assert milestone["done"] and milestone["done_on"] == NOW.date()

        await pilot.press("v")
        await answer(pilot, PromptModal, "6")
        await until(pilot, lambda: doc.goals.get(goal.id).status == "done")
        assert doc.goals.get(goal.id).progress_log == {"2026-05-04": "6"}
        await until(pilot, lambda: "(done)" in screen_text(app) and "100%" in screen_text(app))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen and "0 behind · 1 done" in screen_text(app))


async def test_a_goal_behind_schedule_stands_out_and_comes_first(home: Home) -> None:
    home.create_group("Maple Street MAG").close()
    app = make_app(home, now=NOW + timedelta(days=200))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot)
        doc = session(app).doc
        doc.goals.add(name="On track", target=10, current=9, target_date=date(2027, 12, 1))
        late = doc.goals.add(name="Water barrels", target=20, current=3, target_date=date(2026, 6, 1))
        screen = await open_plan(pilot, "g")
        assert isinstance(screen, GoalsScreen)
        await until(pilot, lambda: "1 behind" in screen_text(app))
        assert [g.name for g in screen.records.visible_rows] == ["Water barrels", "On track"]
        row = next(line for line in screen_text(app).splitlines() if "Water barrels" in line)
        assert "BEHIND" in row and "15%" in row
        await pilot.press("enter")
        await until(
            pilot, lambda: isinstance(app.screen, GoalDetail) and "BEHIND: past its target date" in screen_text(app)
        )
        detail = app.screen
        assert isinstance(detail, GoalDetail) and detail.goal_id == late.id
