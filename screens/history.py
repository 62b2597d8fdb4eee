"""History: every change to one record (h on a detail view), the group's recent changes (9), and undo.

Each line is one field a change set: when, who (the member behind the device), the field, and its
old and new value. u undoes the highlighted change when this device made it: the old values are
written back as a new change, so the undo syncs like any edit (and shows here in turn). ctrl+z
anywhere offers this device's latest changes to undo.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from magnet.errors import MagnetError
from magnet.history import Edit, FieldChange, Undone, describe, my_recent_changes, recent_changes, record_history, undo
from magnet.plural import counted
from magnet.record import Record
from magnet.records import COLLECTIONS
from magnet.safetext import shown
from screens.base import AreaScreen
from screens.live_modal import LiveModal
from screens.session import Session
from screens.widgets.keyfooter import KeyFooter
from screens.widgets.modals import ConfirmModal, PickModal
from screens.widgets.record_table import Column, RecordTable
from screens.widgets.topbar import StatusLine


@dataclass(frozen=True)
class Line:
    """One row: a field one change set (or the change itself, when it set none to show)."""

    edit: Edit
    change: FieldChange | None
    first: bool  # the edit's first row carries its time and who made it
    also: tuple[Edit, ...] = ()  # more records the same change created (an import, a sweep's reports)

    @property
    def id(self) -> str:
        return f"{self.edit.change.hex()}:{self.edit.record_id}:{self.change.field if self.change else ''}"

    @property
    def edits(self) -> list[Edit]:
        return [self.edit, *self.also]

    @property
    def what(self) -> str:
        if self.also:
            record_type = COLLECTIONS.get(self.edit.collection)
            plural = record_type.KIND.plural_noun if record_type is not None else self.edit.collection
            return f"{len(self.also) + 1} {plural}"
        return f"{self.edit.noun} {self.edit.title}"


def lines_of(edits: list[Edit], *, together: bool = False) -> list[Line]:
    """Rows for `edits`; `together`: the records one change created share a row ('25 check-ins')."""
    rows: list[Line] = []
    for edit in edits:
        last = rows[-1] if rows else None
        if (
            together
            and edit.created
            and last is not None
            and last.edit.created
            and (last.edit.change, last.edit.collection) == (edit.change, edit.collection)
        ):
            rows[-1] = Line(last.edit, None, True, (*last.also, edit))
            continue
        if edit.created or not edit.fields:
            rows.append(Line(edit, None, True))
            continue
        rows.extend(Line(edit, change, index == 0) for index, change in enumerate(edit.fields))
    return rows


def full_text(line: Line | None) -> str:
    """The highlighted line in full, under the list: a long old or new value is cut in its cell."""
    if line is None:
        return ""
    edit, change = line.edit, line.change
    when = edit.when.strftime("%a %d %b %Y %H:%M") if edit.when else ""
    head = f"{when} · {edit.who} · {line.what}"
    if change is None:
        return shown(f"{head}: {edit.summary()}")
    old = " ".join(change.old_text.split()) or "(empty)"
    new = " ".join(change.new_text.split()) or "(empty)"
    return shown(f"{head}\n{change.label}: {old} → {new}", multiline=True)


def _when(line: Line) -> str:
    when = line.edit.when
    return when.strftime("%d %b %y %H:%M") if when and line.first else ""


def _change_text(line: Line) -> Text:
    change = line.change
    if change is None:
        return Text(line.edit.summary(), style="italic", no_wrap=True, overflow="ellipsis")
    old = shown(" ".join(change.old_text.split())) or "(empty)"
    new = shown(" ".join(change.new_text.split())) or "(empty)"
    return Text.assemble(
        (f"{change.label}: ", "bold"), (old, "red"), " → ", (new, "green"), no_wrap=True, overflow="ellipsis"
    )


def _what(line: Line) -> str:
    return line.what if line.first else ""


def _who(line: Line) -> str:
    return line.edit.who if line.first else ""


def _order(line: Line) -> tuple[int, int]:
    fields = line.edit.fields
    place = fields.index(line.change) if line.change is not None and line.change in fields else 0
    return (-line.edit.order, place)


def _undo_question(edit: Edit) -> str:
    return "Undo this change?\n\n" + shown("\n".join(describe(edit)), multiline=True)


def _undone_text(restored: Sequence[str], kept: Sequence[str]) -> str:
    said = f"; left as they are now: {', '.join(kept)}" if kept else ""
    return f"Undone: {', '.join(restored)}{said}"


def ask_undo(host: Any, line: Line) -> None:
    """Confirm, then undo the line's change on the writer thread; `host` is the screen asking."""
    session: Session = host.session
    edit = line.edit
    if not edit.by_device(session.device_id):
        host.notify(
            f"That change was made by {edit.who}; only the device that made a change undoes it",
            severity="warning",
            timeout=5,
        )
        return
    if line.also:
        question = shown(f"Undo creating {line.what}? They are archived (A shows them, and they can be restored).")
    else:
        question = _undo_question(edit)

    def undone(results: list[Undone]) -> None:
        restored = sorted({name for result in results for name in result.restored})
        kept = sorted({name for result in results for name in result.kept})
        host.notify(_undone_text(restored, kept), title="Undo", timeout=6)

    def answered(yes: bool | None) -> None:
        if yes:
            doc = session.doc
            device = session.device_id
            host.write(lambda: [undo(doc, e, device_id=device) for e in line.edits], undone)

    host.app.push_screen(ConfirmModal(question, yes="Undo", no="Keep"), answered)


class RecordHistory(LiveModal[list[Edit]]):
    """Every change to one record, newest first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("u", "undo", "Undo mine"),
    ]

    def __init__(self, session: Session, record_type: type[Record], record_id: str) -> None:
        super().__init__(session)
        self.record_type = record_type
        self.record_id = record_id

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Vertical(classes="dialog"):
            yield Static("History", classes="dialog-text", id="history-title", markup=False)
            yield RecordTable(
                [
                    Column("when", "When", _when, _order, width=15),
                    Column("who", "Who", _who, width=14, grow=1, least=8),
                    Column("change", "Change", _change_text, width=30, grow=3, least=16),
                ],
                key=lambda line: line.id,
                is_archived=None,
                sort="when",
                placeholder="/ search changes",
                id="history",
            )
            yield Static("", id="history-detail", classes="line-detail", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#history", RecordTable).table.focus()

    def load(self) -> list[Edit]:
        return record_history(self.session.doc, self.record_type.COLLECTION, self.record_id)

    def show(self, data: list[Edit]) -> None:
        title = data[0].title if data else self.record_id
        noun = self.record_type.NOUN
        self.query_one("#history-title", Static).update(
            shown(f"History of the {noun} {title}: {counted(len(data), 'change')}")
        )
        self.query_one("#history", RecordTable).set_rows(lines_of(data))

    def action_undo(self) -> None:
        line = self.query_one("#history", RecordTable).current
        if isinstance(line, Line):
            ask_undo(self, line)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.query_one("#history-detail", Static).update(full_text(self.query_one("#history", RecordTable).current))

    @on(RecordTable.Chosen, "#history")
    def _chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        ask_undo(self, event.row)


def open_history(app: App[Any], session: Session, record_type: type[Record], record_id: str) -> None:
    app.push_screen(RecordHistory(session, record_type, record_id))


class RecentScreen(AreaScreen[list[Edit]]):
    """The group's latest changes, newest first; Enter opens the record's own history."""

    AREA = "history"
    TITLE_TEXT = "History"
    HELP = (
        "What changed lately across the group: when, who (the member behind each device), which "
        "record and which fields, old value → new. Enter shows every change to that record; u "
        "undoes the highlighted change if this device made it (as a new change that syncs like any "
        "edit); m shows only this device's changes. ctrl+z anywhere undoes one of your latest."
    )
    WATCHES: ClassVar[frozenset[str] | None] = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "undo", "Undo mine"),
        Binding("m", "mine", "Only mine"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.only_mine = False
        self.edits: list[Edit] = []

    def compose_body(self) -> Iterator[Any]:
        yield Static("", classes="area-head", id="head")
        yield RecordTable(
            [
                Column("when", "When", _when, _order, width=15),
                Column("who", "Who", _who, width=12, grow=1, least=8),
                Column("what", "Record", _what, width=16, grow=1, least=10),
                Column("change", "Change", _change_text, width=22, grow=3, least=14),
            ],
            key=lambda line: line.id,
            is_archived=None,
            sort="when",
            placeholder="/ search changes",
            id="recent",
        )
        yield Static("", id="recent-detail", classes="line-detail", markup=False)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.query_one("#recent-detail", Static).update(full_text(self.table.current))

    @property
    def table(self) -> RecordTable[Line]:
        found: RecordTable[Line] = self.query_one("#recent", RecordTable)
        return found

    def load(self) -> list[Edit]:
        return recent_changes(self.session.doc, limit=200)

    def show(self, data: list[Edit]) -> None:
        self.edits = data
        mine = [edit for edit in data if edit.by_device(self.session.device_id)]
        shown = mine if self.only_mine else data
        self.table.set_rows(lines_of(shown, together=True))
        scope = "[b reverse] yours only (m) [/]" if self.only_mine else f"{len(mine)} yours (m)"
        self.query_one("#head", Static).update(
            f"{counted(len(shown), 'latest change')} · {scope}   [dim]Enter: the record's · u undo[/]"
        )

    def action_mine(self) -> None:
        self.only_mine = not self.only_mine
        self.show(self.edits)

    def action_undo(self) -> None:
        line = self.table.current
        if line is not None:
            ask_undo(self, line)

    @on(RecordTable.Chosen, "#recent")
    def _chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        edit: Edit = event.row.edit
        record_type = COLLECTIONS.get(edit.collection)
        if record_type is not None:
            open_history(self.app, self.session, record_type, edit.record_id)


async def undo_latest(app: App[Any], session: Session) -> None:
    """ctrl+z: pick one of this device's latest changes (the newest first) and undo it."""
    import asyncio
    from concurrent.futures import Future

    doc = session.doc
    future: Future[list[Edit]] = session.submit(lambda: my_recent_changes(doc, session.device_id, limit=12))
    try:
        mine = await asyncio.wrap_future(future)
    except MagnetError as exc:
        app.notify(str(exc), severity="error")
        return
    if not mine:
        app.notify("Nothing changed on this device lately", timeout=4)
        return
    choices = [
        (shown(describe(edit, width=30)[0] + f" · {edit.noun} {edit.title}"), edit.change.hex() + edit.record_id)
        for edit in mine
    ]
    picked = await app.push_screen_wait(PickModal("Undo which of your changes? (newest first)", choices))
    edit = next((e for e in mine if e.change.hex() + e.record_id == picked), None)
    if edit is None:
        return
    if not await app.push_screen_wait(ConfirmModal(_undo_question(edit), yes="Undo", no="Keep")):
        return
    device = session.device_id
    try:
        result = await asyncio.wrap_future(session.submit(lambda: undo(doc, edit, device_id=device)))
    except MagnetError as exc:
        app.notify(str(exc), title="Not undone", severity="error", timeout=8)
        return
    app.notify(_undone_text(result.restored, result.kept), title="Undo", timeout=6)
