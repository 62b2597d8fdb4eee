"""The frame of a planning page: it sits over the plan overview, Escape goes back, the palette reaches its siblings."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType

from screens.base import AreaScreen
from screens.planning.pages import PLAN_AREA

D = TypeVar("D")


class PlanPage(AreaScreen[D]):
    AREA = PLAN_AREA
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Plan")]

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
