"""The plan overview: reached with 8, lists every planning step with what needs doing, opens each, Escape returns."""

from __future__ import annotations

from plan_app import SIZE, make_app, open_plan, screen_text, until, with_sample

from magnet.home import Home
from screens.planning.hub import PlanScreen


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
