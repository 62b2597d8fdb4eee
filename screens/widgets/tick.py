"""A checkbox whose mark reads without colour: X when ticked, blank when not.

Textual's checkbox shows the same X either way and tells the states apart by colour alone,
which a monochrome terminal, a Pi's console or a screen reader cannot see.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Checkbox


class Tick(Checkbox):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.BUTTON_INNER = self._mark()

    def _mark(self) -> str:
        return "X" if self.value else " "

    def watch_value(self) -> None:
        self.BUTTON_INNER = self._mark()
        super().watch_value()
