"""Needs: what the community needs, most pressing first, and the surveys that found out.

Needs come from surveys (n on a survey turns its tally into needs) or are added by hand after a
meeting. p sets a need's priority, l links it to the goal that meets it; a need with no goal is
marked, since the article's next step is setting goals for exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType

from magnet.needs import PRIORITY_RANK, by_priority, goals_meeting, link_need
from magnet.plural import counted
from magnet.records import Goal, Need, Priority, Survey
from magnet.values import choice_label
from screens.planning.tabs import TabbedPage
from screens.widgets.modals import PickModal
from screens.widgets.record_table import Column, RecordTable, field_column

PRIORITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "dim"}
NEED_FIELDS = ("name", "category", "priority", "mentions", "description")
SURVEY_FIELDS = ("name", "purpose", "opened", "closed")


@dataclass(frozen=True)
class NeedsData:
    needs: list[Need]
    surveys: list[Survey]
    goals: list[Goal]
    answers: dict[str, int] = field(default_factory=dict)


def priority_text(priority: str) -> Text:
    return Text(choice_label(priority), style=PRIORITY_STYLE.get(priority, ""))


class NeedsScreen(TabbedPage[NeedsData]):
    TITLE_TEXT = "Needs"
    HELP = (
        "Needs, most pressing first, and the surveys that revealed them. On a need: p sets its "
        "priority, l links it to a goal (or unlinks), e edits. On a survey: Enter opens it to add "
        "questions, record answers (in person or your own), see the tally and turn it into needs."
    )
    TABS = (("needs", "Needs"), ("surveys", "Surveys"))
    WATCHES: ClassVar[frozenset[str] | None] = frozenset({"needs", "surveys", "responses", "goals"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("p", "priority", "Priority"),
        Binding("l", "link", "Link goal"),
        Binding("x", "archive", "Archive"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.data = NeedsData([], [], [])

    def make_table(self, tab: str) -> RecordTable[Any]:
        if tab == "needs":
            return RecordTable(
                [
                    Column("priority", "Priority", lambda n: priority_text(n.priority), self._rank, width=8),
                    field_column(Need, "name", width=24),
                    Column("category", "Category", lambda n: choice_label(n.category), width=12),
                    field_column(Need, "mentions", "Said", width=4),
                    Column("goals", "Goal", self._goal_names, width=14),
                ],
                sort="priority",
                haystack=lambda n: n.description,
                search_terms={"category": lambda n, v: v in choice_label(n.category)},
                id="needs",
            )
        return RecordTable(
            [
                field_column(Survey, "name", "Survey", width=28),
                Column("questions", "Asks", lambda s: str(len(s.questions)), lambda s: len(s.questions), width=4),
                Column("answers", "Answers", lambda s: str(self.data.answers.get(s.id, 0)), width=7),
                Column("state", "", lambda s: "closed" if s.closed else "open", width=6),
                field_column(Survey, "opened", width=10),
            ],
            sort="name",
            id="surveys",
        )

    @staticmethod
    def _rank(need: Need) -> tuple[int, int, str]:
        return (PRIORITY_RANK.get(need.priority, 2), -need.mentions, need.name.lower())

    def _goal_names(self, need: Need) -> Text:
        meeting = goals_meeting(need.id, self.data.goals)
        if not meeting:
            return Text("none yet", style="italic yellow")
        return Text(", ".join(g.name for g in meeting))

    # ---- data --------------------------------------------------------------------------------

    def load(self) -> NeedsData:
        doc = self.session.doc
        answers: dict[str, int] = {}
        for response in doc.responses.all():
            answers[response.survey_id] = answers.get(response.survey_id, 0) + 1
        return NeedsData(
            by_priority(doc.needs.all(include_archived=True)),
            doc.surveys.all(include_archived=True),
            doc.goals.all(),
            answers,
        )

    def show(self, data: NeedsData) -> None:
        self.data = data
        unmet = sum(1 for n in data.needs if not n.archived and not goals_meeting(n.id, data.goals))
        note = f"[yellow]{counted(unmet, 'need')} without a goal[/]" if unmet else ""
        self.fill({"needs": data.needs, "surveys": data.surveys}, note)

    # ---- actions -----------------------------------------------------------------------------

    def action_add(self) -> None:
        if self.tab == "needs":
            self.open_form(Need, fields=NEED_FIELDS, then=self.select_later)
        else:
            today = self.session.now().date()
            self.open_form(Survey, fields=SURVEY_FIELDS, defaults={"opened": today}, then=self._survey_added)

    def _survey_added(self, survey: Survey) -> None:
        self.select_later(survey)
        self._open_survey(survey)

    def action_edit(self) -> None:
        record = self.current
        if isinstance(record, Need):
            self.open_form(Need, record, fields=NEED_FIELDS)
        elif isinstance(record, Survey):
            self.open_form(Survey, record, fields=SURVEY_FIELDS)

    def action_archive(self) -> None:
        if self.current is not None:
            self.confirm_archive(self.current)

    @work(exclusive=True, group="needs-ask")
    async def action_priority(self) -> None:
        need = self.current
        if not isinstance(need, Need):
            return
        choices = [(choice_label(p.value), p.value) for p in reversed(Priority)]
        picked = await self.app.push_screen_wait(PickModal(f"Priority of {need.name}", choices, current=need.priority))
        if picked and picked != need.priority:
            doc = self.session.doc
            self.write(lambda: doc.needs.update(need.id, priority=picked))

    @work(exclusive=True, group="needs-ask")
    async def action_link(self) -> None:
        need = self.current
        if not isinstance(need, Need):
            return
        goals = sorted(self.data.goals, key=lambda g: g.name.lower())
        if not goals:
            self.notify("No goals yet: add one under Plan › Goals (g)", severity="warning")
            return
        choices = [(("✓ " if need.id in g.need_ids else "  ") + g.name, g.id) for g in goals]
        goal_id = await self.app.push_screen_wait(PickModal(f"Which goal meets {need.name}? (✓ unlinks)", choices))
        if not goal_id:
            return
        goal = next(g for g in goals if g.id == goal_id)
        linked = need.id not in goal.need_ids
        doc = self.session.doc
        self.write(lambda: link_need(doc, goal_id, need.id, linked=linked))
        self.notify(f"{'Linked' if linked else 'Unlinked'} {need.name} {'to' if linked else 'from'} {goal.name}")

    def on_record_table_chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        if isinstance(event.row, Survey):
            self._open_survey(event.row)
        elif isinstance(event.row, Need):
            self.open_detail(event.row, fields=NEED_FIELDS, related=need_goals)

    def _open_survey(self, survey: Survey) -> None:
        from screens.planning.survey import SurveyDetail

        self.app.push_screen(SurveyDetail(self.session, survey.id))


def need_goals(doc: Any, need: Need) -> list[str]:
    """The goals meeting a need, for its details."""
    from screens.markup import escape

    meeting = goals_meeting(need.id, doc.goals.all())
    if not meeting:
        return ["[yellow]No goal meets it yet: l links one[/]"]
    return ["[b]Goals meeting it[/] " + escape(", ".join(g.name for g in meeting))]
