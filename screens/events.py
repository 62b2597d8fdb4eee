"""Events: upcoming and past meetings, trainings, drills and socials; RSVPs, attendance, minutes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual.app import App
from textual.binding import Binding, BindingType

from magnet.records import Event, Rsvp
from magnet.values import choice_label
from screens.edits import put_key
from screens.listing import RecordListScreen
from screens.session import Session
from screens.widgets.modals import PickModal, TextModal
from screens.widgets.record_table import Column, cell_text

FORM_FIELDS = (
    "name",
    "kind",
    "starts",
    "ends",
    "place",
    "virtual_link",
    "agenda",
    "organiser_id",
    "course_id",
    "guests",
    "cancelled",
)


def when(event: Event) -> str:
    return event.starts.strftime("%a %d %b %y %H:%M") if event.starts else "?"


def rsvp_count(event: Event, answer: str = "yes") -> int:
    return sum(1 for v in event.rsvps.values() if v == answer)


class EventsScreen(RecordListScreen[Event]):
    AREA = "events"
    TITLE_TEXT = "Events"
    HELP = (
        "Upcoming events soonest first; t shows past ones (latest first). a plans a meeting, training, "
        "drill or social; Enter opens one. r records an RSVP, p takes attendance, m writes the minutes."
    )
    RECORD_TYPE = Event
    FORM_FIELDS = FORM_FIELDS
    SORT = "starts"
    WATCHES: ClassVar[frozenset[str] | None] = frozenset({"events", "members"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "switch", "Past/upcoming"),
        Binding("r", "rsvp", "RSVP"),
        Binding("p", "attendance", "Attend"),
        Binding("m", "minutes", "Minutes"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.past = False
        self.all_events: list[Event] = []

    def columns(self) -> Sequence[Column[Event]]:
        return [
            Column("starts", "When", when, lambda e: e.starts or datetime.min, width=19),
            Column("name", "Title", self._title, width=24),
            Column("kind", "Kind", lambda e: choice_label(e.kind), width=8),
            Column("people", "People", self._people, self._head_count, width=6),
            Column("place", "Place", lambda e: e.place, width=20),
        ]

    @staticmethod
    def _title(event: Event) -> Text:
        name = cell_text(event.name)
        if event.cancelled:
            name.stylize("strike")
        return name

    def _people(self, event: Event) -> str:
        """Who said yes for what is ahead; who came for what is past."""
        if self.past:
            return f"{len(event.attendance)} came" if event.attendance else ""
        return f"{rsvp_count(event)} yes" if event.rsvps else ""

    def _head_count(self, event: Event) -> int:
        return len(event.attendance) if self.past else rsvp_count(event)

    def search_terms(self) -> dict[str, Any]:
        return {"kind": lambda e, v: e.kind.startswith(v), "place": lambda e, v: v in e.place.lower()}

    def haystack(self, record: Event) -> str:
        return record.agenda

    def load(self) -> Sequence[Event]:
        return self.collection.all(include_archived=True)

    def show(self, data: Sequence[Event]) -> None:
        self.all_events = list(data)
        now = self.session.now()
        cut = now.replace(hour=0, minute=0, second=0)
        rows = [e for e in data if (e.starts is not None and e.starts < cut) == self.past]
        table = self.records
        table.sort_column, table.sort_reverse = "starts", self.past
        super().show(rows)
        upcoming = sum(1 for e in data if not e.archived and e.starts is not None and e.starts >= cut)
        past = sum(1 for e in data if not e.archived and e.starts is not None and e.starts < cut)
        tabs = (
            f"Upcoming {upcoming} [b reverse] Past {past} [/]"
            if self.past
            else f"[b reverse] Upcoming {upcoming} [/] Past {past}"
        )
        head = self.query_one("#head")
        head.update(tabs + "   [dim]t switches · Enter opens[/]")  # type: ignore[attr-defined]
        head.display = True

    def focus_on(self, search: str) -> None:
        if self.past:
            self.action_switch()  # the dashboard leads to what is coming up
        super().focus_on(search)

    def show_tab(self, tab: str) -> None:
        """Show what is coming up ("upcoming") or what is past ("past")."""
        if (tab == "past") != self.past:
            self.action_switch()

    def action_switch(self) -> None:
        self.past = not self.past
        self.records.resort()
        self.show(self.all_events)

    def chosen(self, record: Event) -> None:
        from screens.event_detail import EventDetail

        self.app.push_screen(EventDetail(self.session, record.id))

    def action_add(self) -> None:
        now = self.session.now()
        self.open_form(
            Event,
            fields=FORM_FIELDS,
            defaults={"starts": now.replace(hour=19, minute=0, second=0)},
            then=self.select_later,
        )

    def action_rsvp(self) -> None:
        event = self.records.current
        if event is not None:
            self.run_worker(ask_rsvp(self, event), group="rsvp", exclusive=True)

    def action_attendance(self) -> None:
        from screens.attendance import AttendanceScreen

        event = self.records.current
        if event is not None:
            self.app.push_screen(AttendanceScreen(self.session, event.id))

    def action_minutes(self) -> None:
        event = self.records.current
        if event is not None:
            self.run_worker(write_minutes(self, event), group="minutes", exclusive=True)


class Host(Protocol):
    """A screen that can run an event action: it knows the session and writes off the UI thread."""

    session: Session

    @property
    def app(self) -> App[Any]: ...

    def write(self, action: Callable[[], Any], then: Callable[[Any], None] | None = None) -> None: ...


async def ask_rsvp(screen: Host, event: Event) -> None:
    """Pick a member, then their answer; written as one key of the RSVP map."""
    session = screen.session
    members = sorted(session.doc.members.all(), key=lambda m: m.name.lower())
    me = session.me()
    choices = [(f"{m.name}" + (f" — {event.rsvps[m.id]}" if m.id in event.rsvps else ""), m.id) for m in members]
    member_id = await screen.app.push_screen_wait(
        PickModal(f"RSVP for {event.name}: who?", choices, current=me.id if me else None)
    )
    if not member_id:
        return
    answers = [(choice_label(r.value), r.value) for r in Rsvp] + [("(remove the RSVP)", "")]
    answer = await screen.app.push_screen_wait(PickModal("Their answer", answers, current=event.rsvps.get(member_id)))
    if answer is None:
        return
    doc = session.doc
    screen.write(lambda: put_key(doc, Event, event.id, field="rsvps", key=member_id, value=answer or None))


async def write_minutes(screen: Host, event: Event) -> None:
    text = await screen.app.push_screen_wait(
        TextModal(f"Minutes: {event.name} ({when(event)})", event.minutes, draft_key=f"minutes:{event.id}")
    )
    if text is None or text == event.minutes:
        return
    doc = screen.session.doc
    screen.write(lambda: doc.events.update(event.id, minutes=text))
