"""One survey: its questions in order with the tally of each, and the needs its answers show.

q adds a question, e edits one, d removes one (answers already given stay in the responses but
no longer count); r records one person's answers (someone at the door, a member
picked from the roster, or a name), m records your own from this device; n turns the tally into
needs (a recount updates their counts and leaves priorities people set); c closes or reopens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from magnet.evaluation import bar
from magnet.needs import SurveyTally, apply_tally, tally
from magnet.records import QuestionKind, Survey
from magnet.surveys import questions, record_response
from magnet.values import choice_label
from screens.live_modal import LiveModal
from screens.markup import escape
from screens.planning.ask import ask_survey, member_choices
from screens.planning.entries import entry_form
from screens.session import Session
from screens.widgets.keyfooter import KeyFooter
from screens.widgets.modals import ConfirmModal, PickModal, PromptModal
from screens.widgets.topbar import StatusLine

QUESTION_FIELDS = ("text", "kind", "options", "category", "signals")
SOMEONE_ELSE = "__someone__"


@dataclass(frozen=True)
class SurveyView:
    survey: Survey | None
    result: SurveyTally | None


def question_lines(result: SurveyTally) -> list[str]:
    e = escape
    lines: list[str] = []
    for number, found in enumerate(result.questions, 1):
        kind = choice_label(found.kind)
        about = f" · {choice_label(found.category)}" if found.category and found.category != "other" else ""
        lines.append(f"[b]{number}. {e(found.text)}[/] [dim]({kind}{about})[/]")
        if found.kind == QuestionKind.TEXT.value:
            said = "; ".join(t for t in found.texts[:4])
            lines.append(f"   {found.answered} answered" + (f": {e(said)}" if said else ""))
        else:
            widest = max((n for _, n in found.counts), default=0) or 1
            for option, count in found.counts:
                lines.append(f"   {e(option)[:18]:<18} {count:>4} {bar(count / widest, 20)}")
            if found.mean is not None:
                lines.append(f"   average {found.mean:.1f}")
        if found.in_need:
            lines.append(f"   [yellow]{found.in_need} of {found.answered} show a need[/]")
    return lines


class SurveyDetail(LiveModal[SurveyView]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("r", "respond", "Record answers"),
        Binding("m", "mine", "My answers"),
        Binding("n", "make_needs", "Make needs"),
        Binding("q", "add_question", "Question"),
        Binding("e", "edit_question", "Edit question"),
        Binding("d", "drop_question", "Remove question"),
        Binding("c", "close_survey", "Close/open"),
    ]

    def __init__(self, session: Session, survey_id: str) -> None:
        super().__init__(session)
        self.survey_id = survey_id

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Vertical(classes="dialog"):
            yield Static("", classes="dialog-text", id="survey-title")
            with VerticalScroll(classes="info-body", id="survey-scroll"):
                yield Static("Loading…", classes="info-text", id="survey-body")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#survey-scroll").focus()

    def load(self) -> SurveyView:
        doc = self.session.doc
        survey = doc.surveys.find(self.survey_id)
        if survey is None:
            return SurveyView(None, None)
        return SurveyView(survey, tally(survey, doc.responses.filter(survey_id=survey.id)))

    def show(self, data: SurveyView) -> None:
        title = self.query_one("#survey-title", Static)
        body = self.query_one("#survey-body", Static)
        survey, result = data.survey, data.result
        if survey is None or result is None:
            title.update("Survey not found")
            body.update("It was deleted, perhaps on another device.")
            return
        state = " — CLOSED" if survey.closed else ""
        title.update(escape(f"{survey.name} · {result.respondents} answered{state}"))
        lines = [escape(survey.purpose), ""] if survey.purpose else []
        if not result.questions:
            lines.append("[dim]No questions yet: q adds one.[/]")
        lines += question_lines(result)
        lines += ["", "[b]Needs these answers show[/] [dim](n makes them needs)[/]"]
        for found in result.categories:
            lines.append(
                f"  {escape(found.label):<20} {found.people:>4} of {result.respondents}"
                f" ({found.share:.0%}) → {found.priority}"
            )
        if not result.categories:
            lines.append("  [dim]none yet[/]")
        body.update("\n".join(lines))

    # ---- questions -----------------------------------------------------------------------------

    def _survey(self) -> Survey | None:
        return self.data.survey if self.data else None

    def action_add_question(self) -> None:
        survey = self._survey()
        if survey is None:
            return
        order = max((int(q.get("order", 0)) for q in survey.questions.values()), default=-1) + 1
        form = entry_form(
            self.session.doc,
            Survey,
            survey.id,
            "questions",
            noun="question",
            title_field="text",
            fields=QUESTION_FIELDS,
            title=f"New question for {survey.name}",
        )

        def saved(values: dict[str, Any] | None) -> None:
            if values:
                doc = self.session.doc
                self.write(lambda: doc.surveys.put_entry(survey.id, "questions", order=order, **values))

        self.app.push_screen(form, saved)

    @work(exclusive=True, group="survey-ask")
    async def action_edit_question(self) -> None:
        survey = self._survey()
        if survey is None or not survey.questions:
            return
        question_id = await self.app.push_screen_wait(PickModal("Edit which question?", self._question_choices(survey)))
        if not question_id:
            return
        form = entry_form(
            self.session.doc,
            Survey,
            survey.id,
            "questions",
            noun="question",
            title_field="text",
            entry_id=question_id,
            fields=QUESTION_FIELDS,
        )
        values = await self.app.push_screen_wait(form)
        if values:
            doc = self.session.doc
            self.write(lambda: doc.surveys.put_entry(survey.id, "questions", question_id, **values))

    @work(exclusive=True, group="survey-ask")
    async def action_drop_question(self) -> None:
        survey = self._survey()
        if survey is None or not survey.questions:
            return
        question_id = await self.app.push_screen_wait(
            PickModal("Remove which question?", self._question_choices(survey))
        )
        if not question_id:
            return
        text = str(survey.questions[question_id].get("text", ""))
        asked = f"Remove “{text}”? Answers already given are kept but no longer counted."
        if await self.app.push_screen_wait(ConfirmModal(asked, yes="Remove", no="Keep")):
            doc = self.session.doc
            self.write(lambda: doc.surveys.remove_entry(survey.id, "questions", question_id))

    @staticmethod
    def _question_choices(survey: Survey) -> list[tuple[str, str]]:
        return [(f"{n}. {q.get('text', '')}", qid) for n, (qid, q) in enumerate(questions(survey), 1)]

    # ---- answers ---------------------------------------------------------------------------------

    @work(exclusive=True, group="survey-ask")
    async def action_respond(self) -> None:
        """Someone answers in person: a member from the roster, or a name for a neighbor not on it."""
        survey = self._survey()
        if survey is None or not self._can_answer(survey):
            return
        doc = self.session.doc
        choices = [("(someone not on the roster)", SOMEONE_ELSE), *member_choices(doc)]
        who = await self.app.push_screen_wait(PickModal(f"Who is answering {survey.name}?", choices))
        if not who:
            return
        member_id, respondent = who, ""
        if who == SOMEONE_ELSE:
            name = await self.app.push_screen_wait(PromptModal("Their name (or 'anonymous')", check=_named))
            if not name:
                return
            member_id, respondent = "", name.strip()
        await self._ask_and_store(survey, member_id, respondent)

    @work(exclusive=True, group="survey-ask")
    async def action_mine(self) -> None:
        """A member answers for themselves on their own device."""
        survey = self._survey()
        if survey is None or not self._can_answer(survey):
            return
        me = self.session.me()
        if me is None:
            self.notify("This device speaks for no member yet (Settings); r records answers for anyone")
            return
        await self._ask_and_store(survey, me.id, "")

    def _can_answer(self, survey: Survey) -> bool:
        if survey.closed:
            self.notify("This survey is closed; c reopens it", severity="warning")
            return False
        if not survey.questions:
            self.notify("Add a question first (q)", severity="warning")
            return False
        return True

    async def _ask_and_store(self, survey: Survey, member_id: str, respondent: str) -> None:
        answers = await ask_survey(self.app, survey)
        if answers is None:
            self.notify("Answers not kept", timeout=3)
            return
        if not answers:
            self.notify("No answers given", timeout=3)
            return
        doc = self.session.doc
        me = self.session.me()
        at = self.session.now()
        self.write(
            lambda: record_response(
                doc,
                survey.id,
                answers,
                member_id=member_id,
                respondent=respondent,
                recorded_by=me.id if me else "",
                at=at,
            ),
            lambda _: self.notify(f"Answers recorded ({len(answers)} of {len(survey.questions)})", timeout=3),
        )

    # ---- needs and state -----------------------------------------------------------------------

    def action_make_needs(self) -> None:
        if self.data is None or self.data.result is None:
            return
        result = self.data.result
        if not result.categories:
            self.notify("No answer shows a need yet", severity="warning")
            return
        doc = self.session.doc

        def said(update: Any) -> None:
            self.notify(f"{len(update.added)} new needs, {len(update.updated)} recounted", title="Needs")

        self.write(lambda: apply_tally(doc, result), said)

    def action_close_survey(self) -> None:
        survey = self._survey()
        if survey is not None:
            doc = self.session.doc
            self.write(lambda: doc.surveys.update(survey.id, closed=not survey.closed))


def _named(text: str) -> str | None:
    return None if text.strip() else "a name, or 'anonymous'"
