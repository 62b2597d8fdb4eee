"""Tallying a survey per question and per need, turning it into Needs, and linking needs to goals."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from planning_docs import new_doc, other_device

from magnet.document import GroupDocument
from magnet.needs import apply_tally, by_priority, link_need, suggested_priority, survey_tally, tally, unmet_needs
from magnet.records import Survey, SurveyResponse
from magnet.surveys import record_response, signalled

AT = datetime(2026, 5, 1, 10, 0)


def needs_survey(doc: GroupDocument) -> tuple[str, dict[str, str]]:
    survey = doc.surveys.add(name="Street needs")
    put = doc.surveys.put_entry
    ids = {
        "water": put(survey.id, "questions", text="Do you have 2 weeks of water?", kind="yes_no", category="water"),
        "worry": put(
            survey.id, "questions", text="Which worries you most?", kind="choice", options="food, water, medical care"
        ),
        "help": put(survey.id, "questions", text="What could you use?", kind="multi", options="rides, meals, visits"),
        "ready": put(
            survey.id, "questions", text="How prepared?", kind="scale", options="1-5", category="emergency_response"
        ),
        "else": put(survey.id, "questions", text="Anything else?", kind="text"),
    }
    return survey.id, ids


def test_tally_counts_each_kind_of_question_and_each_person_once_per_need() -> None:
    doc = new_doc()
    survey_id, q = needs_survey(doc)
    answers = [
        {q["water"]: "no", q["worry"]: "water", q["help"]: "rides, meals", q["ready"]: "1", q["else"]: "none"},
        {q["water"]: "yes", q["worry"]: "food", q["help"]: "visits", q["ready"]: "4", q["else"]: "no radio"},
        {q["water"]: "no", q["worry"]: "medical care", q["ready"]: "2"},
        {q["water"]: "yes", q["ready"]: "5"},
    ]
    for n, row in enumerate(answers):
        record_response(doc, survey_id, row, respondent=f"Neighbor {n}", at=AT)

    result = survey_tally(doc, survey_id)
    assert result.respondents == 4
    by_id = {t.question_id: t for t in result.questions}
    assert dict(by_id[q["water"]].counts) == {"yes": 2, "no": 2} and by_id[q["water"]].in_need == 2
    assert dict(by_id[q["worry"]].counts) == {"food": 1, "water": 1, "medical care": 1}
    assert dict(by_id[q["help"]].counts) == {"rides": 1, "meals": 1, "visits": 1} and by_id[q["help"]].answered == 2
    assert by_id[q["ready"]].mean == 3.0 and dict(by_id[q["ready"]].counts)["1"] == 1
    assert sorted(by_id[q["else"]].texts) == ["no radio", "none"]

    people = {c.category: c.people for c in result.categories}
    # Neighbor 0 said "no" to water AND picked water as a worry: one person, counted once.
    assert people["water"] == 2
    assert people["emergency_response"] == 2  # scores 1 and 2
    assert people["food_security"] == 2  # "meals" and "food"
    assert people == {
        "water": 2,
        "emergency_response": 2,
        "food_security": 2,
        "transport": 1,
        "isolation": 1,
        "health": 1,
        "communication": 1,
    }
    assert result.categories[0].people == 2 and result.category("water") is not None
    assert result.category("water").share == 0.5  # type: ignore[union-attr]


def test_tallies_become_needs_and_a_priority_people_set_survives_a_recount() -> None:
    doc = new_doc()
    survey_id, q = needs_survey(doc)
    for n in range(3):
        record_response(doc, survey_id, {q["water"]: "no"}, respondent=f"N{n}", at=AT)
    record_response(doc, survey_id, {q["water"]: "yes", q["else"]: "a ride to dialysis"}, respondent="N3", at=AT)
    first = apply_tally(doc, survey_tally(doc, survey_id))
    needs = {n.category: n for n in doc.needs.all()}
    assert {n.category for n in first.added} == {"water", "transport", "health"}
    assert needs["water"].mentions == 3 and needs["water"].priority == "critical"  # 75%
    assert needs["transport"].priority == "medium"  # 25%
    assert needs["water"].name == "Water" and "3 of 4 respondents" in needs["water"].description

    doc.needs.update(needs["water"].id, priority="high")  # the meeting decided
    for n in range(4, 8):
        record_response(doc, survey_id, {q["water"]: "no"}, respondent=f"N{n}", at=AT)
    again = apply_tally(doc, survey_tally(doc, survey_id))
    assert again.added == () and [n.category for n in again.updated] == ["water"]
    water = doc.needs.get(needs["water"].id)
    assert water.mentions == 7 and water.priority == "high"
    assert len(doc.needs.all()) == 3, "a recount never duplicates a need"
    assert apply_tally(doc, survey_tally(doc, survey_id)).updated == ()


def test_suggested_priority_follows_the_share_of_respondents() -> None:
    assert [suggested_priority(s) for s in (0.0, 0.1, 0.15, 0.35, 0.59, 0.6, 1.0)] == [
        "low",
        "low",
        "medium",
        "high",
        "high",
        "critical",
        "critical",
    ]


def test_linking_needs_to_goals_and_what_is_still_unmet() -> None:
    doc = new_doc()
    water = doc.needs.add(name="Water storage", category="water", priority="high", mentions=9)
    elders = doc.needs.add(name="Checks on elders", category="isolation", priority="critical", mentions=3)
    power = doc.needs.add(name="Backup power", category="health", priority="high", mentions=12)
    assert [n.name for n in by_priority(doc.needs.all())] == ["Checks on elders", "Backup power", "Water storage"]
    barrels = doc.goals.add(name="Barrels for every block")
    dropped = doc.goals.add(name="Generator fund", status="dropped", need_ids={power.id})
    link_need(doc, barrels.id, water.id)
    assert doc.goals.get(barrels.id).need_ids == {water.id}
    goals = doc.goals.all()
    assert [n.id for n in unmet_needs(doc.needs.all(), goals)] == [elders.id, power.id], "a dropped goal meets nothing"
    assert dropped.need_ids == {power.id}

    laptop = other_device(doc)
    link_need(doc, barrels.id, elders.id)
    link_need(laptop, barrels.id, power.id)
    link_need(laptop, barrels.id, water.id, linked=False)
    doc.merge(laptop)
    assert doc.goals.get(barrels.id).need_ids == {elders.id, power.id}, "links from two devices merge"


QUESTIONS = {
    "q1": {"text": "Do you have water?", "kind": "yes_no", "category": "water"},
    "q2": {"text": "Worries?", "kind": "multi", "options": "food, medical care, being alone, fine"},
    "q3": {"text": "Prepared?", "kind": "scale", "options": "1-5", "category": "emergency_response"},
    "q4": {"text": "Anything?", "kind": "text", "category": "health"},
}
answer_sets = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "q1": st.sampled_from(["yes", "no"]),
            "q2": st.lists(
                st.sampled_from(["food", "medical care", "being alone", "fine"]), min_size=1, unique=True
            ).map(", ".join),
            "q3": st.integers(1, 5).map(str),
            "q4": st.sampled_from(["none", "water please", "a walker", "lonely"]),
        },
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(answer_sets)
def test_a_category_counts_exactly_the_people_who_signalled_it(rows: list[dict[str, str]]) -> None:
    survey = Survey(id="s", name="Needs", questions=QUESTIONS)
    responses = [SurveyResponse(id=f"r{n}", survey_id="s", answers=row) for n, row in enumerate(rows)]
    result = tally(survey, responses)
    answering = [row for row in rows if row]
    assert result.respondents == len(answering)
    for found in result.categories:
        expected = sum(
            1 for row in answering if any(found.category in signalled(QUESTIONS[k], v) for k, v in row.items())
        )
        assert found.people == expected > 0
        assert 0 < found.share <= 1
    for question in result.questions:
        assert question.answered == sum(1 for row in answering if question.question_id in row)
        assert question.in_need <= question.answered
        if question.kind in ("yes_no", "scale"):
            assert sum(n for _, n in question.counts) == question.answered
