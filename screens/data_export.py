"""Writing one export (binder, CSV, contacts, calendar, JSON, bundle) to a file the person can rename.

The path starts as a dated file in the home folder and can be edited (or be a folder, such as a USB
stick's, which gets the dated name inside). Rendering and writing run on a worker thread; what was
written, or why not, is shown here and the modal stays open to read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static

from magnet.errors import MagnetError
from magnet.groupkey import KeyRing
from screens.data_files import (
    SENSITIVE_FIELDS,
    ExportChoice,
    FileExists,
    Written,
    default_path,
    export_to,
    shown,
    typed_path,
)
from screens.markup import escape
from screens.session import Session
from screens.widgets.modals import ConfirmModal
from screens.widgets.tick import Tick
from screens.widgets.topbar import StatusLine


class SpaceTick(Tick, inherit_bindings=False):
    """A checkbox that Space ticks, so Enter still means "write" while it has the focus."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "toggle_button", "Toggle", show=False)]


class ExportModal(ModalScreen[None]):
    """Export `choice` of the session's group; Enter writes, Escape closes."""

    DEFAULT_CSS = """
    ExportModal .data-about { color: $text-muted; margin-bottom: 1; }
    ExportModal #export-path { margin-bottom: 1; }
    ExportModal .data-warning { color: $warning; margin-bottom: 1; }
    ExportModal #export-result { height: auto; margin-bottom: 1; }
    ExportModal #export-result.problem { color: $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("enter", "write", "Write", show=False),
    ]

    class Done(Message):
        def __init__(self, written: Written) -> None:
            super().__init__()
            self.written = written

    class Failed(Message):
        def __init__(self, problem: str, exists: Path | None = None) -> None:
            super().__init__()
            self.problem = problem
            self.exists = exists

    def __init__(self, session: Session, choice: ExportChoice, *, folder: Path | None = None) -> None:
        super().__init__(classes="small-modal")
        self.session = session
        self.choice = choice
        self.start_path = default_path(choice, session.name, session.now().date(), folder)
        self.busy = False
        self.asked_sensitive = False

    def compose(self) -> ComposeResult:
        choice = self.choice
        yield StatusLine("Data in and out")
        with Vertical(classes="dialog"):
            yield Static(f"Export: {choice.title}", classes="dialog-text", markup=False)
            yield Static(choice.about, classes="data-about", markup=False)
            yield Static("Save to (a file, or a folder such as a USB stick's):", markup=False)
            yield Input(shown(self.start_path), id="export-path", compact=True)
            if choice.may_hold_sensitive:
                yield SpaceTick("Include sensitive fields (Space ticks)", id="export-sensitive", compact=True)
                yield Static(f"  {SENSITIVE_FIELDS}", classes="data-about", markup=False)
            if choice.can_seal:
                yield SpaceTick("Seal it: only this group's devices can open it", True, id="export-seal", compact=True)
            if choice.holds_everything:
                yield Static(_warning(choice.can_seal), id="export-warning", classes="data-warning", markup=False)
            yield Static("", id="export-result")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Write", variant="primary", id="export-write", compact=True)
                yield Button("Close", id="export-close", compact=True)
            yield Static("Enter writes · Tab moves · Escape closes", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @property
    def sensitive(self) -> bool:
        boxes = self.query("#export-sensitive")
        return bool(boxes) and self.query_one("#export-sensitive", Checkbox).value

    @property
    def sealed(self) -> bool:
        boxes = self.query("#export-seal")
        return bool(boxes) and self.query_one("#export-seal", Checkbox).value

    @on(Checkbox.Changed, "#export-seal")
    def _seal_changed(self) -> None:
        self.query_one("#export-warning", Static).update(_warning(self.sealed))

    def say(self, text: str, *, problem: bool = False) -> None:
        result = self.query_one("#export-result", Static)
        result.update(text)
        result.set_class(problem, "problem")

    # ---- writing -----------------------------------------------------------------------------

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-write")
    def action_write(self) -> None:
        self.start(self.query_one("#export-path", Input).value, overwrite=False)

    def start(self, path_text: str, *, overwrite: bool) -> None:
        if self.busy:
            return
        self.busy = True
        self.asked_sensitive = self.sensitive
        self.say("Writing…")
        self._export(path_text, self.asked_sensitive, overwrite, self.sealed)

    @work(thread=True, exclusive=True, group="data-export", exit_on_error=False)
    def _export(self, path_text: str, sensitive: bool, overwrite: bool, sealed: bool) -> None:
        session = self.session
        try:
            path = typed_path(path_text)
            seal = KeyRing.load(session.group.path).current if sealed else None
            written = export_to(
                session.doc,
                self.choice,
                path,
                sensitive=sensitive,
                overwrite=overwrite,
                today=session.now().date(),
                seal=seal,
            )
        except FileExists as exc:
            self.post_message(self.Failed(str(exc), exc.path))
        except MagnetError as exc:
            self.post_message(self.Failed(str(exc)))
        except Exception as exc:  # a bug must be seen, not end the app
            self.post_message(self.Failed(f"could not export: {type(exc).__name__}: {exc}"))
        else:
            self.post_message(self.Done(written))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.busy = False
        written = message.written
        where = shown(written.path)
        self.query_one("#export-path", Input).value = where
        extra = "\nSensitive fields included: keep it private." if self.asked_sensitive else ""
        self.say(f"[b green]Wrote {escape(where)}[/] ({written.size:,} bytes){extra}")

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.busy = False
        exists = message.exists
        if exists is None:
            self.say(f"Not written: {escape(message.problem)}", problem=True)
            return
        self.say("")

        def answered(yes: bool | None) -> None:
            if yes:
                self.start(str(exists), overwrite=True)
            else:
                self.say("Not written: type another name, or Enter again to be asked.", problem=True)

        self.app.push_screen(ConfirmModal(f"{shown(exists)} is there already. Replace it?", yes="Replace"), answered)

    @on(Button.Pressed, "#export-close")
    def action_close(self) -> None:
        if self.busy:
            self.notify("Still writing: the result shows here in a moment", timeout=3)
            return
        self.dismiss(None)


def _warning(sealed: bool) -> str:
    if sealed:
        return "Holds everything, sensitive fields too, sealed for the group's devices."
    return "Holds everything, sensitive fields too, unencrypted: keep it safe."
