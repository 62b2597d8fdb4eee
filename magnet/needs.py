"""Needs assessment: tally survey answers per question and per need, and turn the tallies into Needs.

A category's count is the number of people who signalled it (see `magnet.surveys`), never the
number of answers, so one worried neighbor answering three questions about water counts once.
Priorities follow the share of respondents and are only suggested: a priority a person set on a
Need is never overwritten by a re-tally.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from magnet.document import GroupDocument
from magnet.fields import split_list
from magnet.records import Goal, GoalStatus, Need, Priority, QuestionKind, Survey, SurveyResponse
from magnet.surveys import options_of, questions, signalled
from magnet.values import choice_label

# Share of respondents who signalled a need -> the priority suggested for it.
PRIORITY_SHARES: tuple[tuple[float, str], ...] = (
    (0.6, Priority.CRITICAL.value),
    (0.35, Priority.HIGH.value),
    (0.15, Priority.MEDIUM.value),
    (0.0, Priority.LOW.value),
)
PRIORITY_RANK = {p.value: i for i, p in enumerate(reversed(Priority))}  # critical 0 ... low 3


# ---- tallying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionTally:
    question_id: str
    text: str
    kind: str
    category: str
    answered: int
    counts: tuple[tuple[str, int], ...]  # option -> people who picked it, in the survey's order
    mean: float | None  # scale questions
    texts: tuple[str, ...]  # written answers
    in_need: int  # people whose answer here shows a need


@dataclass(frozen=True)
class CategoryTally:
    category: str
    people: int  # respondents who signalled it on any question
    share: float  # of all respondents
    question_ids: tuple[str, ...]

    @property
    def label(self) -> str:
        return need_name(self.category)

    @property
    def priority(self) -> str:
        return suggested_priority(self.share)


@dataclass(frozen=True)
class SurveyTally:
    survey: Survey
    respondents: int
    questions: tuple[QuestionTally, ...]
    categories: tuple[CategoryTally, ...]  # most people first

    def category(self, category: str) -> CategoryTally | None:
        return next((c for c in self.categories if c.category == category), None)


def suggested_priority(share: float) -> str:
    return next(priority for floor, priority in PRIORITY_SHARES if share >= floor)


def need_name(category: str) -> str:
    """'food_security' -> 'Food security': the name a new Need gets."""
    label = choice_label(category)
    return label[:1].upper() + label[1:]


def respondents(survey: Survey, responses: Iterable[SurveyResponse]) -> dict[str, dict[str, str]]:
    """Each person's answers: a member who answered on two devices at once is still one person.

    Their responses are combined, the later-recorded answer winning per question.
    """
    people: dict[str, dict[str, str]] = {}
    live = [r for r in responses if r.survey_id == survey.id and not r.archived and r.answers]
    for response in sorted(live, key=lambda r: (r.recorded_at or datetime.min, r.id)):
        who = f"member:{response.member_id}" if response.member_id else f"response:{response.id}"
        people.setdefault(who, {}).update({k: v for k, v in response.answers.items() if v.strip()})
    return people


def tally(survey: Survey, responses: Iterable[SurveyResponse]) -> SurveyTally:
    """Count every question's answers and, per need category, the people who showed that need."""
    mine = respondents(survey, responses)
    asked = questions(survey)
    people_by_category: dict[str, set[str]] = {}
    questions_by_category: dict[str, list[str]] = {}
    tallies: list[QuestionTally] = []
    for question_id, question in asked:
        given = [(who, answers[question_id]) for who, answers in mine.items() if answers.get(question_id, "").strip()]
        kind = str(question.get("kind", "text"))
        options = options_of(question)
        counts: dict[str, int] = {option: 0 for option in options}
        texts: list[str] = []
        scores: list[float] = []
        in_need: set[str] = set()
        for who, answer in given:
            if kind in (QuestionKind.CHOICE.value, QuestionKind.MULTI.value):
                for option in split_list(answer):
                    counts[option] = counts.get(option, 0) + 1
            elif kind in (QuestionKind.YES_NO.value, QuestionKind.SCALE.value):
                key = answer.strip().lower()
                counts[key] = counts.get(key, 0) + 1
                if kind == QuestionKind.SCALE.value:
                    with contextlib.suppress(ValueError):
                        scores.append(float(key))
            else:
                texts.append(answer.strip())
            for category in signalled(question, answer):
                in_need.add(who)
                people_by_category.setdefault(category, set()).add(who)
                found = questions_by_category.setdefault(category, [])
                if question_id not in found:
                    found.append(question_id)
        tallies.append(
            QuestionTally(
                question_id,
                str(question.get("text", "")),
                kind,
                str(question.get("category", "")),
                len(given),
                tuple(counts.items()),
                sum(scores) / len(scores) if scores else None,
                tuple(texts),
                len(in_need),
            )
        )
    total = len(mine)
    categories = [
        CategoryTally(
            category, len(people), len(people) / total if total else 0.0, tuple(questions_by_category[category])
        )
        for category, people in people_by_category.items()
    ]
    categories.sort(key=lambda c: (-c.people, c.category))
    return SurveyTally(survey, total, tuple(tallies), tuple(categories))


def survey_tally(doc: GroupDocument, survey_id: str) -> SurveyTally:
    return tally(doc.surveys.get(survey_id), doc.responses.filter(survey_id=survey_id))


# ---- from tallies to needs --------------------------------------------------------------------


@dataclass(frozen=True)
class NeedsUpdate:
    added: tuple[Need, ...]
    updated: tuple[Need, ...]


def apply_tally(doc: GroupDocument, result: SurveyTally) -> NeedsUpdate:
    """Create a Need per category people signalled, or refresh its count; priorities people set stay."""
    survey = result.survey

    def write() -> NeedsUpdate:
        existing = {n.category: n for n in doc.needs.filter(survey_id=survey.id)}
        new_rows: list[dict[str, Any]] = []
        updated: list[Need] = []
        for found in result.categories:
            description = f"{found.people} of {result.respondents} respondents to {survey.name!r}"
            need = existing.get(found.category)
            if need is None:
                new_rows.append(
                    {
                        "name": need_name(found.category),
                        "category": found.category,
                        "priority": found.priority,
                        "survey_id": survey.id,
                        "mentions": found.people,
                        "description": description,
                    }
                )
            elif need.mentions != found.people:
                updated.append(doc.needs.update(need.id, mentions=found.people))
        return NeedsUpdate(tuple(doc.needs.add_many(new_rows)), tuple(updated))

    return doc.atomic(write)


def by_priority(needs: Iterable[Need]) -> list[Need]:
    """Most pressing first: priority, then how many people named it."""
    return sorted(needs, key=lambda n: (PRIORITY_RANK.get(n.priority, 2), -n.mentions, n.name.lower()))


def goals_meeting(need_id: str, goals: Iterable[Goal]) -> list[Goal]:
    """The live goals that say they meet a need."""
    return [g for g in goals if not g.archived and need_id in g.need_ids and g.status != GoalStatus.DROPPED.value]


def unmet_needs(needs: Iterable[Need], goals: Sequence[Goal]) -> list[Need]:
    """Needs no live goal addresses yet, most pressing first: what the next meeting should plan for."""
    return by_priority(n for n in needs if not n.archived and not goals_meeting(n.id, goals))


def link_need(doc: GroupDocument, goal_id: str, need_id: str, *, linked: bool = True) -> Goal:
    """Say (or unsay) that a goal meets a need; one key of the goal's set, so concurrent links merge."""
    doc.needs.get(need_id)

    def write() -> Goal:
        goal = doc.goals.get(goal_id)
        wanted = goal.need_ids | {need_id} if linked else goal.need_ids - {need_id}
        return doc.goals.update(goal_id, need_ids=wanted)

    return doc.atomic(write)
