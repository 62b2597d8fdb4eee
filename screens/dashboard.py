"""Dashboard: readiness at a glance; every item leads to the screen that deals with it.

Eight cards, three lines each at 80x24: welfare check-ins, what is coming up, supplies (low,
empty, expiring, loans overdue), goals behind, the pinned announcement, partners to follow up,
skills, and the group with its peers. Enter on a card (or a click) follows the card's most
pressing item; a click on one line, or that item's key (h needs help, l low stock, x expiring,
o overdue loans, g goals, f follow-ups, c certificates, k skills), follows that item. What opens
is the screen narrowed by its own search (`is:low`) or page tab, so it reads and clears as usual.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.events import Click
from textual.message import Message
from textual.widgets import Static

from magnet.plural import counted
from magnet.readiness import Readiness, is_expired, readiness
from magnet.values import choice_label
from screens import leads
from screens.base import AreaScreen, shell
from screens.leads import Lead, follow
from screens.markup import escape
from screens.widgets.topbar import describe_sync


def _days(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _names(names: list[str], room: int = 3) -> str:
    shown = ", ".join(escape(n) for n in names[:room])
    return shown + (f" +{len(names) - room}" if len(names) > room else "")


class Card(Static, can_focus=True):
    """A focusable summary; Enter opens its lead, a click opens the lead of the line clicked."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "open", "Open")]

    class Open(Message):
        def __init__(self, lead: Lead) -> None:
            super().__init__()
            self.lead = lead

    def __init__(self, title: str, lead: Lead, *, id: str) -> None:
        super().__init__("…", id=id, classes="card")
        self.border_title = title
        self.lead = lead
        self.line_leads: dict[int, Lead] = {}

    def point(self, lead: Lead, lines: dict[int, Lead] | None = None) -> None:
        """Where Enter leads now, and where a click on a given line of the text leads."""
        self.lead = lead
        self.line_leads = lines or {}

    def action_open(self) -> None:
        self.post_message(self.Open(self.lead))

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        line = offset.y if offset is not None else -1
        self.post_message(self.Open(self.line_leads.get(line, self.lead)))


class DashboardScreen(AreaScreen[Readiness]):
    AREA = "dashboard"
    TITLE_TEXT = "Dashboard"
    HELP = (
        "How ready the group is right now. Arrows move between cards; Enter (or a click) opens the "
        "screen behind one, narrowed to what needs attention; a click on a line opens that line's. "
        "h needs help, l low stock, x expiring items, o loans overdue, g goals, a announcements, "
        "f partners to follow up, c certificates, k skills by zone."
    )
    WATCHES: ClassVar[frozenset[str] | None] = frozenset(
        {
            "members",
            "households",
            "checkins",
            "events",
            "inventory",
            "certifications",
            "courses",
            "loans",
            "goals",
            "announcements",
            "partners",
        }
    )
    AUTO_FOCUS = "#card-welfare"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Left", show=False),
        Binding("right", "move(1)", "Right", show=False),
        Binding("up", "move(-2)", "Up", show=False),
        Binding("down", "move(2)", "Down", show=False),
        Binding("h", "lead('needs_help')", "Needs help", show=False),
        Binding("l", "lead('low')", "Low stock", show=False),
        Binding("x", "lead('expiring')", "Expiring items", show=False),
        Binding("o", "lead('overdue')", "Loans overdue", show=False),
        Binding("g", "lead('goals')", "Goals", show=False),
        Binding("a", "lead('news')", "Announcements", show=False),
        Binding("f", "lead('follow_ups')", "Partners to follow up", show=False),
        Binding("c", "lead('certs')", "Certificates", show=False),
        Binding("k", "lead('skills')", "Skills by zone", show=False),
        Binding("r", "reload", "Refresh"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    def compose_body(self) -> Iterator[Any]:
        with Grid(id="cards"):
            yield Card("Check-in", leads.NEEDS_HELP, id="card-welfare")
            yield Card("Coming up", leads.EVENTS, id="card-events")
            yield Card("Supplies", leads.SUPPLIES, id="card-supplies")
            yield Card("Goals", leads.GOALS, id="card-goals")
            yield Card("Pinned", leads.ANNOUNCEMENTS, id="card-news")
            yield Card("Partners", leads.FOLLOW_UPS, id="card-partners")
            yield Card("Skills", leads.TRAINING, id="card-skills")
            yield Card("Group", leads.ROSTER, id="card-group")

    def on_mount(self) -> None:
        super().on_mount()
        shell(self).sync_changed.subscribe(self, lambda _status: self._show_group())
        self.data: Readiness | None = None

    def load(self) -> Readiness:
        since = None
        if self.session.checkin_since_hours:
            since = self.session.now() - timedelta(hours=self.session.checkin_since_hours)
        return readiness(
            self.session.doc, now=self.session.now(), checkin_since=since, memo=self.session.readiness_memo
        )

    def show(self, data: Readiness) -> None:
        self.data = data
        now = self.session.now()
        self._welfare(data)
        self.query_one("#card-events", Card).update(self._events(data))
        self._supplies(data)
        self._goals(data)
        self._news(data, now)
        self._partners(data, now)
        self._skills(data, now)
        self._show_group()
        if not self.loaded_once:
            self.call_after_refresh(getattr(self.app, "mark_ready", lambda: None))

    # ---- the cards -----------------------------------------------------------------------------

    def _welfare(self, data: Readiness) -> None:
        w = data.welfare
        hours = self.session.checkin_since_hours
        window = f"last {hours} h" if hours else "all reports"
        card = self.query_one("#card-welfare", Card)
        card.update(
            f"[b red]{w.needs_help} need help[/] · [green]{w.safe} safe[/]\n"
            f"[b]{w.unknown}[/] unknown of {counted(w.total, 'household')}\n[dim]{window} · F2 sweeps[/]"
        )
        card.set_class(w.needs_help > 0, "alert")

    @staticmethod
    def _events(data: Readiness) -> str:
        if not data.upcoming:
            return "Nothing in the next two weeks.\n[dim]Enter: plan an event[/]"
        lines = []
        shown = data.upcoming[:3] if len(data.upcoming) <= 3 else data.upcoming[:2]
        for event in shown:
            when = event.starts.strftime("%d %b %H:%M") if event.starts else ""
            lines.append(f"[b]{when}[/] {escape(event.name)}")
        more = len(data.upcoming) - len(shown)
        if more > 0:
            lines.append(f"[dim]+{more} more in two weeks[/]")
        return "\n".join(lines)

    def _supplies(self, data: Readiness) -> None:
        card = self.query_one("#card-supplies", Card)
        overdue = len(data.overdue_loans)
        expiring = len(data.expiring)
        last = (
            f"[b red]{counted(overdue, 'loan')} overdue[/] (o), {expiring} exp."
            if overdue
            else f"[b]{expiring}[/] expiring (x), {data.open_loans} on loan"
        )
        card.update(
            f"Water [b]{_days(data.water_days)}[/] d · food [b]{_days(data.food_days)}[/] d\n"
            f"[b]{len(data.low_stock)}[/] low, [b]{len(data.out_of_stock)}[/] empty (l)\n{last}"
        )
        short = any(d is not None and d < 3 for d in (data.water_days, data.food_days))
        card.set_class(bool(data.low_stock) or short or overdue > 0, "warn")
        first = (
            leads.OVERDUE_LOANS
            if overdue
            else leads.LOW_STOCK
            if data.low_stock
            else leads.EXPIRING
            if data.expiring
            else leads.SUPPLIES
        )
        card.point(first, {1: leads.LOW_STOCK, 2: leads.OVERDUE_LOANS if overdue else leads.EXPIRING})

    def _goals(self, data: Readiness) -> None:
        card = self.query_one("#card-goals", Card)
        behind = data.goals_behind
        if behind:
            text = f"[b red]{len(behind)} behind:[/] {_names([g.name for g in behind], 2)}"
        else:
            text = "[green]None behind schedule[/]"
        card.update(f"{text}\n{counted(data.live_goals, 'goal')} under way\n[dim]g: the goals, worst first[/]")
        card.set_class(bool(behind), "warn")

    def _news(self, data: Readiness, now: datetime) -> None:
        card = self.query_one("#card-news", Card)
        pinned = data.pinned
        if pinned is None:
            card.update("Nothing pinned.\n[dim]a: announcements (p pins one)[/]")
            card.set_class(False, "alert")
            return
        when = pinned.posted_at or pinned.created_at
        said = f"{when:%a %d %b}" if when else ""
        urgency = "" if pinned.urgency == "info" else f"[b]{choice_label(pinned.urgency).upper()}[/] "
        body = " ".join(pinned.body.split())
        card.update(f"{urgency}[b]{escape(pinned.name)}[/]\n{escape(body)}\n[dim]posted {said} · a: all[/]")
        card.set_class(pinned.urgency == "urgent", "alert")

    def _partners(self, data: Readiness, now: datetime) -> None:
        card = self.query_one("#card-partners", Card)
        today = now.date()
        due = data.follow_ups
        late = [p for p in due if p.follow_up is not None and p.follow_up < today]
        if not due:
            card.update("[green]No follow-ups due this week[/]\n[dim]f: partners[/]")
            card.set_class(False, "warn")
            return
        first = due[0]
        when = f"{first.follow_up:%a %d %b}" if first.follow_up else ""
        alert = f" · [b red]{len(late)} overdue[/]" if late else ""
        card.update(
            f"[b]{counted(len(due), 'follow-up')}[/] due{alert}\n{when}: {escape(first.name)}\n[dim]f: partners[/]"
        )
        card.set_class(bool(late), "warn")

    def _skills(self, data: Readiness, now: datetime) -> None:
        today = now.date()
        lacking = [g.skill for g in data.skill_gaps]
        expired = sum(1 for c in data.certs_expiring if is_expired(c, today))
        soon = len(data.certs_expiring) - expired
        card = self.query_one("#card-skills", Card)
        card.update(
            (f"Lacking: [b yellow]{_names(lacking, 3)}[/]" if lacking else "[green]Essential skills covered[/]")
            + f"\nCerts: {soon} expiring, {expired} expired"
            + "\n[dim]k skills · c certificates[/]"
        )
        first = leads.SKILLS if data.skill_gaps else leads.CERTIFICATES if data.certs_expiring else leads.TRAINING
        card.point(first, {0: leads.SKILLS, 1: leads.CERTIFICATES})

    def _show_group(self) -> None:
        if not self.is_mounted:
            return
        status = shell(self).sync
        data = getattr(self, "data", None)
        text, state = describe_sync(status)
        people = (
            f"[b]{counted(data.members, 'member')}[/] · [b]{counted(data.households, 'household')}[/]"
            if data is not None
            else "…"
        )
        problems = status.problems
        trouble = f" · [yellow]{len(problems)} refused or failed[/]" if problems else ""
        reason = "" if status.running or not status.problem else f"\n[dim]{escape(status.problem)}[/]"
        card = self.query_one("#card-group", Card)
        card.update(f"{people}\n{escape(text)}{trouble}{reason or chr(10) + '[dim]6: peers · i invites[/]'}")
        card.point(leads.ROSTER, {1: leads.PEERS, 2: leads.PEERS})
        card.set_class(state == "offline", "warn")

    # ---- moving and opening ------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        cards = list(self.query(Card))
        focused = self.focused
        index = cards.index(focused) if isinstance(focused, Card) and focused in cards else 0
        target = index + step
        if 0 <= target < len(cards):
            cards[target].focus()

    def action_reload(self) -> None:
        self.reload()

    def action_lead(self, name: str) -> None:
        self.open_lead(ITEM_LEADS[name])

    def on_card_open(self, message: Card.Open) -> None:
        self.open_lead(message.lead)

    def open_lead(self, lead: Lead) -> None:
        # The app runs it: following a lead switches away from this screen.
        self.app.run_worker(follow(self.app, lead), exclusive=True, group="lead")


ITEM_LEADS = {
    "needs_help": leads.NEEDS_HELP,
    "low": leads.LOW_STOCK,
    "expiring": leads.EXPIRING,
    "overdue": leads.OVERDUE_LOANS,
    "goals": leads.GOALS,
    "news": leads.ANNOUNCEMENTS,
    "follow_ups": leads.FOLLOW_UPS,
    "certs": leads.CERTIFICATES,
    "skills": leads.SKILLS,
}
