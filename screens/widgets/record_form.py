"""A form for any record type, built from its FieldSpecs, that returns the validated values.

Validation is the core's own (`parse_value`, `Collection.validate_new`), shown under each field
as the person types. An edit returns only the fields the person changed, so a peer's concurrent
edit to another field survives. While the form is open, a peer's change to a field the person
has not touched appears in place; what they typed is never replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Static
from textual.worker import get_current_worker

from magnet.document import GroupDocument
from magnet.errors import ValidationError
from magnet.fields import FieldKind, FieldSpec, parse_value
from magnet.record import Record
from magnet.records import COLLECTIONS
from screens.widgets.fields import FieldEditor, Raw, editable, initial_raw
from screens.widgets.keyfooter import KeyFooter
from screens.widgets.topbar import StatusLine

if TYPE_CHECKING:
    from screens.base import Shell

R = TypeVar("R", bound=Record)
FormResult = dict[str, Any]


def ref_options(doc: GroupDocument, collection: str) -> list[tuple[str, str]]:
    """(title, id) of every live record in a collection, by title: what a ref can point at."""
    record_type = COLLECTIONS.get(collection)
    if record_type is None:
        return []
    records = doc.collection(record_type).all()
    return sorted(((r.title, r.id) for r in records), key=lambda pair: pair[0].lower())


class RecordForm(ModalScreen[FormResult | None], Generic[R]):
    """Add (record=None) or edit one record; dismisses with the parsed values, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+r", "toggle_private", "Private fields"),
    ]

    def __init__(
        self,
        doc: GroupDocument,
        record_type: type[R],
        record: R | None = None,
        *,
        fields: Sequence[str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        title: str | None = None,
        show_private: bool = False,
        fetch: Callable[[], R | None] | None = None,
        parse: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(classes="form-screen")
        self.doc = doc
        self.record_type = record_type
        self.record = record
        specs = record_type.specs()
        names = list(fields) if fields is not None else list(specs)
        self.specs: list[FieldSpec] = [specs[n] for n in names if n in specs and editable(specs[n])]
        self.defaults = dict(defaults or {})
        verb = "Edit" if record is not None else "New"
        self.title_text = title or f"{verb} {record_type.NOUN}" + (f": {record.title}" if record is not None else "")
        self.show_private = show_private
        # Records outside a collection (the group profile) bring their own reader and parser.
        self.fetch = fetch
        self.parse = parse

    # ---- building ----------------------------------------------------------------------------

    def _value_of(self, spec: FieldSpec) -> Raw:
        if self.record is not None:
            return initial_raw(spec, getattr(self.record, spec.name))
        if spec.name in self.defaults:
            return initial_raw(spec, parse_value(spec, self.defaults[spec.name]))
        return initial_raw(spec, getattr(self.record_type(), spec.name))

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Vertical(id="form"):
            yield Static(self.title_text, id="form-title")
            yield Static("", id="form-notice")
            with VerticalScroll(id="form-fields"):
                for spec in self.specs:
                    options = ref_options(self.doc, spec.ref) if spec.kind is FieldKind.REF and spec.ref else ()
                    editor = FieldEditor(spec, self._value_of(spec), options)
                    if spec.help:
                        editor.tooltip = spec.help
                    yield editor
            with Horizontal(id="form-buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
                yield Static(self._private_hint(), id="form-private")
        yield KeyFooter()

    def _private_hint(self) -> str:
        if not any(s.sensitive for s in self.specs):
            return ""
        return "private fields shown (ctrl+r hides)" if self.show_private else "ctrl+r shows private fields"

    def on_mount(self) -> None:
        self._apply_private()
        if self.record is not None:
            cast("Shell", self.app).doc_changed.subscribe(self, self._doc_changed)
        editors = self.editors
        if editors:
            editors[0].editor.focus()

    @property
    def editors(self) -> list[FieldEditor]:
        return list(self.query(FieldEditor))

    def editor_for(self, name: str) -> FieldEditor:
        return self.query_one(f"#field-{name}", FieldEditor)

    def _apply_private(self) -> None:
        for editor in self.editors:
            if editor.spec.sensitive:
                editor.display = self.show_private or editor.has_class("invalid")
        self.query_one("#form-private", Static).update(self._private_hint())

    # ---- validating --------------------------------------------------------------------------

    @on(FieldEditor.Edited)
    def _edited(self, event: FieldEditor.Edited) -> None:
        self._check(event.editor)

    def _check(self, editor: FieldEditor) -> bool:
        try:
            parse_value(editor.spec, editor.raw)
        except ValidationError as exc:
            editor.show_error(exc.reason)
            return False
        editor.show_error(None)
        return True

    def _values(self) -> dict[str, Raw]:
        values: dict[str, Raw] = {}
        for editor in self.editors:
            raw = editor.raw
            if self.record is not None:
                if editor.touched:
                    values[editor.spec.name] = raw
            elif raw not in ("",) or editor.spec.required:
                values[editor.spec.name] = raw
        return values

    def action_save(self) -> None:
        values = self._values()
        try:
            if self.parse is not None:
                parsed = self.parse(values)
            elif self.record is None:
                collection = self.doc.collection(self.record_type)
                parsed = collection.validate_new(values)
            else:
                parsed = self.doc.collection(self.record_type).parse(values)
                for name, value in parsed.items():
                    if self.record_type.spec(name).required and value in ("", None):
                        raise ValidationError(name, "must not be empty")
        except ValidationError as exc:
            self._show_failure(exc)
            return
        self.dismiss(parsed)

    def _show_failure(self, exc: ValidationError) -> None:
        name = exc.field.split(" ")[0].split(".")[0]
        try:
            editor = self.editor_for(name)
        except Exception:
            notice = self.query_one("#form-notice", Static)
            notice.update(f"[red]{escape(str(exc))}[/]")
            notice.add_class("shown")
            return
        editor.show_error(exc.reason)
        if editor.spec.sensitive and not self.show_private:
            editor.display = True
        editor.editor.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_toggle_private(self) -> None:
        self.show_private = not self.show_private
        self._apply_private()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    # ---- live updates ------------------------------------------------------------------------

    class Fetched(Message):
        """The record as it is now, read on a worker thread after a change."""

        def __init__(self, record: Record | None) -> None:
            super().__init__()
            self.record = record

    def _doc_changed(self, collections: frozenset[str] | None) -> None:
        if self.record is None or (collections is not None and self.record_type.COLLECTION not in collections):
            return
        self._fetch(self.record.id)

    @work(thread=True, exclusive=True, group="form-fetch", exit_on_error=False)
    def _fetch(self, record_id: str) -> None:
        fresh = self.fetch() if self.fetch is not None else self.doc.collection(self.record_type).find(record_id)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Fetched(fresh))

    @on(Fetched)
    def _fetched(self, message: Fetched) -> None:
        fresh = cast("R | None", message.record)
        notice = self.query_one("#form-notice", Static)
        if fresh is None or fresh.archived:
            what = "deleted" if fresh is None else "archived"
            notice.update(f"[b red]This {self.record_type.NOUN} was {what} on another device.[/]")
            notice.add_class("shown")
            return
        taken = []
        kept = []
        for editor in self.editors:
            value = initial_raw(editor.spec, getattr(fresh, editor.spec.name))
            if editor.take_remote(value):
                taken.append(editor.spec.label)
            elif editor.touched and value != editor.initial:
                kept.append(editor.spec.label)
        self.record = fresh
        if taken or kept:
            parts = []
            if taken:
                parts.append("updated from another device: " + ", ".join(taken))
            if kept:
                parts.append("also changed elsewhere (yours kept): " + ", ".join(kept))
            notice.update("[yellow]" + escape("; ".join(parts)) + "[/]")
            notice.add_class("shown")
