"""Surveys: the questions in order, what a person may answer, and which answers show a need.

A respondent *signals* a need when an answer shows it: "no" to "Do you have two weeks of water?",
a low score on "How prepared do you feel?", "being alone" picked from a list, "insulin fridge"
written in a text box. A question says which answers count (`signals`); when it does not, the
rules here guess the way most surveys are written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from magnet.document import GroupDocument
from magnet.errors import MagnetError, ValidationError
from magnet.fields import split_list
from magnet.records import NeedCategory, QuestionKind, Survey, SurveyResponse
from magnet.wording import categories_in, category_for

Question = Mapping[str, Any]

# A yes/no question about a lack or a worry is answered "yes" by those in need.
_ASKS_ABOUT_NEED = re.compile(
    r"\b(?:need\w*|help|worr\w*|lack\w*|without|alone|struggl\w*|trouble|difficult\w*|afraid|concern\w*)\b",
    re.IGNORECASE,
)
_NOTHING = {"", "no", "none", "nothing", "n/a", "na", "-", "nope", "not really", "no thanks"}
_YES = {"yes", "y", "true", "1", "x"}
_NO = {"no", "n", "false", "0"}

# ---- reading questions ------------------------------------------------------------------------


def questions(survey: Survey) -> list[tuple[str, Question]]:
    """(id, question) in the order the survey asks them."""
    return sorted(survey.questions.items(), key=lambda item: (item[1].get("order", 0), str(item[1].get("text", ""))))


def options_of(question: Question) -> list[str]:
    """The choices offered; for a scale, its points (1-5 when none are given)."""
    kind = question.get("kind", "text")
    raw = str(question.get("options", "") or "")
    if kind == QuestionKind.YES_NO.value:
        return ["yes", "no"]
    if kind == QuestionKind.SCALE.value:
        low, high = scale_range(question)
        return [str(n) for n in range(low, high + 1)]
    return split_list(raw) if kind in (QuestionKind.CHOICE.value, QuestionKind.MULTI.value) else []


def scale_range(question: Question) -> tuple[int, int]:
    """'1,2,3,4,5', '1-5' or '0 to 10' -> (low, high); (1, 5) when the options say nothing usable."""
    numbers = [int(n) for n in re.findall(r"\d+", str(question.get("options", "") or ""))]
    if len(numbers) >= 2 and min(numbers) < max(numbers):
        return min(numbers), max(numbers)
    return 1, 5


def need_answer(question: Question) -> str:
    """For a yes/no question, the answer that shows the need."""
    said = str(question.get("signals", "") or "").strip().lower()
    if said in _YES or said in _NO:
        return "yes" if said in _YES else "no"
    return "yes" if _ASKS_ABOUT_NEED.search(str(question.get("text", ""))) else "no"


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


# ---- answering --------------------------------------------------------------------------------


def parse_answer(question: Question, raw: str) -> str:
    """What a person typed -> the stored answer; a clear ValidationError when it does not fit."""
    name = str(question.get("text", "answer"))[:40]
    value = raw.strip()
    kind = question.get("kind", "text")
    if not value:
        return ""
    if kind == QuestionKind.YES_NO.value:
        word = value.lower()
        if word in _YES:
            return "yes"
        if word in _NO:
            return "no"
        raise ValidationError(name, f"{raw!r} is not yes or no")
    if kind == QuestionKind.SCALE.value:
        low, high = scale_range(question)
        try:
            number = int(value)
        except ValueError:
            raise ValidationError(name, f"{raw!r} is not a number from {low} to {high}") from None
        if not low <= number <= high:
            raise ValidationError(name, f"{number} is not from {low} to {high}")
        return str(number)
    if kind in (QuestionKind.CHOICE.value, QuestionKind.MULTI.value):
        offered = {_norm(option): option for option in options_of(question)}
        picked = split_list(value) if kind == QuestionKind.MULTI.value or _norm(value) not in offered else [value]
        chosen: list[str] = []
        for item in picked:
            option = offered.get(_norm(item))
            if option is None:
                raise ValidationError(name, f"{item!r} is not one of: {', '.join(offered.values())}")
            if option not in chosen:
                chosen.append(option)
        if kind == QuestionKind.CHOICE.value and len(chosen) > 1:
            raise ValidationError(name, "pick one")
        return ", ".join(chosen)
    return value


def record_response(
    doc: GroupDocument,
    survey_id: str,
    answers: Mapping[str, str],
    *,
    member_id: str = "",
    respondent: str = "",
    recorded_by: str = "",
    at: datetime,
) -> SurveyResponse:
    """Store one person's answers, checked against each question.

    A member who answers again (on their own device, after an interview) updates their one
    response: each answer is its own key of the answers map, so two devices filling in different
    questions for the same member both keep theirs.
    """
    survey = doc.surveys.get(survey_id)
    if survey.closed:
        raise MagnetError(f"the survey {survey.name!r} is closed")
    asked = survey.questions
    parsed: dict[str, str] = {}
    for question_id, raw in answers.items():
        if question_id not in asked:
            raise ValidationError("answers", f"the survey has no question {question_id!r}")
        value = parse_answer(asked[question_id], raw)
        if value:
            parsed[question_id] = value
    if not member_id and not respondent.strip():
        raise ValidationError("respondent", "say who answered (a member or a name)")

    def store() -> SurveyResponse:
        earlier = [r for r in doc.responses.filter(survey_id=survey_id) if member_id and r.member_id == member_id]
        if earlier:
            mine = max(earlier, key=lambda r: (r.recorded_at or datetime.min, r.id))
            return doc.responses.update(mine.id, answers={**mine.answers, **parsed}, recorded_at=at)
        return doc.responses.add(
            survey_id=survey_id,
            member_id=member_id,
            respondent=respondent,
            answers=parsed,
            recorded_at=at,
            recorded_by=recorded_by,
        )

    # Under the document's lock: a response merged in between is updated, not duplicated.
    return doc.atomic(store)


def signalled(question: Question, answer: str) -> set[str]:
    """The need categories one answer shows."""
    answer = answer.strip()
    if not answer:
        return set()
    kind = question.get("kind", "text")
    category = str(question.get("category", "") or NeedCategory.OTHER.value)
    said = str(question.get("signals", "") or "").strip().lower()
    if kind == QuestionKind.YES_NO.value:
        word = answer.lower()
        word = "yes" if word in _YES else "no" if word in _NO else word
        return {category} if word == need_answer(question) else set()
    if kind == QuestionKind.SCALE.value:
        try:
            score = float(answer)
        except ValueError:
            return set()
        low, high = scale_range(question)
        middle = (low + high) / 2
        hit = score > middle if said == "high" else score < middle
        return {category} if hit else set()
    if kind in (QuestionKind.CHOICE.value, QuestionKind.MULTI.value):
        wanted = {_norm(s) for s in split_list(said)}
        found: set[str] = set()
        for option in split_list(answer):
            if wanted:
                if _norm(option) in wanted:
                    found.add(category_for(option) or category)
            else:
                # Unless told otherwise, an option counts when it names a need ("medical care").
                named = category_for(option)
                if named is not None:
                    found.add(named)
        return found
    if _norm(answer) in _NOTHING:
        return set()
    found = categories_in(answer)
    if category != NeedCategory.OTHER.value:
        found.add(category)
    return found
