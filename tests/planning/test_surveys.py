"""Answering a survey: answers checked per question kind, one response per member, which answers show a need."""

from __future__ import annotations

from datetime import datetime

import pytest
from planning_docs import new_doc, other_device

from magnet.errors import MagnetError, ValidationError
from magnet.needs import survey_tally
from magnet.surveys import need_answer, parse_answer, questions, record_response, scale_range, signalled

AT = datetime(2026, 5, 1, 10, 0)


def q(kind: str, text: str = "Question?", **more: object) -> dict[str, object]:
    return {"kind": kind, "text": text, "category": "other", "options": "", "signals": "", **more}


def test_answers_are_checked_against_the_question_kind() -> None:
    assert parse_answer(q("yes_no"), " Y ") == "yes"
    assert parse_answer(q("yes_no"), "no") == "no"
    with pytest.raises(ValidationError, match="not yes or no"):
        parse_answer(q("yes_no"), "maybe")
    assert parse_answer(q("scale", options="1-5"), "4") == "4"
    with pytest.raises(ValidationError, match="not from 1 to 5"):
        parse_answer(q("scale", options="1,2,3,4,5"), "7")
    with pytest.raises(ValidationError, match="not a number"):
        parse_answer(q("scale"), "lots")
    worries = q("choice", options="food, power, medical care")
    assert parse_answer(worries, "Medical  Care") == "medical care"
    with pytest.raises(ValidationError, match="not one of"):
        parse_answer(worries, "pets")
    with pytest.raises(ValidationError, match="pick one"):
        parse_answer(worries, "food; power")
    multi = q("multi", options="food, power, medical care")
    assert parse_answer(multi, "power; FOOD; power") == "power, food"
    assert parse_answer(q("text"), "  an insulin fridge ") == "an insulin fridge"
    assert parse_answer(q("yes_no"), "  ") == ""


def test_scale_range_reads_the_options_or_defaults_to_one_to_five() -> None:
    assert scale_range(q("scale", options="0 to 10")) == (0, 10)
    assert scale_range(q("scale", options="1,2,3")) == (1, 3)
    assert scale_range(q("scale", options="")) == (1, 5)


def test_which_answers_show_a_need() -> None:
    water = q("yes_no", "Do you have 2 weeks of water stored?", category="water")
    evacuate = q("yes_no", "Does anyone in your home need help evacuating?", category="emergency_response")
    assert need_answer(water) == "no" and need_answer(evacuate) == "yes"
    assert signalled(water, "no") == {"water"} and signalled(water, "yes") == set()
    assert signalled(evacuate, "yes") == {"emergency_response"}
    told = q("yes_no", "Do you need a ride?", category="transport", signals="no")
    assert signalled(told, "no") == {"transport"}, "the question's own setting wins over the guess"

    prepared = q("scale", "How prepared do you feel?", category="emergency_response", options="1-5")
    assert signalled(prepared, "2") == {"emergency_response"}
    assert signalled(prepared, "3") == set() and signalled(prepared, "5") == set()
    worried = q("scale", "How worried are you?", category="health", options="1-5", signals="high")
    assert signalled(worried, "5") == {"health"} and signalled(worried, "1") == set()

    worries = q("choice", options="food, power, medical care, being alone, fine")
    assert signalled(worries, "medical care") == {"health"}
    assert signalled(worries, "being alone") == {"isolation"}
    assert signalled(worries, "fine") == set()
    often = q("choice", "How often do you skip meals?", category="food_security", options="never, weekly, daily")
    assert signalled(often, "daily") == set(), "an option naming no need counts only when the question says so"
    told_often = q("choice", "Rides?", category="transport", options="never, weekly, daily", signals="weekly, daily")
    assert signalled(told_often, "weekly") == {"transport"} and signalled(told_often, "never") == set()

    medical = q("text", "Anything we should know about your health?", category="health")
    assert signalled(medical, "none") == set()
    assert signalled(medical, "my mother uses a walker") == {"health"}
    assert signalled(q("text"), "no water and the phones are out") == {"water", "communication"}


def test_a_member_answering_again_updates_their_one_response() -> None:
    doc = new_doc()
    ann = doc.members.add(name="Ann")
    survey = doc.surveys.add(name="Needs")
    water = doc.surveys.put_entry(survey.id, "questions", text="Water stored?", kind="yes_no", order=1)
    worry = doc.surveys.put_entry(survey.id, "questions", text="Worry?", kind="text", order=0)
    assert [qid for qid, _ in questions(doc.surveys.get(survey.id))] == [worry, water]
    record_response(doc, survey.id, {water: "no"}, member_id=ann.id, at=AT)
    record_response(doc, survey.id, {worry: "alone at night"}, member_id=ann.id, at=AT)
    [response] = doc.responses.all()
    assert response.answers == {water: "no", worry: "alone at night"}
    record_response(doc, survey.id, {water: "yes"}, respondent="Neighbor at 12 Oak", at=AT)
    assert len(doc.responses.all()) == 2


def test_bad_answers_and_closed_surveys_are_refused_with_a_reason() -> None:
    doc = new_doc()
    survey = doc.surveys.add(name="Needs")
    water = doc.surveys.put_entry(survey.id, "questions", text="Water stored?", kind="yes_no")
    with pytest.raises(ValidationError, match="no question"):
        record_response(doc, survey.id, {"nope": "yes"}, respondent="Bo", at=AT)
    with pytest.raises(ValidationError, match="say who answered"):
        record_response(doc, survey.id, {water: "yes"}, at=AT)
    with pytest.raises(ValidationError, match="yes or no"):
        record_response(doc, survey.id, {water: "perhaps"}, respondent="Bo", at=AT)
    doc.surveys.update(survey.id, closed=True)
    with pytest.raises(MagnetError, match="closed"):
        record_response(doc, survey.id, {water: "yes"}, respondent="Bo", at=AT)
    assert doc.responses.all() == []


def test_a_member_answering_on_two_devices_at_once_counts_once() -> None:
    doc = new_doc()
    ann = doc.members.add(name="Ann")
    survey = doc.surveys.add(name="Needs")
    water = doc.surveys.put_entry(survey.id, "questions", text="Water stored?", kind="yes_no", category="water")
    alone = doc.surveys.put_entry(survey.id, "questions", text="Do you live alone?", kind="yes_no", signals="yes")
    laptop = other_device(doc)
    record_response(doc, survey.id, {water: "no"}, member_id=ann.id, at=AT)
    record_response(laptop, survey.id, {alone: "yes"}, member_id=ann.id, at=AT)
    doc.merge(laptop)
    assert len(doc.responses.all()) == 2, "both devices added a response before they met"
    result = survey_tally(doc, survey.id)
    assert result.respondents == 1
    assert {q.question_id: q.answered for q in result.questions} == {water: 1, alone: 1}
