"""Dashboard: readiness at a glance; every item leads to the screen that deals with it.

Enter on a card (or a click) follows the card's most pressing item; a click on one line, or that
item's key (l low stock, x expiring, c certificates, k skills), follows that item. What opens is
the screen narrowed by its own search (`is:low`) or page tab, so it reads and clears as usual.
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
from screens import leads
from screens.base import AreaScreen, shell
from screens.leads import Lead, follow
from screens.markup import escape
from screens.sync_link import SyncStatus
from screens.widgets.topbar import describe_sync


def _days(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


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
        "h needs help, l low stock, x expiring items, c certificates, k skills by zone."
    )
    WATCHES: ClassVar[frozenset[str] | None] = frozenset(
        {"members", "households", "checkins", "events", "inventory", "certifications", "courses", "loans"}
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
            yield Card("Skills", leads.TRAINING, id="card-skills")
            yield Card("Roster", leads.ROSTER, id="card-roster")
            yield Card("Peers", leads.PEERS, id="card-peers")

    def on_mount(self) -> None:
        super().on_mount()
        shell(self).sync_changed.subscribe(self, self._show_sync)
        self._show_sync(shell(self).sync)

    def load(self) -> Readiness:
        since = None
        if self.session.checkin_since_hours:
            since = self.session.now() - timedelta(hours=self.session.checkin_since_hours)
        return readiness(self.session.doc, now=self.session.now(), checkin_since=since)

    def show(self, data: Readiness) -> None:
        now = self.session.now()
        w = data.welfare
        hours = self.session.checkin_since_hours
        window = f"last {hours} h" if hours else "all reports"
        welfare = self.query_one("#card-welfare", Card)
        welfare.update(
            f"[b red]{w.needs_help} need help[/]\n[b]{w.unknown}[/] unknown · [green]{w.safe} safe[/]\n"
            f"[dim]{counted(w.total, 'household')} · {window}[/]\nF2 starts a sweep"
        )
        welfare.set_class(w.needs_help > 0, "alert")
        self.query_one("#card-events", Card).update(self._events(data, now))
        supplies = self.query_one("#card-supplies", Card)
        supplies.update(
            f"Water [b]{_days(data.water_days)}[/] d · food [b]{_days(data.food_days)}[/] d\n"
            f"[dim]days for {counted(data.people, 'person', 'people')}[/]\n"
            f"[b]{len(data.low_stock)}[/] low stock [dim](l)[/]\n"
            f"[b]{len(data.expiring)}[/] expiring [dim](x)[/]\n"
            f"{data.open_loans} out on loan"
        )
        supplies.set_class(bool(data.low_stock) or self._short(data), "warn")
        first = leads.LOW_STOCK if data.low_stock else leads.EXPIRING if data.expiring else leads.SUPPLIES
        supplies.point(first, {2: leads.LOW_STOCK, 3: leads.EXPIRING})
        skills = self.query_one("#card-skills", Card)
        skills.update(self._skills(data, now))
        first = leads.SKILLS if data.skill_gaps else leads.CERTIFICATES if data.certs_expiring else leads.TRAINING
        skills.point(first, {0: leads.SKILLS, 1: leads.CERTIFICATES})
        self.query_one("#card-roster", Card).update(
            f"[b]{counted(data.members, 'member')}[/]\n[b]{counted(data.households, 'household')}[/]\n"
            "[dim]search, filter, add, edit[/]"
        )
        if not self.loaded_once:
            self.call_after_refresh(getattr(self.app, "mark_ready", lambda: None))

    @staticmethod
    def _short(data: Readiness) -> bool:
        return any(d is not None and d < 3 for d in (data.water_days, data.food_days))

    @staticmethod
    def _events(data: Readiness, now: datetime) -> str:
        if not data.upcoming:
            return "Nothing in the next two weeks.\n[dim]Enter: plan an event[/]"
        lines = []
        for event in data.upcoming[:3]:
            when = event.starts.strftime("%a %d %b %H:%M") if event.starts else ""
            lines.append(f"[b]{when}[/] {escape(event.name)}")
        more = len(data.upcoming) - 3
        if more > 0:
            lines.append(f"[dim]+{more} more in two weeks[/]")
        return "\n".join(lines)

    @staticmethod
    def _skills(data: Readiness, now: datetime) -> str:
        today = now.date()
        lacking = [g.skill for g in data.skill_gaps]
        expired = sum(1 for c in data.certs_expiring if is_expired(c, today))
        soon = len(data.certs_expiring) - expired
        gaps = escape(", ".join(lacking[:4])) + (f" +{len(lacking) - 4}" if len(lacking) > 4 else "")
        return (
            (f"Lacking: [b yellow]{gaps}[/]" if lacking else "[green]Essential skills covered[/]")
            + f"\nCerts: {soon} expiring, {expired} expired"
            + "\n[dim]k skills · c certificates[/]"
        )

    def _show_sync(self, status: SyncStatus) -> None:
        text, state = describe_sync(status)
        peers = self.query_one("#card-peers", Card)
        lines = [escape(text)]
        if not status.running and status.problem:
            lines.append(f"[dim]{escape(status.problem)}[/]")
        problems = status.problems
        if problems:
            lines.append(f"[yellow]{len(problems)} refused or failed[/]")
        lines.append("[dim]i on Peers: invite a device[/]")
        peers.update("\n".join(lines))
        peers.set_class(state == "offline", "warn")

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
    "certs": leads.CERTIFICATES,
    "skills": leads.SKILLS,
}
