"""A tick box's state reads from the characters on screen, not from colour alone."""

from __future__ import annotations

from textual.app import App, ComposeResult
from tui_drive import screen_text

from screens.widgets.tick import Tick


class TickApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Tick("Include sensitive fields", compact=True, id="off")
        yield Tick("Shares contact details", True, compact=True, id="on")


async def test_ticked_shows_an_x_and_unticked_a_blank() -> None:
    app = TickApp()
    async with app.run_test(size=(40, 4)) as pilot:
        screen = screen_text(app)
        assert "▐ ▌ Include sensitive fields" in screen
        assert "▐X▌ Shares contact details" in screen
        app.query_one("#off", Tick).value = True
        app.query_one("#on", Tick).value = False
        await pilot.pause()
        assert "▐X▌ Include sensitive fields" in screen_text(app)
        assert "▐ ▌ Shares contact details" in screen_text(app)
