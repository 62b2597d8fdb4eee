"""Taking attendance: everyone who said yes or maybe first; space or Enter marks a person present."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from magnet.records import Event, Member
from screens.edits import toggle_tag
from screens.live_modal import LiveModal
from screens.session import Session
from screens.widgets.keyfooter import KeyFooter
from screens.widgets.record_table import Column, RecordTable
from screens.widgets.topbar import StatusLine

RSVP_RANK = {"yes": 0, "maybe": 1, "no": 3}


@dataclass(frozen=True)
class Roll:
    event: Event | None
    members: list[Member]


class AttendanceScreen(LiveModal[Roll]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "mark", "Present/absent"),
        Binding("escape", "close", "Done"),
    ]

    def __init__(self, session: Session, event_id: str) -> None:
        super().__init__(session, classes="info-modal")
        self.event_id = event_id
        self.event: Event | None = None

    def _rsvp(self, member: Member) -> str:
        return self.event.rsvps.get(member.id, "") if self.event else ""

    def _here(self, member: Member) -> bool:
        return bool(self.event and member.id in self.event.attendance)

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Vertical(classes="dialog"):
            yield Static("Attendance", classes="dialog-text", id="roll-title")
            yield RecordTable(
                [
                    Column("here", "Here", lambda m: "✓" if self._here(m) else "", width=4),
                    Column("name", "Name", lambda m: m.name, width=26),
                    Column("zone", "Zone", lambda m: m.zone, width=5),
                    Column(
                        "rsvp",
                        "RSVP",
                        self._rsvp,
                        lambda m: (RSVP_RANK.get(self._rsvp(m), 2), m.name.lower()),
                        width=6,
                    ),
                ],
                sort="rsvp",
                stable_order=True,
                placeholder="/ find a person",
                id="roll",
            )
        yield KeyFooter()

    @property
    def roll(self) -> RecordTable[Member]:
        table: RecordTable[Member] = self.query_one("#roll", RecordTable)
        return table

    def on_mount(self) -> None:
        super().on_mount()
        self.roll.table.focus()

    def load(self) -> Roll:
        doc = self.session.doc
        return Roll(doc.events.find(self.event_id), doc.members.all())

    def show(self, data: Roll) -> None:
        self.event = data.event
        event = self.event
        if event is None:
            self.query_one("#roll-title", Static).update("This event was deleted on another device")
            return
        present = len(event.attendance)
        said_yes = sum(1 for v in event.rsvps.values() if v == "yes")
        self.query_one("#roll-title", Static).update(
            f"Attendance: {event.name} — {present} present · {said_yes} said yes · space marks"
        )
        self.roll.set_rows(data.members)

    def action_mark(self) -> None:
        member = self.roll.current
        if member is None or self.event is None:
            return
        present = not self._here(member)
        doc = self.session.doc
        self.write(lambda: toggle_tag(doc, Event, self.event_id, field="attendance", tag=member.id, on=present))
        self.roll.cursor_down()

    @on(RecordTable.Chosen, "#roll")
    def _chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        self.action_mark()
