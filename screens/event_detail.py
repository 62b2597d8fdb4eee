"""One event: when and where, the agenda, who said they would come, who came, the minutes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Static

from magnet.records import Event
from magnet.values import choice_label
from screens.events import FORM_FIELDS, ask_rsvp, when, write_minutes
from screens.live_modal import DetailModal
from screens.markup import escape
from screens.session import Session
from screens.widgets.record_form import RecordForm


@dataclass(frozen=True)
class EventView:
    event: Event | None
    names: dict[str, str]
    course: str


class EventDetail(DetailModal[EventView]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("e", "edit", "Edit"),
        Binding("r", "rsvp", "RSVP"),
        Binding("p", "attendance", "Attendance"),
        Binding("m", "minutes", "Minutes"),
        Binding("h", "history", "History"),
    ]

    def __init__(self, session: Session, event_id: str) -> None:
        super().__init__(session)
        self.event_id = event_id

    def load(self) -> EventView:
        doc = self.session.doc
        event = doc.events.find(self.event_id)
        names = {m.id: m.name for m in doc.members.all(include_archived=True)}
        course = ""
        if event is not None and event.course_id:
            found = doc.courses.find(event.course_id)
            course = found.name if found else ""
        return EventView(event, names, course)

    def show(self, data: EventView) -> None:
        event = data.event
        title = self.query_one("#detail-title", Static)
        body = self.query_one("#detail-body", Static)
        if event is None:
            title.update("Event not found")
            body.update("It was deleted, perhaps on another device.")
            return
        cancelled = " — CANCELLED" if event.cancelled else ""
        title.update(escape(f"{event.name} ({choice_label(event.kind)}){cancelled}"))
        body.update("\n".join(self._lines(data, event)))

    def _lines(self, view: EventView, event: Event) -> list[str]:
        e = escape
        names = view.names
        ends = f" – {event.ends.strftime('%H:%M')}" if event.ends else ""
        lines = [f"[b]When[/] {when(event)}{ends}"]
        if event.place:
            lines.append(f"[b]Where[/] {e(event.place)}")
        if event.virtual_link:
            lines.append(f"[b]Link[/] {e(event.virtual_link)}")
        if event.organiser_id:
            lines.append(f"[b]Organiser[/] {e(names.get(event.organiser_id, '?'))}")
        if view.course:
            lines.append(f"[b]Course[/] {e(view.course)}")
        if event.agenda:
            lines += ["", "[b]Agenda[/]", e(event.agenda)]
        lines.append("")
        for answer in ("yes", "maybe", "no"):
            who = sorted(names.get(m, "?") for m, v in event.rsvps.items() if v == answer)
            shown = ", ".join(who[:12]) + (f" +{len(who) - 12}" if len(who) > 12 else "")
            lines.append(f"[b]RSVP {answer}[/] ({len(who)}) {e(shown)}")
        came = sorted(names.get(m, "?") for m in event.attendance)
        guests = f" + {event.guests} guests" if event.guests else ""
        lines.append(f"[b]Came[/] ({len(came)}{guests}) {e(', '.join(came[:20]))}{' …' if len(came) > 20 else ''}")
        lines += [
            "",
            "[b]Minutes[/] [dim](m writes them)[/]",
            e(event.minutes) if event.minutes else "[dim]none yet[/]",
        ]
        return lines

    # ---- actions: the same as on the list ------------------------------------------------------

    def _event(self) -> Event | None:
        return self.data.event if self.data else None

    def action_edit(self) -> None:
        event = self._event()
        if event is None:
            return

        def saved(values: dict[str, Any] | None) -> None:
            if values:
                self.write(lambda: self.session.doc.events.update(event.id, **values))

        self.app.push_screen(RecordForm(self.session.doc, Event, event, fields=FORM_FIELDS), saved)

    def action_history(self) -> None:
        from screens.history import open_history

        open_history(self.app, self.session, Event, self.event_id)

    def action_rsvp(self) -> None:
        event = self._event()
        if event is not None:
            self.run_worker(ask_rsvp(self, event), group="rsvp", exclusive=True)

    def action_attendance(self) -> None:
        from screens.attendance import AttendanceScreen

        if self._event() is not None:
            self.app.push_screen(AttendanceScreen(self.session, self.event_id))

    def action_minutes(self) -> None:
        event = self._event()
        if event is not None:
            self.run_worker(write_minutes(self, event), group="minutes", exclusive=True)
