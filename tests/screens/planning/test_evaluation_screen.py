"""Evaluation at 80x24: the meeting report on screen, a longer period, and written to a file to print."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from plan_app import SIZE, make_app, open_plan, screen_text, session, started, until
from textual.widgets import Input

from magnet.goals import record_progress
from magnet.home import Home
from screens.planning.evaluation import EvaluationScreen
from screens.widgets.modals import PromptModal

NOW = datetime(2026, 5, 4, 10, 0)


async def test_the_report_shows_progress_and_is_written_to_a_file(home: Home, tmp_path: Path) -> None:
    home.create_group("Maple Street MAG").close()
    app = make_app(home, now=NOW)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot)
        doc = session(app).doc
        goal = doc.goals.add(name="Water barrels", measure="households", target=20, target_date=date(2026, 12, 1))
        record_progress(doc, goal.id, 4, on=date(2025, 12, 1))
        record_progress(doc, goal.id, 10, on=date(2026, 4, 1))
        ann = doc.members.add(name="Ann")
        meeting = doc.events.add(name="Spring meeting", starts=datetime(2026, 3, 3, 19), attendance={ann.id})
        doc.feedback.add(event_id=meeting.id, rating=4, comment="Good pace", given_at=datetime(2026, 3, 3, 21))

        screen = await open_plan(pilot, "e")
        assert isinstance(screen, EvaluationScreen)
        await until(pilot, lambda: screen.report is not None and "50% Water barrels" in screen_text(app))
        assert screen.report is not None
        assert "- [#####-----] 50% Water barrels (10 of 20 households), +6 this period" in screen.report.text
        assert "Spring meeting (2026-03-03): 4.0 of 5, 1 said: Good pace" in screen.report.text
        assert max(len(line) for line in screen.report.screen.splitlines()) <= 62
        assert "| Mar 2026 | 1 | 1 | 1 | 1.0 |" in screen.report.text
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: screen.report is not None and screen.report.months == 6)
        assert "2025-11-01 to 2026-05-04" in screen_text(app)
        assert "(10 of 20 households), +6 this period" in screen.report.text, (
            "from the first value logged in the period"
        )

        target = tmp_path / "printouts" / "maple-report.md"
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, PromptModal))
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await until(pilot, target.exists)
        assert target.read_text(encoding="utf-8") == screen.report.text
        assert target.read_text(encoding="utf-8").startswith("# Maple Street MAG: how we are doing")
