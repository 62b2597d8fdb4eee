"""Check-in (crisis mode): every household's welfare, needs-help first; a block captain's sweep.

A sweep: z picks the block, then s / h / u mark the household under the cursor safe, needing
help or unknown and move to the next. Rows stay where they are while you sweep (R re-sorts).
Every mark is a new report, never an overwrite, so two captains marking at once both count.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from magnet.readiness import WELFARE_ORDER, WelfareUnit, welfare_counts, welfare_units
from magnet.records import CheckIn
from screens.base import AreaScreen
from screens.markup import escape
from screens.prefs import CHECKIN_WINDOWS
from screens.widgets.modals import InfoModal, PickModal, PromptModal
from screens.widgets.record_table import Column, RecordTable
from screens.widgets.topbar import ago

STATUS_TEXT = {
    "needs_help": Text("NEEDS HELP", style="bold white on red"),
    "unknown": Text("?", style="dim"),
    "safe": Text("safe", style="green"),
}


@dataclass(frozen=True)
class Sweep:
    units: list[WelfareUnit]
    names: dict[str, str] = field(default_factory=dict)
    devices: dict[str, str] = field(default_factory=dict)
    now: datetime = field(default_factory=datetime.now)


def window_text(hours: int) -> str:
    if not hours:
        return "all reports"
    return f"last {hours} h" if hours < 48 else f"last {hours // 24} days"


class CheckInScreen(AreaScreen[Sweep]):
    AREA = "checkin"
    TITLE_TEXT = "Check-in"
    HELP = (
        "Welfare of every household, needs help first. To sweep a block: z picks the zone, then "
        "s (safe), h (needs help) or u (unknown) marks the highlighted household and moves down. "
        "n adds a note; Enter shows the household's reports. w changes how old a report may be "
        "and still count; R puts needs-help back on top. Members in no household are listed too."
    )
    WATCHES: ClassVar[frozenset[str] | None] = frozenset({"checkins", "households", "members"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "mark('safe')", "Safe"),
        Binding("h", "mark('needs_help')", "Needs help"),
        Binding("u", "mark('unknown')", "Unknown"),
        Binding("n", "note", "Note"),
        Binding("z", "zone", "Zone"),
        Binding("w", "window", "Window"),
        Binding("R", "resort", "Re-sort", show=False),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sweep = Sweep([])

    def compose_body(self) -> Iterator[Any]:
        yield Static("", classes="area-head", id="head")
        yield RecordTable(
            [
                Column(
                    "status",
                    "Status",
                    lambda u: STATUS_TEXT.get(u.status, Text(u.status)),
                    lambda u: (WELFARE_ORDER.get(u.status, 1), u.zone.lower(), u.name.lower()),
                    width=10,
                ),
                Column(
                    "name", "Household", lambda u: u.name if u.is_household else f"{u.name} (alone)", width=20, least=14
                ),
                Column("zone", "Zone", lambda u: u.zone, lambda u: (u.zone.lower(), u.name.lower()), width=4),
                Column(
                    "when",
                    "When",
                    self._when,
                    lambda u: u.report.at if u.report and u.report.at else datetime.min,
                    width=8,
                ),
                Column("by", "Checked by", self._who, width=12, grow=1, least=8),
                Column("note", "Note", lambda u: u.report.note if u.report else "", width=24),
                Column("people", "Ppl", lambda u: str(u.people), lambda u: u.people, width=3),
            ],
            key=lambda u: u.id,
            search_terms={
                "zone": lambda u, v: u.zone.lower() == v,
                "status": lambda u, v: u.status.replace("_", " ").startswith(v),
            },
            haystack=lambda u: " ".join(m.name for m in u.members),
            is_archived=None,
            sort="status",
            stable_order=True,
            placeholder="/ search · zone:B status:needs",
            id="units",
        )
        yield Static("", id="unit-detail", classes="area-head")

    @property
    def units(self) -> RecordTable[WelfareUnit]:
        table: RecordTable[WelfareUnit] = self.query_one("#units", RecordTable)
        return table

    def _who(self, unit: WelfareUnit) -> str:
        report = unit.report
        if report is None:
            return ""
        if report.recorded_by:
            return self.sweep.names.get(report.recorded_by, "?")
        if report.member_id and not report.household_id:
            return self.sweep.names.get(report.member_id, "themselves")
        return self.sweep.devices.get(report.updated_by, report.updated_by[:8])

    def _when(self, unit: WelfareUnit) -> str:
        if unit.report is None or unit.report.at is None:
            return ""
        at = unit.report.at
        now = self.session.now()
        return at.strftime("%H:%M") if at.date() == now.date() else ago(at, now)

    # ---- data --------------------------------------------------------------------------------

    def _since(self) -> datetime | None:
        hours = self.session.checkin_since_hours
        return self.session.now() - timedelta(hours=hours) if hours else None

    def load(self) -> Sweep:
        doc = self.session.doc
        members = doc.members.all()
        units = welfare_units(doc.households.all(), members, doc.checkins.all(), since=self._since())
        names = {m.id: m.name for m in doc.members.all(include_archived=True)}
        devices = {d.device_id: d.name for d in doc.devices.all(include_archived=True)}
        return Sweep(units, names, devices, self.session.now())

    def show(self, data: Sweep) -> None:
        self.sweep = data
        self.units.set_rows(data.units)
        self._headline()
        self._detail()

    def _detail(self) -> None:
        """The highlighted household in full: who lives there and the last report's note."""
        unit = self.units.current
        line = ""
        if unit is not None:
            people = ", ".join(m.name.split()[0] for m in unit.members[:6]) or "no members listed"
            note = f" · [b]{escape(unit.report.note)}[/]" if unit.report and unit.report.note else ""
            line = f"{escape(unit.name)}: {escape(people)}{note}"
        self.query_one("#unit-detail", Static).update(line)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._detail()

    def _headline(self) -> None:
        table = self.units
        counts = welfare_counts(table.visible_rows if table.search.value.strip() else table.rows)
        zone = next(
            (w.split(":", 1)[1].upper() for w in self.units.search.value.split() if w.startswith("zone:")), "all"
        )
        head = self.query_one("#head", Static)
        head.update(
            f"[b red]{counts.needs_help} need help[/] · [b]{counts.unknown}[/] unknown · [green]{counts.safe} safe[/]"
            f"  [dim]zone {zone} (z) · {window_text(self.session.checkin_since_hours)} (w)[/]"
        )
        head.set_class(counts.needs_help > 0, "alert")

    # ---- the sweep ---------------------------------------------------------------------------

    def _report(self, unit: WelfareUnit, status: str, note: str) -> CheckIn:
        me = self.session.me()
        return CheckIn(
            member_id="" if unit.is_household else unit.id,
            household_id=unit.id if unit.is_household else "",
            status=status,
            at=self.session.now(),
            note=note,
            recorded_by=me.id if me else "",
            updated_by=self.session.device_id,
        )

    def record(self, unit: WelfareUnit, status: str, note: str = "") -> None:
        """Save a report and show it at once (the reload that follows agrees)."""
        report = self._report(unit, status, note)
        checkins = self.session.doc.checkins
        self.write(
            lambda: checkins.add(
                member_id=report.member_id,
                household_id=report.household_id,
                status=report.status,
                at=report.at,
                note=report.note,
                recorded_by=report.recorded_by,
            )
        )
        fresh = dataclasses.replace(unit, status=status, report=report)
        self.units.set_rows([fresh if u.id == unit.id else u for u in self.units.rows])
        self._headline()
        self._detail()

    def action_mark(self, status: str) -> None:
        unit = self.units.current
        if unit is None:
            return
        self.record(unit, status)
        self.units.cursor_down()

    def action_note(self) -> None:
        unit = self.units.current
        if unit is None:
            return

        def answered(note: str | None) -> None:
            if note and note.strip():
                self.record(unit, unit.status, note.strip())

        self.app.push_screen(
            PromptModal(f"Note for {unit.name} (status stays {unit.status.replace('_', ' ')}):"), answered
        )

    @work(exclusive=True, group="zone")
    async def action_zone(self) -> None:
        zones = sorted({u.zone for u in self.units.rows if u.zone}, key=str.lower)
        choices = [("all zones", ""), *[(f"zone {z}", z) for z in zones]]
        zone = await self.app.push_screen_wait(PickModal("Sweep which zone?", choices))
        if zone is None:
            return
        search = self.units.search
        kept = [w for w in search.value.split() if not w.startswith("zone:")]
        search.value = " ".join([*kept, *([f"zone:{zone.lower()}"] if zone else [])])
        self.units.table.focus()
        self.units.table.move_cursor(row=0)
        self._headline()

    def action_window(self) -> None:
        hours = self.session.checkin_since_hours
        index = CHECKIN_WINDOWS.index(hours) if hours in CHECKIN_WINDOWS else -1
        hours = CHECKIN_WINDOWS[(index + 1) % len(CHECKIN_WINDOWS)]
        self.session.checkin_since_hours = hours
        save = getattr(self.app, "save_prefs", None)
        prefs = getattr(self.app, "prefs", None)
        if save is not None and prefs is not None:
            save(prefs.edit(checkin_window=hours))
        self.notify(f"Counting reports from the {window_text(hours)}", timeout=3)
        self.units.resort()
        self.reload()

    def action_resort(self) -> None:
        self.units.resort()

    def focus_on(self, search: str) -> None:
        """Needs help first, the cursor on the first of them: a filter would hide who is unknown."""
        self.units.sort_column, self.units.sort_reverse = "status", False
        super().focus_on(search)
        self.units.table.move_cursor(row=0)
        self._headline()

    @on(RecordTable.Chosen, "#units")
    def _history(self, event: RecordTable.Chosen) -> None:
        event.stop()
        unit: WelfareUnit = event.row
        ids = {m.id for m in unit.members}
        reports = [
            c
            for c in self.session.doc.checkins.all()
            if (unit.is_household and c.household_id == unit.id) or c.member_id in ids or c.member_id == unit.id
        ]
        reports.sort(key=lambda c: c.at or datetime.min, reverse=True)
        lines = [f"{unit.name} — zone {unit.zone or '?'} — {unit.people} people"]
        lines += [f"  {m.name}" for m in unit.members]
        lines.append("")
        if not reports:
            lines.append("No reports yet.")
        for c in reports[:50]:
            who = self.sweep.names.get(c.recorded_by or c.member_id, "") or self.sweep.devices.get(c.updated_by, "?")
            at = c.at.strftime("%Y-%m-%d %H:%M") if c.at else "?"
            lines.append(f"{at}  {c.status.replace('_', ' '):<10} by {who}" + (f" — {c.note}" if c.note else ""))
        self.app.push_screen(InfoModal(f"Reports: {unit.name}", "\n".join(lines)))

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self._headline()
