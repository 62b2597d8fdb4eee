"""Events: plan one, upcoming and past, RSVP, take attendance, write minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

from tui_drive import SIZE, make_app, open_area, screen_text, session, settle, type_text, until, with_sample

from magnet.home import Home
from screens.attendance import AttendanceScreen
from screens.event_detail import EventDetail
from screens.events import EventsScreen
from screens.widgets.modals import PickModal, TextModal
from screens.widgets.record_form import RecordForm


async def _events(pilot) -> EventsScreen:  # type: ignore[no-untyped-def]
    return await open_area(pilot, "3", EventsScreen)


async def test_plan_a_drill(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        events = await _events(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RecordForm)
        await type_text(pilot, "Blackout drill")
        form.editor_for("kind").set_raw("drill")
        when = (datetime.now() + timedelta(days=3)).replace(hour=18, minute=30, second=0, microsecond=0)
        form.editor_for("starts").set_raw(when.strftime("%Y-%m-%d %H:%M"))
        form.editor_for("place").set_raw("Maple St park")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any(e.name == "Blackout drill" for e in events.records.visible_rows))
        [drill] = session(app).doc.events.filter(name="Blackout drill")
        assert (drill.kind, drill.starts, drill.place) == ("drill", when, "Maple St park")
        assert "Blackout drill" in screen_text(app)
        assert events.records.current is not None and events.records.current.id == drill.id


async def test_upcoming_soonest_first_and_past_latest_first(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        events = await _events(pilot)
        now = datetime.now()
        upcoming = [e.starts or datetime.min for e in events.records.visible_rows]
        assert upcoming == sorted(upcoming) and all(s.date() >= now.date() for s in upcoming)
        await pilot.press("t")
        await settle(pilot)
        past = [e.starts or datetime.max for e in events.records.visible_rows]
        assert past and past == sorted(past, reverse=True) and all(s < now for s in past)
        assert "Past" in screen_text(app)


async def test_rsvp_from_the_list(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        events = await _events(pilot)
        event = events.records.current
        assert event is not None
        doc = session(app).doc
        zed = doc.members.add(name="Zed Quimby")
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, PickModal))
        await type_text(pilot, "Zed Qu")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PickModal) and "answer" in screen_text(app))
        await type_text(pilot, "maybe")
        await pilot.press("enter")
        await until(pilot, lambda: doc.events.get(event.id).rsvps.get(zed.id) == "maybe")
        others = {k: v for k, v in doc.events.get(event.id).rsvps.items() if k != zed.id}
        assert others == event.rsvps, "only Zed's answer was written"


async def test_take_attendance_and_write_minutes_from_the_event(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        events = await _events(pilot)
        doc = session(app).doc
        ann = doc.members.add(name="Ann Early")
        bob = doc.members.add(name="Bob Early")
        meeting = doc.events.add(
            name="Street meeting", starts=datetime.now() + timedelta(hours=1), rsvps={ann.id: "yes", bob.id: "yes"}
        )
        await until(pilot, lambda: events.records.select(meeting.id))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EventDetail) and "Street meeting" in screen_text(app))
        assert "RSVP yes (2)" in screen_text(app)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, AttendanceScreen) and "Ann Early" in screen_text(app))
        roll = app.screen
        assert isinstance(roll, AttendanceScreen)
        first_two = {m.id for m in roll.roll.visible_rows[:2]}
        assert first_two == {ann.id, bob.id}, "those who said yes come first"
        roll.roll.select(ann.id)
        await pilot.press("space")
        await until(pilot, lambda: ann.id in doc.events.get(meeting.id).attendance)
        await until(pilot, lambda: "1 present" in screen_text(app))
        roll.roll.select(bob.id)
        await pilot.press("enter")
        await until(pilot, lambda: doc.events.get(meeting.id).attendance == frozenset({ann.id, bob.id}))
        roll.roll.select(ann.id)
        await pilot.press("space")
        await until(pilot, lambda: doc.events.get(meeting.id).attendance == frozenset({bob.id}))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, EventDetail) and "Came (1)" in screen_text(app))
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, TextModal))
        await type_text(pilot, "Agreed on the rally point.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: doc.events.get(meeting.id).minutes == "Agreed on the rally point.")
        await until(pilot, lambda: "Agreed on the rally point." in screen_text(app))
