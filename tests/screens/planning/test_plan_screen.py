"""The plan overview: reached with 8, lists every planning step with what needs doing, opens each, Escape returns."""

from __future__ import annotations

from plan_app import SIZE, make_app, open_plan, screen_text, type_text, until, with_sample

from magnet.home import Home
from screens.planning.goals import GoalsScreen
from screens.planning.hub import PlanScreen
from screens.planning.pages import PAGES
from screens.planning.training import TrainingScreen


async def test_eight_opens_the_plan_with_every_step_and_its_status(home: Home) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        plan = await open_plan(pilot)
        assert isinstance(plan, PlanScreen)
        text = screen_text(app)
        assert "Plan" in text.splitlines()[0]
        for step in ("Needs", "Goals", "Communication", "Membership", "Partners", "Training", "Requests"):
            assert step in text
        assert "needs without a goal" in text and "follow-ups due" in text
        await until(pilot, lambda: app.current_mode == "plan")


async def test_each_page_opens_from_the_plan_and_escape_comes_back(home: Home) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        plan = await open_plan(pilot)
        for page in PAGES:
            await pilot.press(page.key)
            shown = page.load()
            await until(pilot, lambda: isinstance(app.screen, shown) and bool(app.screen.loaded_once))  # noqa: B023
            assert str(getattr(app.screen, "TITLE_TEXT", "?")) in screen_text(app).splitlines()[0]
            assert "8 Plan" in screen_text(app), "the sidebar keeps Plan highlighted"
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is plan)


async def test_the_palette_jumps_between_planning_pages(home: Home) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        plan = await open_plan(pilot)
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, GoalsScreen))
        await pilot.press("ctrl+p")
        await type_text(pilot, "plan: training")
        await until(pilot, lambda: "Plan: Training" in screen_text(app))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen))
        assert app.screen_stack[-2] is plan, "the goals page made way: one page over the plan at a time"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is plan)
