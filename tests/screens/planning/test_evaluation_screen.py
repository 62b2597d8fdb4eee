"""Evaluation at 80x24: the meeting report on screen, a longer period, and written to a file to print."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from plan_app import SIZE, make_app, open_plan, screen_text, session, started, until
from textual.widgets import Input

from magnet.goals import record_progress
from magnet.home import Home
from screens.planning.evaluation import EvaluationScreen
from screens.widgets.modals import PickModal, PromptModal

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


async def test_feedback_after_an_event_is_recorded_and_averaged_in_the_report(home: Home) -> None:
    home.create_group("Maple Street MAG").close()
    app = make_app(home, now=NOW)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot)
        doc = session(app).doc
        bea = doc.members.add(name="Bea Rater")
        drill = doc.events.add(name="Blackout drill", kind="drill", starts=datetime(2026, 4, 25, 18))
        doc.feedback.add(event_id=drill.id, rating=2, comment="Too long", given_at=datetime(2026, 4, 26, 9))
        screen = await open_plan(pilot, "e")
        assert isinstance(screen, EvaluationScreen)
        await pilot.press("f")
        for words in ("Blackout", "Bea Rater", "4 of 5"):
            await until(pilot, lambda: isinstance(app.screen, PickModal))
            app.screen.query_one(Input).value = words
            await pilot.pause()
            await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PromptModal))
        app.screen.query_one(Input).value = "Loved the radios"
        await pilot.press("enter")
        await until(pilot, lambda: len(doc.feedback.all()) == 2)
        given = next(f for f in doc.feedback.all() if f.member_id == bea.id)
        assert (given.event_id, given.rating, given.comment, given.given_at) == (drill.id, 4, "Loved the radios", NOW)
        await until(
            pilot,
            lambda: (
                screen.report is not None
                and "Blackout drill (2026-04-25): 3.0 of 5, 2 said: Too long; Loved the radios" in screen.report.text
            ),
        )
