"""Where a dashboard item leads: an area narrowed the way its own search would, or a planning page's list.

A lead reuses what the screens already understand (the inventory's `is:low`, the training page's
tabs) instead of a second filtering mechanism, so what the dashboard opens is exactly what a person
could have typed, sits in the search box to read, and clears the usual way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from textual.app import App

    from screens.base import Shell


@dataclass(frozen=True)
class Lead:
    area: str
    search: str | None = None  # None leaves the area's search as the person left it; "" clears it
    page: str = ""  # a planning page's key ("t": training), opened over the plan
    tab: str = ""  # which list of that page to show


NEEDS_HELP = Lead("checkin", search="")  # needs-help households sort first; the cursor starts there
EVENTS = Lead("events", search="")
LOW_STOCK = Lead("inventory", search="is:low")
EXPIRING = Lead("inventory", search="is:expiring")
SUPPLIES = Lead("inventory", search="")
CERTIFICATES = Lead("plan", page="t", tab="certs")
SKILLS = Lead("plan", page="t", tab="matrix")
TRAINING = Lead("plan", page="t")
ROSTER = Lead("roster")
PEERS = Lead("peers")
OVERDUE_LOANS = Lead("inventory", search="is:overdue")
EMPTY_STOCK = Lead("inventory", search="is:none")
GOALS = Lead("plan", page="g")
ANNOUNCEMENTS = Lead("plan", page="c", tab="news")
FOLLOW_UPS = Lead("plan", page="p")


async def follow(app: App[Any], lead: Lead) -> None:
    """Open what `lead` points at (run as a worker: switching modes awaits the screen's mount)."""
    from screens.base import AreaScreen
    from screens.planning.pages import PAGE_BY_KEY, open_page
    from screens.planning.tabs import TabbedPage

    session = cast("Shell", app).session
    if session is None:
        return
    if lead.page:
        await open_page(app, session, PAGE_BY_KEY[lead.page])
        if lead.tab and isinstance(app.screen, TabbedPage):
            app.screen.show_tab(lead.tab)
        return
    await app.switch_mode(lead.area)
    # The area's own screen, under any form the person left open there (the form keeps waiting).
    screen = app.screen_stack[0]
    if lead.search is not None and isinstance(screen, AreaScreen):
        screen.focus_on(lead.search)
