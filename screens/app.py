"""The magnet terminal app (placeholder shell until the TUI lands)."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class MagnetApp(App[int]):
    TITLE = "magnet"

    def __init__(self, home: Any, group: str | None) -> None:
        super().__init__()
        self.home = home
        self.group_ref = group

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("magnet: the terminal app is being built. Use the 'magnet' commands meanwhile.")
        yield Footer()


def run_app(home: Any, group: str | None) -> int:
    return MagnetApp(home, group).run() or 0
