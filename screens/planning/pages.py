"""The planning pages, in the order the group works through them, and how to open one from anywhere.

They live under one area of the shell ("Plan", a digit away), each pushed over the plan's own
overview, so the shell's digits and sidebar stay as they are and Escape always leads back. The
command palette reaches each of them, and each of their lists, from anywhere (screens/commands.py).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from screens.session import Session

PLAN_AREA = "plan"


@dataclass(frozen=True)
class Page:
    key: str  # the letter that opens it from the plan overview
    title: str
    summary: str
    screen: str  # "module:Class"

    def load(self) -> Any:
        module_name, _, class_name = self.screen.partition(":")
        return getattr(importlib.import_module(module_name), class_name)


PAGES: tuple[Page, ...] = (
    Page("n", "Needs", "Surveys, their tallies, and the needs they reveal", "screens.planning.needs:NeedsScreen"),
    Page("g", "Goals", "Objectives, milestones, progress; what is behind", "screens.planning.goals:GoalsScreen"),
    Page("c", "Communication", "PACE plan, announcements, call tree", "screens.planning.comms:CommsScreen"),
    Page(
        "m",
        "Membership",
        "Levels and roles, who holds them, who went quiet",
        "screens.planning.members:MembershipScreen",
    ),
    Page("p", "Partners", "Organisations, offers, follow-ups due", "screens.planning.partners:PartnersScreen"),
    Page("t", "Training", "Courses, certificates, skills by zone", "screens.planning.training:TrainingScreen"),
    Page(
        "r", "Requests", "Requests and offers: post, match, track to done", "screens.planning.exchanges:ExchangesScreen"
    ),
    Page("e", "Evaluation", "The report to share at a meeting", "screens.planning.evaluation:EvaluationScreen"),
    Page("y", "Community", "Celebrations and socials", "screens.planning.community:CommunityScreen"),
)
PAGE_BY_KEY = {page.key: page for page in PAGES}


async def open_page(app: Any, session: Session, page: Page) -> None:
    """Show a planning page over the plan overview, from whichever area the person is in."""
    from screens.planning.hub import PlanScreen

    if app.current_mode != PLAN_AREA:
        await app.switch_mode(PLAN_AREA)
    while len(app.screen_stack) > 1 and not isinstance(app.screen, PlanScreen):
        await app.pop_screen()
    cls = page.load()
    if not isinstance(app.screen, cls):
        await app.push_screen(cls(session))
