"""A form for any record type, built from its FieldSpecs, that returns the validated values.

Validation is the core's own (`parse_value`, `Collection.validate_new`, the group's checks in
`magnet.checks`), shown under each field as the person types or when they save. An edit returns
only the fields the person changed, so a peer's concurrent edit to another field survives. While
the form is open, a peer's change to a field the person has not touched appears in place; what
they typed is never replaced.

Typing is never lost: Escape on a changed form asks (keep editing, discard, save), and what is
typed is kept as a draft (screens/drafts.py) that the same form brings back after a jump to
crisis check-in, a crash or a restart. A membership level is chosen from the group's list, or
added to it on purpose from the form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Select, Static
from textual.worker import get_current_worker

from magnet.checks import check_record, group_posts
from magnet.document import GroupDocument
from magnet.errors import ValidationError
from magnet.fields import FieldSpec, parse_value
from magnet.membership import role_key
from magnet.record import Record
from magnet.records import COLLECTIONS, Member, RoleKind
from magnet.values import FieldKind, choice_label
from screens.drafts import Drafts
from screens.markup import escape
from screens.widgets.fields import FieldEditor, Raw, editable, initial_raw
from screens.widgets.keyfooter import KeyFooter
from screens.widgets.modals import PromptModal, ask_leave
from screens.widgets.topbar import StatusLine

if TYPE_CHECKING:
    from screens.base import Shell

R = TypeVar("R", bound=Record)
FormResult = dict[str, Any]
DRAFT_PAUSE = 0.5  # seconds of quiet before what is typed is written to the drafts
NEW_LEVEL = "__new_level__"
NEW_LEVEL_LABEL = "＋ New level…"


def level_options(doc: GroupDocument) -> list[tuple[str, str]]:
    """(label, value) of the group's membership levels: the usual four, then its own."""
    usual = Member.spec("level").choices
    found = [(choice_label(c), choice_label(c)) for c in usual]
    own = sorted(
        (name for key, name in group_posts(doc, RoleKind.LEVEL.value).items() if key not in usual),
        key=str.lower,
    )
    return found + [(name, name) for name in own]


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
        draft_key: str | None = None,
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
        kind = record_type.COLLECTION or record_type.__name__
        self.draft_key = draft_key or (
            f"{kind}:{record.id}" if record is not None and record.id else f"{kind}:new:{self.title_text}"
        )
        self._draft_timer: Timer | None = None
        self.closed = False

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
                    if self._is_level(spec):  # the group's list, and a way to add to it on purpose
                        options = [*level_options(self.doc), (NEW_LEVEL_LABEL, NEW_LEVEL)]
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

    def _is_level(self, spec: FieldSpec) -> bool:
        return self.record_type is Member and spec.name == "level"

    def on_mount(self) -> None:
        self._apply_private()
        if self.record is not None:
            cast("Shell", self.app).doc_changed.subscribe(self, self._doc_changed)
        self._restore_draft()
        editors = self.editors
        if editors:
            editors[0].editor.focus()

    # ---- drafts --------------------------------------------------------------------------------

    @property
    def drafts(self) -> Drafts | None:
        found = getattr(self.app, "drafts", None)
        return found if isinstance(found, Drafts) else None

    def typed(self) -> dict[str, Raw]:
        """The fields the person changed, as typed."""
        return {editor.spec.name: editor.raw for editor in self.editors if editor.touched}

    @property
    def changed(self) -> bool:
        return bool(self.typed())

    def _restore_draft(self) -> None:
        drafts = self.drafts
        draft = drafts.get(self.draft_key) if drafts is not None else None
        if draft is None:
            return
        restored = []
        for editor in self.editors:
            if editor.spec.name in draft.values:
                editor.set_raw(draft.values[editor.spec.name])
                restored.append(editor.spec.label)
        if restored:
            notice = self.query_one("#form-notice", Static)
            notice.update(
                f"[yellow]Brought back what you typed on {draft.at:%a %d %b %H:%M}, not saved yet: "
                f"{escape(', '.join(restored))}. Escape lets you discard it.[/]"
            )
            notice.add_class("shown")

    def _keep_draft_soon(self) -> None:
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_PAUSE, self.keep_draft)

    def keep_draft(self) -> None:
        """Write what is typed now to the group's drafts (typing pauses call this)."""
        self._draft_timer = None
        drafts = self.drafts
        if drafts is not None and not self.closed:
            drafts.put(self.draft_key, self.title_text, self.typed(), datetime.now())

    def _drop_draft(self) -> None:
        self.closed = True
        if self._draft_timer is not None:
            self._draft_timer.stop()
        drafts = self.drafts
        if drafts is not None:
            drafts.drop(self.draft_key)

    def on_unmount(self) -> None:
        if self._draft_timer is not None and not self.closed:
            self._draft_timer.stop()
            self.keep_draft()

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
        if self._is_level(event.editor.spec) and event.editor.raw == NEW_LEVEL:
            self._new_level(event.editor)
            return
        self._check(event.editor)
        self._keep_draft_soon()

    def _check(self, editor: FieldEditor) -> bool:
        if self._is_level(editor.spec) and editor.raw == NEW_LEVEL:
            return True
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
                record = self.record
                changed = {k: v for k, v in parsed.items() if getattr(record, k) != v}
                if changed:  # the group's own checks, while what was typed is still here to fix
                    check_record(self.doc, self.record_type, changed, record)
        except ValidationError as exc:
            self._show_failure(exc)
            return
        self._drop_draft()
        self.dismiss(parsed)

    def _show_failure(self, exc: ValidationError) -> None:
        parts = exc.field.split(" ")[0].split(".")
        editor = next((e for e in self.editors if e.spec.name in (parts[0], parts[-1])), None)
        if editor is None:
            notice = self.query_one("#form-notice", Static)
            notice.update(f"[red]{escape(str(exc))}[/]")
            notice.add_class("shown")
            return
        editor.show_error(exc.reason)
        if editor.spec.sensitive and not self.show_private:
            editor.display = True
        editor.editor.focus()

    def action_cancel(self) -> None:
        """Escape: leave at once when nothing was typed; otherwise ask what to do with it."""
        if not self.changed:
            self._discard()
            return
        self.keep_draft()
        fields = ", ".join(e.spec.label for e in self.editors if e.touched)
        ask_leave(self, f"You changed {fields}. Leave this form?", save=self.action_save, discard=self._discard)

    def _discard(self) -> None:
        self._drop_draft()
        self.dismiss(None)

    def action_toggle_private(self) -> None:
        self.show_private = not self.show_private
        self._apply_private()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    # ---- a level added on purpose -----------------------------------------------------------

    def _new_level(self, editor: FieldEditor) -> None:
        """'＋ New level…' picked: name it, describe it for the group, and choose it."""
        previous = editor.initial if editor.initial != NEW_LEVEL else ""
        known = {role_key(name) for _label, name in level_options(self.doc)}

        def check(text: str) -> str | None:
            if not text.strip():
                return "a name for the level, e.g. 'youth crew'"
            return "the group has that level already" if role_key(text) in known else None

        def answered(name: str | None) -> None:
            if not name:
                editor.set_raw(previous)
                return
            name = name.strip()
            add = partial(self.doc.roles.add, name=name, kind="level")
            session = getattr(self.app, "session", None)
            if session is not None:
                session.submit(add)  # writes are made in order: the level exists before this form saves
            else:
                add()
            select = editor.editor
            if isinstance(select, Select):
                select.set_options([*level_options(self.doc), (name, name), (NEW_LEVEL_LABEL, NEW_LEVEL)])
            editor.set_raw(name)
            self.notify(f"The group has a new level: {name}", timeout=4)

        self.app.push_screen(
            PromptModal("A new membership level for the group (Plan › Membership describes it):", check=check),
            answered,
        )

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
