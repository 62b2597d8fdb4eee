"""Needs assessment at 80x24: build a survey of several kinds, answer it in person and on one's own device, see the tally, make needs, prioritise, link to a goal."""

from __future__ import annotations

from typing import Any

from plan_app import SIZE, make_app, open_plan, screen_text, session, settle, type_text, until
from textual.pilot import Pilot
from textual.widgets import Input

from magnet.home import Home
from screens.planning.needs import NeedsScreen
from screens.planning.survey import SurveyDetail
from screens.widgets.modals import ConfirmModal, PickModal, PromptModal
from screens.widgets.record_form import RecordForm


async def add_question(pilot: Pilot[Any], text: str, **fields: str) -> None:
    app = pilot.app
    await pilot.press("q")
    await until(pilot, lambda: isinstance(app.screen, RecordForm))
    form = app.screen
    assert isinstance(form, RecordForm)
    for name, value in {"text": text, **fields}.items():
        form.editor_for(name).set_raw(value)
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(app.screen, SurveyDetail) and text in screen_text(app))


async def pick(pilot: Pilot[Any], words: str) -> None:
    """Narrow a pick list as if typed, then Enter."""
    await until(pilot, lambda: isinstance(pilot.app.screen, PickModal))
    pilot.app.screen.query_one(Input).value = words
    await pilot.pause()
    await pilot.press("enter")


async def prompt(pilot: Pilot[Any], words: str) -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, PromptModal))
    pilot.app.screen.query_one(Input).value = words
    await pilot.press("enter")


async def test_build_and_answer_a_survey_then_see_the_tally_and_the_needs(home: Home) -> None:
    home.create_group("Maple Street MAG", member_name="Ann Organiser").close()
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        needs = await open_plan(pilot, "n")
        assert isinstance(needs, NeedsScreen)
        doc = session(app).doc
        ann = session(app).me()
        assert ann is not None
        bob = doc.members.add(name="Bob Neighbor")
        await pilot.press("t")
        assert needs.tab == "surveys"
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        await type_text(pilot, "Storm season needs")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SurveyDetail) and "Storm season needs" in screen_text(app))
        [survey] = doc.surveys.all()

        await add_question(pilot, "Do you have 2 weeks of water?", kind="yes_no", category="water")
        await add_question(pilot, "Which worries you most?", kind="choice", options="food, medical care, being alone")
        await add_question(pilot, "How prepared do you feel?", kind="scale", options="1-5")
        await add_question(pilot, "What could you use?", kind="multi", options="rides, meals")
        await add_question(pilot, "Anything else?", kind="text")
        survey = doc.surveys.get(survey.id)
        kinds = sorted(q["kind"] for q in survey.questions.values())
        assert kinds == ["choice", "multi", "scale", "text", "yes_no"]

        # In person, at the door: a neighbor who is not on the roster.
        await pilot.press("r")
        await pick(pilot, "not on the roster")
        await prompt(pilot, "Neighbor at 12 Oak")
        await pick(pilot, "no")
        await pick(pilot, "medical")
        await pick(pilot, "2")
        await prompt(pilot, "rides, meals")
        await prompt(pilot, "no radio at home")
        await until(pilot, lambda: len(doc.responses.all()) == 1)
        # A member picked from the roster, who skips a question.
        await pilot.press("r")
        await pick(pilot, "Bob Neigh")
        await pick(pilot, "no")
        await pick(pilot, "being alone")
        await pick(pilot, "skip")
        await prompt(pilot, "")
        await prompt(pilot, "")
        await until(pilot, lambda: len(doc.responses.all()) == 2)
        # Ann on her own device.
        await pilot.press("m")
        await pick(pilot, "yes")
        await pick(pilot, "food")
        await pick(pilot, "5")
        await prompt(pilot, "")
        await prompt(pilot, "")
        await until(pilot, lambda: len(doc.responses.all()) == 3)

        by_who = {r.member_id or r.respondent: r for r in doc.responses.all()}
        assert set(by_who) == {"Neighbor at 12 Oak", bob.id, ann.id}
        assert sorted(by_who[bob.id].answers.values()) == ["being alone", "no"]
        assert by_who[ann.id].recorded_by == ann.id

        await until(pilot, lambda: "3 answered" in screen_text(app))
        scroll = app.screen.query_one("#survey-scroll")
        scroll.scroll_end(animate=False)
        await settle(pilot)
        text = screen_text(app)
        assert "Water" in text and "2 of 3 (67%) → critical" in text

        await pilot.press("n")
        await until(pilot, lambda: len(doc.needs.all()) >= 4)
        needs_found = {n.category: n for n in doc.needs.all()}
        assert needs_found["water"].mentions == 2 and needs_found["water"].priority == "critical"
        assert {"health", "isolation", "transport", "food_security", "communication"} <= set(needs_found)

        await pilot.press("escape")
        await until(pilot, lambda: app.screen is needs)
        await pilot.press("t")
        await until(pilot, lambda: needs.tab == "needs" and "none yet" in screen_text(app))
        water = needs_found["water"]
        needs.table().select(water.id)
        await pilot.press("p")
        await pick(pilot, "high")
        await until(pilot, lambda: doc.needs.get(water.id).priority == "high")

        goal = doc.goals.add(name="Barrels for every block")
        await until(pilot, lambda: any(g.id == goal.id for g in needs.data.goals))
        needs.table().select(water.id)
        await pilot.press("l")
        await pick(pilot, "Barrels")
        await until(pilot, lambda: doc.goals.get(goal.id).need_ids == {water.id})
        await until(pilot, lambda: "Barrels for" in screen_text(app))


async def test_removing_a_question_keeps_the_answers_but_stops_counting_them(home: Home) -> None:
    with home.create_group("Maple Street MAG", member_name="Ann Organiser") as group:
        survey = group.doc.surveys.add(name="Storm season needs")
        water = group.doc.surveys.put_entry(
            survey.id, "questions", text="Do you have water?", kind="yes_no", category="water", order=0
        )
        radio = group.doc.surveys.put_entry(survey.id, "questions", text="Own a radio?", kind="yes_no", order=1)
        group.doc.responses.add(survey_id=survey.id, respondent="Neighbor", answers={water: "no", radio: "yes"})
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_plan(pilot, "n")
        doc = session(app).doc
        app.push_screen(SurveyDetail(session(app), survey.id))
        await until(pilot, lambda: "Own a radio?" in screen_text(app) and "Water" in screen_text(app))
        await pilot.press("d")
        await pick(pilot, "water")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")  # keep it after all
        await until(pilot, lambda: isinstance(app.screen, SurveyDetail))
        assert set(doc.surveys.get(survey.id).questions) == {water, radio}

        await pilot.press("d")
        await pick(pilot, "water")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: set(doc.surveys.get(survey.id).questions) == {radio})
        await until(pilot, lambda: "Do you have water?" not in screen_text(app))
        assert "none yet" in screen_text(app)  # the water need is no longer shown
        [response] = doc.responses.all()
        assert response.answers[water] == "no"  # what the neighbor said is still on record
