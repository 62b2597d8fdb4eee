"""Small modals that return an answer: confirm, a line of text, a pick from a list, a page of text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Key
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from screens.widgets.topbar import StatusLine


class ConfirmModal(ModalScreen[bool]):
    """Yes or no; Enter or y says yes, Escape or n says no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="small-modal")
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="yes", compact=True)
                yield Button(f"{self.no} (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ChoiceModal(ModalScreen[str]):
    """A question with a few answers, each a button with its own key; Escape gives `default`."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "pick_default", "Back", show=False)]

    def __init__(self, question: str, answers: Sequence[tuple[str, str, str]], *, default: str) -> None:
        """`answers`: (label, key, value); the first is focused."""
        super().__init__(classes="small-modal")
        self.question = question
        self.answers = list(answers)
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                for index, (label, key, value) in enumerate(self.answers):
                    yield Button(
                        f"{label} ({key})",
                        id=f"answer-{value}",
                        compact=True,
                        variant="primary" if index == 0 else "default",
                    )

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_key(self, event: Key) -> None:
        for _label, key, value in self.answers:
            if event.key == key:
                event.stop()
                self.dismiss(value)
                return

    def action_pick_default(self) -> None:
        self.dismiss(self.default)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("answer-"))


def ask_leave(
    screen: ModalScreen[Any], question: str, *, save: Callable[[], None], discard: Callable[[], None]
) -> None:
    """Escape on changed typing: keep editing (the default), discard it, or save it."""

    def answered(choice: str | None) -> None:
        if choice == "save":
            save()
        elif choice == "discard":
            discard()

    answers = [("Keep editing", "k", "keep"), ("Discard", "d", "discard"), ("Save", "s", "save")]
    screen.app.push_screen(ChoiceModal(question, answers, default="keep"), answered)


class PromptModal(ModalScreen[str | None]):
    """One line of text; `check` returns an error to show, or None when the text is fine."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        question: str,
        *,
        value: str = "",
        placeholder: str = "",
        check: Callable[[str], str | None] | None = None,
        password: bool = False,
    ) -> None:
        super().__init__(classes="small-modal")
        self.question = question
        self.value = value
        self.placeholder = placeholder
        self.check = check
        self.password = password

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text", markup=False)
            yield Input(self.value, placeholder=self.placeholder, password=self.password, id="prompt")
            yield Static("", classes="dialog-error", markup=False)
            yield Static("Enter to confirm · Escape to cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        problem = self.check(event.value) if self.check is not None else None
        if problem:
            self.query_one(".dialog-error", Static).update(problem)
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickModal(ModalScreen[str | None]):
    """Pick one of many (a member, a zone): type to narrow the list, Enter to choose."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, choices: Sequence[tuple[str, str]], *, current: str | None = None) -> None:
        super().__init__(classes="small-modal pick-modal")
        self.question = question
        self.choices = list(choices)  # (label, value)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text", markup=False)
            yield Input(placeholder="type to narrow", id="pick-filter", compact=True)
            yield OptionList(id="pick-list", markup=False)  # names as given, not markup

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, text: str) -> None:
        words = text.lower().split()
        listing = self.query_one("#pick-list", OptionList)
        listing.clear_options()
        shown = [(label, value) for label, value in self.choices if all(w in label.lower() for w in words)]
        listing.add_options([Option(label, id=value) for label, value in shown[:500]])
        if shown:
            index = next((i for i, (_, v) in enumerate(shown) if v == self.current), 0)
            listing.highlighted = index

    @on(Input.Changed, "#pick-filter")
    def _narrow(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#pick-filter")
    def _take_highlighted(self) -> None:
        listing = self.query_one("#pick-list", OptionList)
        if listing.highlighted is not None:
            self.dismiss(listing.get_option_at_index(listing.highlighted).id)

    def on_key(self, event: Key) -> None:
        listing = self.query_one("#pick-list", OptionList)
        if event.key in ("down", "up") and self.query_one(Input).has_focus:
            event.stop()
            if event.key == "down":
                listing.action_cursor_down()
            else:
                listing.action_cursor_up()

    @on(OptionList.OptionSelected, "#pick-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextModal(ModalScreen[str | None]):
    """A page of text (minutes, a note); ctrl+s keeps it. Escape on changed text asks first, and
    with a `draft_key` the text is kept as a draft (screens/drafts.py) until saved or discarded."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, text: str = "", *, draft_key: str | None = None) -> None:
        super().__init__(classes="text-modal")
        self.title_text = title
        self.text = text
        self.draft_key = draft_key
        self._draft_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-text", markup=False)
            yield TextArea(self.text, soft_wrap=True, id="text-body")
            yield Static("ctrl+s saves · Escape cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        draft = self._drafts().get(self.draft_key) if self.draft_key and self._drafts() else None
        if draft is not None and isinstance(draft.values.get("text"), str):
            area.text = str(draft.values["text"])
            self.notify(f"Brought back what you typed on {draft.at:%a %d %b %H:%M}, not saved yet", timeout=6)
        area.focus()

    def _drafts(self) -> Any:
        return getattr(self.app, "drafts", None)

    @on(TextArea.Changed)
    def _changed(self) -> None:
        if self.draft_key and self._drafts() is not None:
            if self._draft_timer is not None:
                self._draft_timer.stop()
            self._draft_timer = self.set_timer(0.5, self._keep)

    def _keep(self) -> None:
        self._draft_timer = None
        drafts = self._drafts()
        if drafts is not None and self.draft_key:
            text = self.query_one(TextArea).text
            drafts.put(self.draft_key, self.title_text, {"text": text} if text != self.text else {}, datetime.now())

    def _drop(self) -> None:
        if self._draft_timer is not None:
            self._draft_timer.stop()
        drafts = self._drafts()
        if drafts is not None and self.draft_key:
            drafts.drop(self.draft_key)

    def action_save(self) -> None:
        self._drop()
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        if self.query_one(TextArea).text == self.text:
            self._discard()
            return
        ask_leave(self, "You changed the text. Leave it?", save=self.action_save, discard=self._discard)

    def _discard(self) -> None:
        self._drop()
        self.dismiss(None)


class InfoModal(ModalScreen[None]):
    """Something to read (an invite, a record's details); any of Escape/Enter/q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, title: str, body: str, *, markup: bool = False, qr: str = "", classes: str = "") -> None:
        super().__init__(classes=f"info-modal {classes}".strip())
        self.title_text = title
        self.body = body
        self.markup = markup
        self.qr = qr

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-text", markup=False)
            with VerticalScroll(classes="info-body"):
                yield Static(self.body, markup=self.markup, classes="info-text")
                if self.qr:
                    yield Static(self.qr, markup=False, classes="qr")
            yield Static("Escape closes", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(".info-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
