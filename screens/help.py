"""Help (F1 or ?): keys that work everywhere, and what the current screen does and its keys."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from screens.areas import AREAS
from screens.markup import escape
from screens.widgets.topbar import StatusLine

EVERYWHERE = [
    ("F1 / ?", "this help"),
    ("F2 / !", "crisis mode: welfare check-in"),
    ("ctrl+p", "command palette: every screen and action by name"),
    (f"1-{max(a.key for a in AREAS if a.key)}", "jump to an area (also the sidebar, or a click)"),
    ("Tab / shift+Tab", "move between parts of the screen"),
    ("/", "search the list; Escape clears it"),
    ("o / O", "sort by the next column / reverse (or click a header)"),
    ("A", "show or hide archived records"),
    ("ctrl+o", "data in and out: print, export, import, USB"),
    ("ctrl+b", "hide or show the sidebar (more room at 80 columns)"),
    ("ctrl+q", "quit (everything is saved as you go)"),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,question_mark,q", "close", "Close")]

    def __init__(self, under: Screen[Any]) -> None:
        super().__init__(classes="info-modal")
        self.under = under

    def _text(self) -> str:
        lines = ["[b]Everywhere[/]"]
        lines += [f"  [b]{key:<16}[/] {escape(what)}" for key, what in EVERYWHERE]
        lines.append("")
        lines.append("[b]Areas[/]")
        lines += [f"  [b]{a.key or ' ':<3}[/] {a.title:<11} {escape(a.summary)}" for a in AREAS]
        help_text = str(getattr(self.under, "HELP", "") or "")
        title = str(getattr(self.under, "TITLE_TEXT", "") or "")
        keys = []
        seen = set()
        for active in self.under.active_bindings.values():
            binding = active.binding
            if binding.description and binding.description not in seen and not binding.action.startswith("go("):
                seen.add(binding.description)
                keys.append(f"  [b]{escape(self.app.get_key_display(binding)):<16}[/] {escape(binding.description)}")
        if title or help_text or keys:
            lines.append("")
            lines.append(f"[b]This screen{': ' + escape(title) if title else ''}[/]")
            if help_text:
                lines.append(escape(help_text))
            lines += keys
        return "\n".join(lines)

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Vertical(classes="dialog"):
            yield Static("magnet — help", classes="dialog-text")
            with VerticalScroll(classes="info-body"):
                yield Static(self._text(), classes="info-text")
            yield Static("Escape closes · arrows scroll", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(".info-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
