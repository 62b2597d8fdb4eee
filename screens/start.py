"""The screen under everything: progress while a group opens, and the way to the welcome screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import LoadingIndicator, Static

from screens.widgets.modals import PromptModal

if TYPE_CHECKING:
    from magnet.datadir import GroupInfo

SPIN = 1 / 16  # the LoadingIndicator's own frame rate


class StartScreen(Screen[None]):
    """Shown while nothing else can be: opening, unlocking, closing."""

    def compose(self) -> ComposeResult:
        with Middle():
            with Center():
                yield Static("magnet", id="start-title")
            with Center():
                yield Static("", id="start-message", markup=False)
            yield LoadingIndicator(id="start-spinner")

    def _spin(self, on: bool) -> None:
        """Show the spinner and let it animate, or hide it and stop its 16-a-second repaints.

        A hidden or covered LoadingIndicator keeps its timer: left running under the dashboard it
        was most of the idle app's CPU.
        """
        spinner = self.query_one("#start-spinner", LoadingIndicator)
        spinner.display = on
        spinner.auto_refresh = SPIN if on else None

    def on_screen_suspend(self) -> None:
        self._spin(False)

    def _top_off(self) -> None:
        """Close whatever this mode's stack holds above this screen."""
        if self.app.current_mode == "start":
            while self.app.screen is not self and len(self.app.screen_stack) > 1:
                self.app.pop_screen()

    def say(self, text: str) -> None:
        self._top_off()
        self.query_one("#start-message", Static).update(text)
        self._spin(True)

    def welcome(self, problem: str | None = None) -> None:
        from screens.first_run import WelcomeScreen

        self._top_off()
        self._spin(False)
        self.query_one("#start-message", Static).update("")
        self.app.push_screen(WelcomeScreen(problem))

    def ask_passphrase(self, info: GroupInfo) -> None:
        from screens.app import MagnetApp

        self._spin(False)

        def answered(passphrase: str | None) -> None:
            app = self.app
            assert isinstance(app, MagnetApp)
            if passphrase:
                app.open_group(info, passphrase)
            else:
                self.welcome()

        self.app.push_screen(
            PromptModal(f"{info.label} is encrypted on this disk. Passphrase:", password=True), answered
        )
