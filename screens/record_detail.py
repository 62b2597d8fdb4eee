"""A record's details, for any kind: every field by its label, references by name, private ones on request.

Enter on a row opens this everywhere a list has no richer view of its own (households, partners,
items, loans, channels, needs, courses, certificates); `e` edits, `h` shows the record's history.
Screens add lines about related records (who lives in a household, what a partner could meet).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Static

from magnet.document import GroupDocument
from magnet.fields import FieldSpec
from magnet.record import Record
from magnet.records import COLLECTIONS
from magnet.values import FieldKind, format_value
from screens.live_modal import DetailModal
from screens.markup import escape
from screens.session import Session
from screens.widgets.record_form import RecordForm

Related = Callable[[GroupDocument, Record], list[str]]


@dataclass(frozen=True)
class DetailView:
    record: Record | None
    names: dict[str, str] = field(default_factory=dict)  # id -> title of every record a field refers to
    related: list[str] = field(default_factory=list)  # markup lines about related records
    updated_by: str = ""


def referred_names(doc: GroupDocument, record: Record) -> dict[str, str]:
    """Titles of the records `record` refers to, so a detail shows names, never ids."""
    names: dict[str, str] = {}
    for spec in record.specs().values():
        target = COLLECTIONS.get(spec.ref or "")
        if target is None:
            continue
        value = getattr(record, spec.name)
        ids = [value] if isinstance(value, str) else list(value)
        for ref in ids:
            found = doc.collection(target).find(str(ref)) if ref else None
            if found is not None:
                names[found.id] = found.title
    return names


def who_changed(doc: GroupDocument, device_id: str) -> str:
    """The member (or, failing that, the device) behind a device id."""
    if not device_id:
        return ""
    for device in doc.devices.all(include_archived=True):
        if device.device_id == device_id:
            member = doc.members.find(device.member_id) if device.member_id else None
            return member.name if member is not None else device.name
    return f"device {device_id[:8]}"


def value_text(spec: FieldSpec, value: Any, names: dict[str, str]) -> str:
    """One field for a person to read: a reference by its name, a set of references by theirs."""
    if spec.kind is FieldKind.REF:
        return names.get(str(value), f"(missing {str(value)[:8]})") if value else ""
    if spec.ref and spec.kind is FieldKind.TAGS:
        return ", ".join(sorted(names.get(str(v), "?") for v in value))
    if spec.ref and spec.kind is FieldKind.MAPPING:
        return ", ".join(sorted(f"{names.get(k, '?')}: {v}" for k, v in value.items()))
    return format_value(spec, value)


class RecordDetail(DetailModal[DetailView]):
    """The detail view of one record of any kind."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("e", "edit", "Edit"),
        Binding("h", "history", "History"),
        Binding("p", "private", "Private fields"),
    ]

    def __init__(
        self,
        session: Session,
        record_type: type[Record],
        record_id: str,
        *,
        fields: Sequence[str] | None = None,
        related: Related | None = None,
    ) -> None:
        super().__init__(session)
        self.record_type = record_type
        self.record_id = record_id
        self.fields = list(fields) if fields is not None else list(record_type.specs())
        self.related = related
        self.show_private = False

    def load(self) -> DetailView:
        doc = self.session.doc
        record = doc.collection(self.record_type).find(self.record_id)
        if record is None:
            return DetailView(None)
        related = self.related(doc, record) if self.related is not None else []
        return DetailView(record, referred_names(doc, record), related, who_changed(doc, record.updated_by))

    def show(self, data: DetailView) -> None:
        self._paint()

    def _paint(self) -> None:
        view = self.data
        if view is None:
            return
        title = self.query_one("#detail-title", Static)
        body = self.query_one("#detail-body", Static)
        record = view.record
        if record is None:
            title.update(f"This {self.record_type.NOUN} is gone")
            body.update("It was deleted, perhaps on another device.")
            return
        archived = " (archived)" if record.archived else ""
        title.update(escape(f"{record.NOUN.capitalize()}: {self.title_of(record, view)}{archived}"))
        body.update("\n".join(self.lines(view, record)))

    def title_of(self, record: Record, view: DetailView) -> str:
        spec = record.all_specs().get(record.TITLE_FIELD)
        if spec is not None and spec.kind is FieldKind.REF:
            return view.names.get(str(getattr(record, record.TITLE_FIELD)), record.title)
        return record.title

    def lines(self, view: DetailView, record: Record) -> list[str]:
        specs = record.specs()
        shown = [specs[name] for name in self.fields if name in specs]
        width = min(max((len(s.label) for s in shown), default=8), 22)
        lines: list[str] = []
        hidden = []
        for spec in shown:
            if spec.sensitive and not self.show_private:
                hidden.append(spec.label.lower())
                continue
            text = value_text(spec, getattr(record, spec.name), view.names)
            if spec.kind is FieldKind.ENTRIES or not text:
                continue
            label = f"[b]{escape(spec.label[:width]):<{width}}[/]"
            first, *rest = text.split("\n")
            lines.append(f"{label} {escape(first)}")
            lines += [" " * (width + 1) + escape(more) for more in rest]
        if hidden:
            lines.append(f"[dim]Private: {escape(', '.join(hidden))} — p shows[/]")
        elif any(s.sensitive for s in shown):
            lines.append("[dim]Private fields shown (p hides)[/]")
        if view.related:
            lines += ["", *view.related]
        when = record.updated_at.strftime("%Y-%m-%d %H:%M") if record.updated_at else ""
        if when or view.updated_by:
            by = f" by {escape(view.updated_by)}" if view.updated_by else ""
            lines += ["", f"[dim]Last changed {when}{by} · h shows every change[/]"]
        return lines

    # ---- actions -----------------------------------------------------------------------------

    def action_private(self) -> None:
        self.show_private = not self.show_private
        self._paint()

    def action_edit(self) -> None:
        record = self.data.record if self.data else None
        if record is None:
            return
        collection = self.session.doc.collection(self.record_type)

        def saved(values: dict[str, Any] | None) -> None:
            if values:
                self.write(lambda: collection.update(record.id, **values))

        form = RecordForm(
            self.session.doc, self.record_type, record, fields=self.fields, show_private=self.show_private
        )
        self.app.push_screen(form, saved)

    def action_history(self) -> None:
        from screens.history import open_history

        record = self.data.record if self.data else None
        if record is not None:
            open_history(self.app, self.session, self.record_type, record.id)
