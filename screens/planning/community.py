"""Community: good news to celebrate at the next meeting, and the group's social events.

Celebrations gathers milestones reached and goals met in the last 30 days, membership
anniversaries and newcomers, and socials in the next 30 days. a plans a social; Enter opens what
a line is about (the goal, the member, the event).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from magnet.community import AHEAD_DAYS, RECENT_DAYS, Celebration, celebrations
from magnet.plural import counted
from magnet.records import Event, EventKind
from screens.planning.tabs import TabbedPage
from screens.widgets.record_table import Column, RecordTable

SOCIAL_FIELDS = ("name", "kind", "starts", "ends", "place", "agenda", "organiser_id")
KIND_TEXT = {
    "goal": Text("goal met", style="bold green"),
    "milestone": Text("milestone", style="green"),
    "anniversary": Text("years", style="magenta"),
    "welcome": Text("welcome", style="cyan"),
    "social": Text("social", style="yellow"),
}


def celebrate_line(good_news: list[Celebration]) -> str:
    """'42 things to celebrate': the count the Celebrations list shows, socials ahead included."""
    return f"{counted(len(good_news), 'thing')} to celebrate"


@dataclass(frozen=True)
class CommunityData:
    good_news: list[Celebration]
    socials: list[Event]
    now: datetime = field(default_factory=datetime.now)


class CommunityScreen(TabbedPage[CommunityData]):
    TITLE_TEXT = "Community"
    HELP = (
        f"What to celebrate: milestones reached and goals met in the last {RECENT_DAYS} days, "
        f"membership anniversaries and newcomers, socials in the next {AHEAD_DAYS} days. a plans a "
        "social (potluck, clean-up party); Enter opens the goal, member or event a line is about."
    )
    TABS = (("news", "Celebrations"), ("socials", "Socials"))
    WATCHES: ClassVar[frozenset[str] | None] = frozenset({"goals", "members", "events"})
    BINDINGS: ClassVar[list[BindingType]] = [Binding("a", "add", "Plan a social")]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.data = CommunityData([], [])

    def make_table(self, tab: str) -> RecordTable[Any]:
        if tab == "news":
            return RecordTable(
                [
                    Column("day", "When", lambda c: f"{c.day:%a %d %b %y}", lambda c: c.day, width=13),
                    Column("kind", "", lambda c: KIND_TEXT.get(c.kind, Text(c.kind)), width=9),
                    Column("title", "What", lambda c: c.title, width=22, least=12),
                    Column("detail", "", lambda c: c.detail, width=16, least=16),
                ],
                key=lambda c: f"{c.kind}:{c.ref}:{c.day.isoformat()}:{c.title}",
                is_archived=None,
                sort="day",
                id="news",
            )
        return RecordTable(
            [
                Column("starts", "When", self._when, lambda e: e.starts or datetime.min, width=21),
                Column("name", "Social", lambda e: e.name, width=24),
                Column("people", "RSVP/came", self._people, width=9),
            ],
            sort="starts",
            reverse=True,
            id="socials",
        )

    def _when(self, event: Event) -> Text:
        if event.starts is None:
            return Text("")
        return Text(f"{event.starts:%a %d %b %Y %H:%M}", style="bold" if event.starts >= self.data.now else "dim")

    @staticmethod
    def _people(event: Event) -> str:
        yes = sum(1 for v in event.rsvps.values() if v == "yes")
        return f"{yes}/{len(event.attendance)}" if event.attendance else f"{yes}/–"

    def load(self) -> CommunityData:
        doc = self.session.doc
        now = self.session.now()
        socials = [e for e in doc.events.all(include_archived=True) if e.kind == EventKind.SOCIAL.value]
        return CommunityData(celebrations(doc, now=now), socials, now)

    def show(self, data: CommunityData) -> None:
        self.data = data
        ahead = [c for c in data.good_news if c.kind == "social"]
        note = (
            celebrate_line(data.good_news)
            + " · "
            + (
                f"next social: {ahead[0].title} {ahead[0].day:%a %d %b %Y}"
                if ahead
                else "no social planned: a plans one"
            )
        )
        self.fill({"news": data.good_news, "socials": data.socials}, note)

    def action_add(self) -> None:
        starts = self.session.now().replace(hour=18, minute=0, second=0)
        self.open_form(
            Event,
            fields=SOCIAL_FIELDS,
            defaults={"kind": "social", "starts": starts},
            title="Plan a social",
            then=self.select_later,
        )

    def on_record_table_chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        row = event.row
        if isinstance(row, Event):
            self._open_event(row.id)
        elif isinstance(row, Celebration) and row.ref:
            if row.kind == "social":
                self._open_event(row.ref)
            elif row.kind in ("goal", "milestone"):
                from screens.planning.goal_detail import GoalDetail

                self.app.push_screen(GoalDetail(self.session, row.ref))
            else:
                from screens.member_detail import MemberDetail

                self.app.push_screen(MemberDetail(self.session, row.ref))

    def _open_event(self, event_id: str) -> None:
        from screens.event_detail import EventDetail

        self.app.push_screen(EventDetail(self.session, event_id))
