"""One goal: progress and why it is behind, milestones, the needs it meets, its events, progress over time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from magnet import goals
from magnet.evaluation import bar
from magnet.records import Event, Goal, Need
from magnet.values import choice_label
from screens.live_modal import LiveModal
from screens.markup import escape
from screens.planning.entries import entry_form
from screens.planning.goals import GOAL_FIELDS, record_value
from screens.session import Session
from screens.widgets.keyfooter import KeyFooter
from screens.widgets.modals import PickModal
from screens.widgets.record_form import RecordForm
from screens.widgets.topbar import StatusLine

MILESTONE_FIELDS = ("title", "due")


@dataclass(frozen=True)
class GoalView:
    goal: Goal | None
    today: date
    owner: str = ""
    needs: list[Need] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    all_needs: list[Need] = field(default_factory=list)
    all_events: list[Event] = field(default_factory=list)


class GoalDetail(LiveModal[GoalView]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("v", "record_value", "Progress"),
        Binding("m", "add_milestone", "Milestone"),
        Binding("d", "reach", "Reached"),
        Binding("n", "link_need", "Need"),
        Binding("l", "link_event", "Event"),
        Binding("e", "edit", "Edit"),
        Binding("h", "history", "History"),
    ]

    def __init__(self, session: Session, goal_id: str) -> None:
        super().__init__(session)
        self.goal_id = goal_id

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Vertical(classes="dialog"):
            yield Static("", classes="dialog-text", id="goal-title")
            with VerticalScroll(classes="info-body", id="goal-scroll"):
                yield Static("Loading…", classes="info-text", id="goal-body")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#goal-scroll").focus()

    def load(self) -> GoalView:
        doc = self.session.doc
        goal = doc.goals.find(self.goal_id)
        today = self.session.now().date()
        if goal is None:
            return GoalView(None, today)
        owner = doc.members.find(goal.owner_id) if goal.owner_id else None
        needs = doc.needs.all()
        events = doc.events.all()
        return GoalView(
            goal,
            today,
            owner.name if owner else "",
            [n for n in needs if n.id in goal.need_ids],
            goals.linked_events(goal, events),
            needs,
            events,
        )

    def show(self, data: GoalView) -> None:
        title = self.query_one("#goal-title", Static)
        body = self.query_one("#goal-body", Static)
        goal = data.goal
        if goal is None:
            title.update("Goal not found")
            body.update("It was deleted, perhaps on another device.")
            return
        title.update(escape(f"{goal.name} ({choice_label(goal.status)})"))
        body.update("\n".join(self._lines(data, goal)))

    def _lines(self, data: GoalView, goal: Goal) -> list[str]:
        e = escape
        found = goals.standing(goal, data.today)
        share = f"{found.progress:.0%}" if found.progress is not None else "not measured"
        measure = f" — {goal.current:g} of {goal.target:g} {e(goal.measure)}" if goal.target else ""
        lines = [f"{bar(found.progress, 20)} {share}{measure}"]
        if goal.description:
            lines.append(e(goal.description))
        facts = []
        if goal.target_date:
            facts.append(f"due {goal.target_date.isoformat()}")
        if found.expected is not None and goal.status in goals.LIVE:
            facts.append(f"{found.expected:.0%} of the time gone")
        if data.owner:
            facts.append(f"owner {e(data.owner)}")
        if facts:
            lines.append(" · ".join(facts))
        lines += [f"[b red]BEHIND: {e(reason)}[/]" for reason in found.reasons]
        lines += ["", "[b]Milestones[/] [dim](m adds, d marks reached)[/]"]
        for _, milestone in goals.milestones(goal):
            due = milestone.get("due")
            when = f" due {due.isoformat()}" if due else ""
            if milestone.get("done"):
                done_on = milestone.get("done_on")
                lines.append(
                    f"  [green]✓ {e(str(milestone.get('title', '')))}[/]{when}"
                    + (f", reached {done_on}" if done_on else "")
                )
            else:
                late = due is not None and due < data.today
                mark = "[red]○[/]" if late else "○"
                lines.append(
                    f"  {mark} {e(str(milestone.get('title', '')))}{when}" + (" [red]overdue[/]" if late else "")
                )
        if not goal.milestones:
            lines.append("  [dim]none yet[/]")
        lines += ["", "[b]Needs it meets[/] [dim](n links)[/]"]
        lines += [f"  {e(n.name)} ({n.priority})" for n in data.needs] or ["  [dim]none linked[/]"]
        lines += ["", "[b]Events[/] [dim](l links)[/]"]
        lines += [f"  {ev.starts:%d %b %Y} {e(ev.name)}" if ev.starts else f"  {e(ev.name)}" for ev in data.events] or [
            "  [dim]none linked[/]"
        ]
        history = goals.history(goal)
        if history:
            lines += ["", "[b]Progress over time[/]"]
            top = max(goal.target, *(v for _, v in history)) or 1
            lines += [f"  {day.isoformat()} {value:>7g} {bar(value / top, 20)}" for day, value in history[-12:]]
        return lines

    # ---- actions ---------------------------------------------------------------------------------

    def _goal(self) -> Goal | None:
        return self.data.goal if self.data else None

    @work(exclusive=True, group="goal-ask")
    async def action_record_value(self) -> None:
        goal = self._goal()
        if goal is not None:
            await record_value(self, goal)

    def action_add_milestone(self) -> None:
        goal = self._goal()
        if goal is None:
            return
        form = entry_form(
            self.session.doc,
            Goal,
            goal.id,
            "milestones",
            noun="milestone",
            title_field="title",
            fields=MILESTONE_FIELDS,
            title=f"New milestone for {goal.name}",
        )

        def saved(values: dict[str, Any] | None) -> None:
            if values:
                doc = self.session.doc
                self.write(lambda: doc.goals.put_entry(goal.id, "milestones", **values))

        self.app.push_screen(form, saved)

    @work(exclusive=True, group="goal-ask")
    async def action_reach(self) -> None:
        goal = self._goal()
        if goal is None or not goal.milestones:
            self.notify("No milestones yet: m adds one")
            return
        choices = [
            (("✓ " if m.get("done") else "○ ") + str(m.get("title", "")), key) for key, m in goals.milestones(goal)
        ]
        key = await self.app.push_screen_wait(PickModal("Which milestone was reached? (✓ undoes)", choices))
        if not key:
            return
        done = not goal.milestones[key].get("done")
        doc = self.session.doc
        today = self.session.now().date()
        title = str(goal.milestones[key].get("title", ""))

        def said(_: Any) -> None:
            if done:
                self.notify(f"Milestone reached: {title}", title="Well done")

        self.write(lambda: goals.reach_milestone(doc, goal.id, key, on=today, done=done), said)

    @work(exclusive=True, group="goal-ask")
    async def action_link_need(self) -> None:
        from magnet.needs import by_priority, link_need

        goal, data = self._goal(), self.data
        if goal is None or data is None:
            return
        if not data.all_needs:
            self.notify("No needs yet: they come from Plan › Needs")
            return
        choices = [(("✓ " if n.id in goal.need_ids else "  ") + n.name, n.id) for n in by_priority(data.all_needs)]
        need_id = await self.app.push_screen_wait(PickModal("Which need does it meet? (✓ unlinks)", choices))
        if need_id:
            doc = self.session.doc
            linked = need_id not in goal.need_ids
            self.write(lambda: link_need(doc, goal.id, need_id, linked=linked))

    @work(exclusive=True, group="goal-ask")
    async def action_link_event(self) -> None:
        goal, data = self._goal(), self.data
        if goal is None or data is None:
            return
        linked_ids = {ev.id for ev in data.events}
        ordered = sorted(data.all_events, key=lambda ev: ev.starts or datetime.min, reverse=True)
        choices = [
            (("✓ " if ev.id in linked_ids else "  ") + (f"{ev.starts:%d %b %y} " if ev.starts else "") + ev.name, ev.id)
            for ev in ordered
        ]
        event_id = await self.app.push_screen_wait(PickModal("Which event serves it? (✓ unlinks)", choices))
        if not event_id:
            return
        doc = self.session.doc

        def toggle() -> Any:
            fresh = doc.goals.get(goal.id)
            event = doc.events.get(event_id)
            if event_id in linked_ids:
                doc.events.update(event_id, goal_ids=event.goal_ids - {goal.id})
                return doc.goals.update(goal.id, event_ids=fresh.event_ids - {event_id})
            return doc.goals.update(goal.id, event_ids=fresh.event_ids | {event_id})

        self.write(lambda: doc.atomic(toggle))

    def action_history(self) -> None:
        from screens.history import open_history

        open_history(self.app, self.session, Goal, self.goal_id)

    def action_edit(self) -> None:
        goal = self._goal()
        if goal is None:
            return

        def saved(values: dict[str, Any] | None) -> None:
            if values:
                doc = self.session.doc
                self.write(lambda: doc.goals.update(goal.id, **values))

        self.app.push_screen(RecordForm(self.session.doc, Goal, goal, fields=GOAL_FIELDS), saved)
