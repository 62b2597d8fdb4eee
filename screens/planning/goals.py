"""Goals: every objective with a progress bar; goals behind schedule stand out in red and sort first.

Enter opens a goal: its milestones, the needs it meets, its events, and its progress over time.
v records today's value (it goes in the progress log too, so the report can show the trend).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType

from magnet import goals
from magnet.evaluation import bar
from magnet.plural import counted
from magnet.records import Goal
from magnet.values import choice_label
from screens.listing import RecordListScreen
from screens.planning.ask import ask_number
from screens.planning.page import PlanPage
from screens.widgets.record_table import Column, field_column

GOAL_FIELDS = ("name", "description", "owner_id", "target_date", "status", "measure", "target", "current")


def progress_cell(standing: goals.Standing | None) -> Text:
    if standing is None:
        return Text("")
    share = standing.progress
    label = f"{bar(share, 8)} {share:.0%}" if share is not None else bar(None, 8)
    return Text(label, style="bold red" if standing.behind else "green" if share == 1.0 else "")


class GoalsScreen(PlanPage[Sequence[Goal]], RecordListScreen[Goal]):
    TITLE_TEXT = "Goals"
    HELP = (
        "The group's goals with their progress; those behind schedule (past their date, a milestone "
        "overdue, or progress trailing the calendar) are red and come first. Enter opens a goal to "
        "add milestones, mark one reached, link needs and events; v records progress."
    )
    RECORD_TYPE = Goal
    FORM_FIELDS = GOAL_FIELDS
    WATCHES: ClassVar[frozenset[str] | None] = frozenset({"goals", "needs", "events", "members"})
    BINDINGS: ClassVar[list[BindingType]] = [Binding("v", "record_value", "Progress")]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.standings: dict[str, goals.Standing] = {}

    def columns(self) -> Sequence[Column[Goal]]:
        return [
            Column("progress", "Progress", lambda g: progress_cell(self.standings.get(g.id)), self._urgency, width=15),
            field_column(Goal, "name", width=24),
            field_column(Goal, "target_date", "Due", width=10),
            Column("state", "State", self._state, width=8),
        ]

    def _urgency(self, goal: Goal) -> tuple[int, float, str]:
        found = self.standings.get(goal.id)
        live = goal.status in goals.LIVE
        return (0 if found and found.behind else 1 if live else 2, -(found.gap if found else 0.0), goal.name.lower())

    def _state(self, goal: Goal) -> Text:
        found = self.standings.get(goal.id)
        if found is not None and found.behind:
            return Text("BEHIND", style="bold white on red")
        return Text(choice_label(goal.status), style="green" if goal.status == "done" else "")

    def search_terms(self) -> dict[str, Any]:
        return {"status": lambda g, v: g.status.startswith(v)}

    def haystack(self, record: Goal) -> str:
        return f"{record.description} {record.measure}"

    def load(self) -> Sequence[Goal]:
        return self.collection.all(include_archived=True)

    def show(self, data: Sequence[Goal]) -> None:
        today = self.session.now().date()
        self.standings = {g.id: goals.standing(g, today) for g in data}
        table = self.records
        if table.sort_column is None:
            table.sort_column = "progress"
        super().show(data)
        live = [g for g in data if not g.archived]
        late = sum(1 for g in live if self.standings[g.id].behind)
        done = sum(1 for g in live if g.status == "done")
        head = (
            f"{counted(len(live), 'goal')} · [b red]{late} behind[/] · {done} done   [dim]Enter opens · v progress[/]"
        )
        self.query_one("#head").update(head)  # type: ignore[attr-defined]
        self.query_one("#head").display = True

    def chosen(self, record: Goal) -> None:
        from screens.planning.goal_detail import GoalDetail

        self.app.push_screen(GoalDetail(self.session, record.id))

    @work(exclusive=True, group="goal-ask")
    async def action_record_value(self) -> None:
        goal = self.records.current
        if goal is not None:
            await record_value(self, goal)


async def record_value(screen: Any, goal: Goal) -> None:
    """Ask for the goal's value today and log it."""
    measure = f" ({goal.measure})" if goal.measure else ""
    value = await ask_number(screen.app, f"{goal.name}: value now{measure}", value=goal.current)
    if value is None:
        return
    doc = screen.session.doc
    today = screen.session.now().date()

    def said(updated: Goal) -> None:
        if updated.status == "done" and goal.status != "done":
            screen.notify(f"{goal.name}: target reached, goal done!", title="Well done")

    screen.write(lambda: goals.record_progress(doc, goal.id, value, on=today), said)
