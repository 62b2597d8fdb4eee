"""One editor per field, chosen by its FieldKind: text, numbers, flags, dates, choices, refs, lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea

from magnet.fields import FieldSpec
from magnet.values import FieldKind, choice_label, format_value
from screens.widgets.tick import Tick

# Fields people write a paragraph in.
LONG_TEXT = frozenset(
    {
        "notes",
        "minutes",
        "agenda",
        "description",
        "body",
        "medical_notes",
        "special_needs",
        "comment",
        "responsibilities",
        "mission",
        "agreements",
        "purpose",
        "details",
        "how_to_join",
    }
)
PLACEHOLDERS = {
    FieldKind.DATE: "YYYY-MM-DD",
    FieldKind.MOMENT: "YYYY-MM-DD HH:MM",
    FieldKind.TAGS: "comma separated",
    FieldKind.MAPPING: "name: value, name: value",
}
Raw = str | bool


def editable(spec: FieldSpec) -> bool:
    """Fields a generic form can edit; lists of references and entries have their own screens."""
    if spec.system or spec.kind is FieldKind.ENTRIES:
        return False
    return not (spec.kind in (FieldKind.TAGS, FieldKind.MAPPING) and spec.ref)


def initial_raw(spec: FieldSpec, value: Any) -> Raw:
    """What the editor shows for a stored value (and what parse_value reads back)."""
    kind = spec.kind
    if kind is FieldKind.FLAG:
        return bool(value)
    if kind is FieldKind.CHOICE:
        if not spec.open_choice:
            return str(value or "")
        return choice_label(str(value)) if str(value) in spec.choices else str(value or "")
    if kind is FieldKind.REF:
        return str(value or "")
    if kind is FieldKind.MAPPING and spec.value_choices:
        return ", ".join(f"{k}: {choice_label(v)}" if v else k for k, v in sorted(value.items()))
    if kind in (FieldKind.NUMBER, FieldKind.TALLY, FieldKind.INTEGER) and not value:
        return "" if kind is not FieldKind.TALLY else "0"
    return format_value(spec, value)


class FieldEditor(Vertical):
    """A label, the right input for the field's kind, and a line for its error."""

    class Edited(Message):
        def __init__(self, editor: FieldEditor) -> None:
            super().__init__()
            self.editor = editor

    def __init__(self, spec: FieldSpec, value: Raw, ref_options: Sequence[tuple[str, str]] = ()) -> None:
        """`ref_options` (label, value): what a reference may point at, or an open choice's list."""
        super().__init__(classes="field", id=f"field-{spec.name}")
        self.spec = spec
        self.initial: Raw = value
        self.ref_options = list(ref_options)
        if spec.sensitive:
            self.add_class("sensitive")

    def compose(self) -> ComposeResult:
        spec = self.spec
        label = spec.label + (" *" if spec.required else "") + (" (private)" if spec.sensitive else "")
        with Horizontal(classes="field-row"):
            yield Label(label, classes="field-label")
            yield self._editor()
        yield Static("", classes="field-error", markup=False)
        if spec.help:
            yield Static(spec.help, classes="field-help")

    def _editor(self) -> Widget:
        spec, value = self.spec, self.initial
        kind = spec.kind
        if kind is FieldKind.FLAG:
            return Tick("", bool(value), compact=True, classes="editor")
        if kind is FieldKind.CHOICE and self.ref_options:
            # An open choice offered from a list (the group's membership levels).
            options = list(self.ref_options)
            if value and value not in {v for _, v in options}:
                options.insert(0, (str(value), str(value)))
            return Select(options, value=str(value or options[0][1]), allow_blank=False, compact=True, classes="editor")
        if kind is FieldKind.CHOICE and not spec.open_choice:
            options = [(choice_label(c), c) for c in spec.choices]
            current = str(value) if str(value) in spec.choices else spec.choices[0]
            return Select(options, value=current, allow_blank=False, compact=True, classes="editor")
        if kind is FieldKind.REF:
            known = {rid for _, rid in self.ref_options}
            options = list(self.ref_options)
            if value and value not in known:
                options.append((f"(missing {str(value)[:8]})", str(value)))
            return Select(
                options,
                value=str(value) if value else Select.NULL,
                allow_blank=True,
                prompt="(none)",
                compact=True,
                classes="editor",
            )
        if kind is FieldKind.TEXT and spec.name in LONG_TEXT:
            return TextArea(str(value), soft_wrap=True, compact=True, classes="editor long")
        suggester = None
        if kind is FieldKind.CHOICE:
            suggester = SuggestFromList([choice_label(c) for c in spec.choices], case_sensitive=False)
        restrict = r"[0-9.,\-+]*" if kind in (FieldKind.NUMBER, FieldKind.TALLY, FieldKind.INTEGER) else None
        placeholder = PLACEHOLDERS.get(kind, "")
        if kind is FieldKind.MAPPING and spec.value_choices:
            placeholder = "name: " + "/".join(spec.value_choices)
        return Input(
            str(value), placeholder=placeholder, restrict=restrict, suggester=suggester, compact=True, classes="editor"
        )

    @property
    def editor(self) -> Widget:
        return self.query_one(".editor")

    @property
    def raw(self) -> Raw:
        widget = self.editor
        if isinstance(widget, Checkbox):
            return widget.value
        if isinstance(widget, Select):
            return "" if widget.value is Select.NULL else str(widget.value)
        if isinstance(widget, TextArea):
            return widget.text
        assert isinstance(widget, Input)
        return widget.value

    def set_raw(self, value: Raw) -> None:
        widget = self.editor
        if isinstance(widget, Checkbox):
            widget.value = bool(value)
        elif isinstance(widget, Select):
            widget.value = str(value) if value else Select.NULL
        elif isinstance(widget, TextArea):
            widget.text = str(value)
        elif isinstance(widget, Input):
            widget.value = str(value)

    @property
    def touched(self) -> bool:
        """Did the person change this field since the form opened (or last took a remote value)?"""
        return self.raw != self.initial

    def take_remote(self, value: Raw) -> bool:
        """A peer changed the stored value: show it unless the person is editing this field."""
        if self.touched or value == self.initial:
            return False
        self.initial = value
        self.set_raw(value)
        return True

    def show_error(self, message: str | None) -> None:
        self.query_one(".field-error", Static).update(message or "")
        self.set_class(bool(message), "invalid")

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    @on(TextArea.Changed)
    def _changed(self, event: Message) -> None:
        self.post_message(self.Edited(self))
