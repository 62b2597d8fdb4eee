"""Questions the planning pages ask in a modal: pick a member, a date, a number, an answer to a survey question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from magnet.document import GroupDocument
from magnet.errors import ValidationError
from magnet.fields import parse_date, parse_number
from magnet.records import QuestionKind, Survey
from magnet.surveys import Question, options_of, parse_answer, questions
from screens.widgets.modals import PickModal, PromptModal

SKIP = "__skip__"


def member_choices(doc: GroupDocument, *, only: set[str] | None = None) -> list[tuple[str, str]]:
    members = sorted(doc.members.all(), key=lambda m: m.name.lower())
    return [(f"{m.name}" + (f" ({m.zone})" if m.zone else ""), m.id) for m in members if only is None or m.id in only]


async def pick_member(app: Any, doc: GroupDocument, question: str, *, current: str | None = None) -> str | None:
    return await app.push_screen_wait(PickModal(question, member_choices(doc), current=current))  # type: ignore[no-any-return]


def _date_problem(text: str) -> str | None:
    if not text.strip():
        return None
    try:
        parse_date(text, "date")
    except ValidationError as exc:
        return exc.reason
    return None


@dataclass(frozen=True)
class Answered:
    """What a person gave (None: they left it empty); the question itself returns None when cancelled."""

    value: date | None


async def ask_date(app: Any, question: str, *, value: date | None = None, optional: bool = True) -> Answered | None:
    """A date, or an empty answer when `optional`; None when the person cancelled."""
    text = await app.push_screen_wait(
        PromptModal(
            question,
            value=value.isoformat() if value else "",
            placeholder="YYYY-MM-DD" + (" (empty for none)" if optional else ""),
            check=lambda t: "a date is needed" if not optional and not t.strip() else _date_problem(t),
        )
    )
    if text is None:
        return None
    return Answered(parse_date(text, "date") if text.strip() else None)


async def ask_number(app: Any, question: str, *, value: float | None = None) -> float | None:
    def problem(text: str) -> str | None:
        from magnet.fields import FieldSpec
        from magnet.values import FieldKind

        try:
            parse_number(text, FieldSpec(FieldKind.NUMBER, "value", minimum=0), "value")
        except ValidationError as exc:
            return exc.reason
        return None if text.strip() else "a number is needed"

    text = await app.push_screen_wait(
        PromptModal(question, value=f"{value:g}" if value is not None else "", check=problem)
    )
    return None if text is None else float(text.replace(",", ""))


async def ask_answer(app: Any, question: Question, heading: str) -> str | None:
    """One answer: a pick for yes/no, choices and scales, typed text otherwise; "" skips, None cancels."""
    kind = question.get("kind", QuestionKind.TEXT.value)
    text = str(question.get("text", ""))
    if kind in (QuestionKind.YES_NO.value, QuestionKind.CHOICE.value, QuestionKind.SCALE.value):
        choices = [(option, option) for option in options_of(question)] + [("(skip this question)", SKIP)]
        picked: str | None = await app.push_screen_wait(PickModal(f"{heading} {text}", choices))
        return None if picked is None else "" if picked == SKIP else picked

    def problem(typed: str) -> str | None:
        try:
            parse_answer(question, typed)
        except ValidationError as exc:
            return exc.reason
        return None

    hint = ", ".join(options_of(question))
    typed: str | None = await app.push_screen_wait(
        PromptModal(
            f"{heading} {text}",
            placeholder=f"any of: {hint} (comma separated)" if hint else "their words; empty skips",
            check=problem,
        )
    )
    return None if typed is None else parse_answer(question, typed)


async def ask_survey(app: Any, survey: Survey) -> dict[str, str] | None:
    """Every question in order; None when the person gave up part way (nothing is stored then)."""
    asked = questions(survey)
    answers: dict[str, str] = {}
    for number, (question_id, question) in enumerate(asked, 1):
        answer = await ask_answer(app, question, f"{number}/{len(asked)}")
        if answer is None:
            return None
        if answer:
            answers[question_id] = answer
    return answers
