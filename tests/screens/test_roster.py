"""Roster: add, edit, search, filter, validate, archive, member details, private fields."""

from __future__ import annotations

from datetime import date, timedelta

from textual.widgets import Input
from tui_drive import SIZE, make_app, open_area, screen_text, session, settle, type_text, until, with_sample

from magnet.home import Home
from screens.member_detail import MemberDetail
from screens.roster import RosterScreen
from screens.widgets.modals import ConfirmModal
from screens.widgets.record_form import RecordForm


async def _roster(pilot) -> RosterScreen:  # type: ignore[no-untyped-def]
    return await open_area(pilot, "2", RosterScreen)


async def test_add_a_member_through_the_form(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        roster = await _roster(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RecordForm)
        await type_text(pilot, "Zed [b]Quimby")
        form.editor_for("zone").set_raw("C")
        form.editor_for("skills").set_raw("radio: certified, first aid")
        form.editor_for("languages").set_raw("English, Spanish")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any(m.name == "Zed [b]Quimby" for m in roster.members.rows))
        [zed] = session(app).doc.members.filter(name="Zed [b]Quimby")
        assert zed.zone == "C"
        assert zed.skills == {"radio": "certified", "first aid": "basic"}
        assert zed.languages == frozenset({"English", "Spanish"})
        assert roster.members.current is not None and roster.members.current.id == zed.id
        assert "Zed [b]Quimby" in screen_text(app), "names are shown as typed, never as markup"


async def test_invalid_input_is_shown_inline_and_nothing_is_saved(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _roster(pilot)
        before = len(session(app).doc.members.all())
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RecordForm)
        form.editor_for("joined").set_raw("03/04/2025")
        form.editor_for("skills").set_raw("radio: wizard")
        await settle(pilot)
        assert "ambiguous" in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordForm), "the form stays open"
        assert "must not be empty" in screen_text(app), "the name is required"
        await type_text(pilot, "Val Id")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, RecordForm)
        assert len(session(app).doc.members.all()) == before
        form.editor_for("joined").set_raw("2025-04-03")
        form.editor_for("skills").set_raw("radio: expert")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(session(app).doc.members.all()) == before + 1)
        [val] = session(app).doc.members.filter(name="Val Id")
        assert val.joined == date(2025, 4, 3)


async def test_edit_changes_only_what_was_typed(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        roster = await _roster(pilot)
        target = roster.members.current
        assert target is not None
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RecordForm)
        form.editor_for("zone").set_raw("Z9")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: session(app).doc.members.get(target.id).zone == "Z9")
        after = session(app).doc.members.get(target.id)
        assert after.edit(zone=target.zone, updated_at=target.updated_at) == target.edit(updated_at=target.updated_at)
        await until(pilot, lambda: "Z9" in screen_text(app))


async def test_search_and_filters_narrow_the_roster(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        roster = await _roster(pilot)
        await pilot.press("slash")
        await type_text(pilot, "zone:b skill:radio")
        await settle(pilot)
        shown = roster.members.visible_rows
        assert shown and all(m.zone == "B" and any("radio" in s for s in m.skills) for m in shown)
        assert f"{len(shown)} of 240" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert len(roster.members.visible_rows) == 240
        # f builds a filter: by language, then pick one from what the roster holds.
        await pilot.press("f")
        await settle(pilot)
        await type_text(pilot, "language")
        await pilot.press("enter")
        await settle(pilot)
        await type_text(pilot, "es")
        await pilot.press("enter")
        await settle(pilot)
        assert roster.members.search.value == "language:es"
        assert all(any(v.lower() == "es" for v in m.languages) for m in roster.members.visible_rows)
        roster.members.search.value = "level:core"
        await settle(pilot)
        assert roster.members.visible_rows
        assert all(m.level == "core_team" for m in roster.members.visible_rows)


async def test_sort_by_column_and_households_view(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        roster = await _roster(pilot)
        names = [m.name.lower() for m in roster.members.visible_rows]
        assert names == sorted(names)
        await pilot.press("o")  # next column: zone
        await settle(pilot)
        zones = [m.zone for m in roster.members.visible_rows]
        assert zones == sorted(zones)
        await pilot.press("O")
        await settle(pilot)
        assert [m.zone for m in roster.members.visible_rows] == sorted(zones, reverse=True)
        await pilot.press("t")
        await settle(pilot)
        assert roster.view == "households"
        assert len(roster.households.visible_rows) == 95
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "Quimby household")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: session(app).doc.households.filter(name="Quimby household") != [])


async def test_archive_asks_first_and_archived_rows_come_back_on_request(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        roster = await _roster(pilot)
        target = roster.members.current
        assert target is not None
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert not session(app).doc.members.get(target.id).archived
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await until(pilot, lambda: session(app).doc.members.get(target.id).archived)
        await until(pilot, lambda: all(m.id != target.id for m in roster.members.visible_rows))
        await pilot.press("A")
        await settle(pilot)
        assert any(m.id == target.id for m in roster.members.visible_rows)
        roster.members.select(target.id)
        await pilot.press("x", "y")
        await until(pilot, lambda: not session(app).doc.members.get(target.id).archived)


async def test_member_details_with_skills_certifications_events_and_private_fields(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        roster = await _roster(pilot)
        doc = session(app).doc
        today = date.today()
        ann = doc.members.add(
            name="Aaa Ann",
            zone="B",
            skills="first aid: certified, radio",
            medical_notes="asthma",
            address="12 Maple St",
            consent_share=True,
            phones="mobile: 555-0101",
        )
        doc.certifications.add(name="First aid card", member_id=ann.id, skill="first aid", expires=today - timedelta(1))
        meeting = doc.events.add(name="Spring drill", kind="drill", starts="2026-03-01 10:00", attendance=[ann.id])
        await until(pilot, lambda: roster.members.select(ann.id))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MemberDetail) and "Spring drill" in screen_text(app))
        text = screen_text(app)
        assert "first aid: certified" in text and "does not count" in text
        assert "EXPIRED" in text
        assert "555-0101" in text
        assert "asthma" not in text and "12 Maple St" not in text
        await pilot.press("p")
        await settle(pilot)
        assert "asthma" in screen_text(app) and "12 Maple St" in screen_text(app)
        # A remote-or-local change shows up while the detail is open.
        doc.events.update(meeting.id, name="Spring drill (rescheduled)")
        await until(pilot, lambda: "rescheduled" in screen_text(app))
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RecordForm)
        assert form.editor_for("medical_notes").display, "private fields were asked for"
        await pilot.press("ctrl+r")
        assert not form.editor_for("medical_notes").display
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, RosterScreen)


async def test_search_box_keeps_typing_out_of_the_shortcuts(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        roster = await _roster(pilot)
        await pilot.press("slash")
        await type_text(pilot, "axe 2")
        await settle(pilot)
        assert app.screen is roster, "a, x, e and 2 went into the search box"
        assert roster.query_one(".table-search", Input).value == "axe 2"


async def test_keys_typed_in_a_burst_land_in_the_fields_they_were_typed_for(home: Home) -> None:
    """A fast typist (or a paste through tmux or SSH) sends text and Tabs in one burst: each
    Tab must move on before the next key is delivered, or the Zone ends up in the Name."""
    from textual import events

    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _roster(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        form = app.screen
        assert isinstance(form, RecordForm)
        await settle(pilot)
        burst = [*"Carl Test", "tab", "tab", "C", "tab", *"cell: 555"]
        for key in burst:  # all queued at once, the way a terminal delivers a burst
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await until(pilot, lambda: form.editor_for("phones").raw == "cell: 555")
        assert (form.editor_for("name").raw, form.editor_for("zone").raw) == ("Carl Test", "C")


async def test_a_households_member_count_follows_a_member_who_joins_it(home: Home) -> None:
    # The household itself does not change, only how many members point at it: its row must
    # not keep the count it was first shown with.
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _roster(pilot)
        doc = session(app).doc
        house = doc.households.add(name="Aaa house")
        await until(pilot, lambda: house.id in screen.households._cells)
        assert str(screen.households._cells[house.id][3]) == "0"
        doc.members.add(name="Aaa Newcomer", household_id=house.id)
        await until(pilot, lambda: str(screen.households._cells[house.id][3]) == "1")


async def test_an_edit_to_one_of_two_namesakes_leaves_the_order_alone(home: Home) -> None:
    # Redrawing a large roster because two neighbours share a name and one was edited costs a
    # tenth of a second at x10; the order must not depend on which record was read last.
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _roster(pilot)
        doc = session(app).doc
        first = doc.members.add(name="Aaa Same")
        second = doc.members.add(name="Aaa Same")
        await until(pilot, lambda: {first.id, second.id} <= set(screen.members._keys))
        order = list(screen.members._keys)
        for record in (first, second, first):
            other = doc.fork()
            other.members.update(record.id, notes=f"edited {record.id}")
            doc.apply_changes(other.changes_since(doc.heads()))
            edited = doc.members.get(record.id)
            assert "edited" in edited.notes
            await settle(pilot)
            assert screen.members._keys == order
