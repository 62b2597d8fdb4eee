"""The list of areas down the left side; digits jump there from anywhere too."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from screens.areas import AREAS

if TYPE_CHECKING:
    from screens.base import Shell


class Sidebar(OptionList):
    """Navigation between areas; the current one is highlighted."""

    def __init__(self, current: str) -> None:
        options = [Option(f"{area.key or ' '} {area.title}", id=area.id) for area in AREAS]
        super().__init__(*options, id="sidebar")
        self.current = current

    def on_mount(self) -> None:
        shell = cast("Shell", self.app)
        self.display = shell.prefs.sidebar
        for index, area in enumerate(AREAS):
            if area.id == self.current:
                self.highlighted = index

    @on(OptionList.OptionSelected)
    def _go(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and event.option.id != self.current:
            cast("Shell", self.app).go(event.option.id)
