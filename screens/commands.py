"""The command palette (ctrl+p): every area, planning page and list, and every action of every page.

Found by the words a member would type, not only by the screens' titles: "call tree", "PACE",
"celebrate", "report", "certificate", "loan", "binder". A place is opened the way its own keys
would (a planning page over the plan, a list by its tab); an action of another page is run on
that page once it has its data, exactly as its key would there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from screens.areas import AREA_BY_ID

if TYPE_CHECKING:
    from textual.app import App

    from screens.base import Shell

Command = tuple[str, Callable[[], Any], str]
ACTION_WEIGHT = 0.95  # a place and an action it offers match a word equally: the place comes first


@dataclass(frozen=True)
class Place:
    """Somewhere the palette leads: an area, or a planning page, maybe one of its lists."""

    title: str
    area: str
    page: str = ""  # a planning page's key
    tab: str = ""  # a list within it ("news", "loans")
    words: str = ""  # what else people call it
    summary: str = ""


def _page(key: str, title: str, words: str, summary: str, tab: str = "") -> Place:
    return Place(title, "plan", key, tab, words, summary)


# Every area, every planning page and every list inside them, with the words people use.
PLACES: tuple[Place, ...] = (
    Place("Dashboard", "dashboard", words="home overview readiness glance", summary=AREA_BY_ID["dashboard"].summary),
    Place("Roster › Members", "roster", tab="members", words="people person member neighbours directory skills"),
    Place("Roster › Households", "roster", tab="households", words="household family families home address"),
    Place("Events › Upcoming", "events", tab="upcoming", words="meeting calendar drill rsvp agenda schedule"),
    Place("Events › Past", "events", tab="past", words="minutes attendance previous meetings"),
    Place("Inventory › Items", "inventory", tab="records", words="supplies stock water food gear equipment"),
    Place("Inventory › Loans", "inventory", tab="loans", words="loan lend lent borrow borrowed overdue return"),
    Place("Check-in", "checkin", words="crisis welfare sweep safe needs help emergency storm"),
    Place("Peers › Connected", "peers", tab="peers", words="sync network devices connected laptop"),
    Place("Peers › Devices", "peers", tab="devices", words="device revoke lost laptop key"),
    Place("Settings", "settings", words="preferences theme rename device group profile"),
    Place("Plan", "plan", words="planning steps overview"),
    Place("History", "history", words="recent changes undo log audit who changed what"),
    _page("n", "Plan › Needs", "need needs priority community", "What the community needs", "needs"),
    _page("n", "Plan › Needs › Surveys", "survey questionnaire poll answers tally", "Surveys and tallies", "surveys"),
    _page("g", "Plan › Goals", "goal goals objective target milestone progress behind", "Objectives and progress"),
    _page(
        "c",
        "Plan › Communication › PACE plan",
        "pace primary alternate contingency emergency channel radio",
        "",
        "pace",
    ),
    _page("c", "Plan › Communication › Announcements", "announcement news notice bulletin pinned post", "", "news"),
    _page("c", "Plan › Communication › Call tree", "call tree phone tree calling chain confirm", "", "tree"),
    _page("m", "Plan › Membership › Levels and roles", "membership level role roles core team volunteer", "", "posts"),
    _page("m", "Plan › Membership › Quiet members", "quiet inactive not seen lapsed members", "", "quiet"),
    _page("p", "Plan › Partners", "partner partners business agency organisation follow-up contact", "", "partners"),
    _page("p", "Plan › Partners › Needs and offers", "offers who could help resources", "", "support"),
    _page("t", "Plan › Training › Courses", "training course class teach session", "", "courses"),
    _page("t", "Plan › Training › Certificates", "certificate certification cert renew lapsed expired", "", "certs"),
    _page("t", "Plan › Training › Skills by zone", "skills skill matrix gaps zones coverage", "", "matrix"),
    _page("r", "Plan › Requests and offers", "request requests offer offers help exchange match neighbours", ""),
    _page("e", "Plan › Evaluation report", "report evaluation review print meeting feedback progress", ""),
    _page("y", "Plan › Community › Celebrations", "celebrate celebration good news anniversary welcome", "", "news"),
    _page("y", "Plan › Community › Socials", "social socials potluck party gathering fun", "", "socials"),
)


@dataclass(frozen=True)
class Step:
    """An action on a page: where it is done, which of the page's actions, and what people call it."""

    title: str
    place: Place
    action: str
    words: str = ""


def _at(title: str) -> Place:
    return next(p for p in PLACES if p.title == title)


# Actions worth a title of their own (the ones people look for by name); every other key of every
# page is listed too, by its own description (see `page_steps`).
NAMED_STEPS: tuple[Step, ...] = (
    Step("Add a member", _at("Roster › Members"), "add", "new member join person"),
    Step("Add a household", _at("Roster › Households"), "add", "new household family"),
    Step("Plan an event", _at("Events › Upcoming"), "add", "new event meeting drill training"),
    Step("Add a supply item", _at("Inventory › Items"), "add", "new item stock supplies"),
    Step("Lend an item", _at("Inventory › Items"), "lend", "loan lend borrow"),
    Step("Start a welfare sweep", _at("Check-in"), "", "sweep crisis check in"),
    Step("Invite a device", _at("Peers › Connected"), "invite", "invite join qr code new device"),
    Step("Invite with a short code", _at("Peers › Connected"), "short_invite", "invite short code type"),
    Step("Revoke a lost device", _at("Peers › Devices"), "revoke", "revoke lost stolen device remove"),
    Step("Add a need", _at("Plan › Needs"), "add", "new need"),
    Step("New survey", _at("Plan › Needs › Surveys"), "add", "survey questionnaire new"),
    Step("New goal", _at("Plan › Goals"), "add", "goal objective target new"),
    Step("Add a PACE channel", _at("Plan › Communication › PACE plan"), "add", "pace channel radio new"),
    Step("Post an announcement", _at("Plan › Communication › Announcements"), "add", "announcement news post"),
    Step("Build the call tree", _at("Plan › Communication › Call tree"), "generate", "call tree phone tree build"),
    Step("Describe a level or role", _at("Plan › Membership › Levels and roles"), "add", "membership role level new"),
    Step("Give a role to a member", _at("Plan › Membership › Levels and roles"), "give", "role level assign give"),
    Step("Add a partner", _at("Plan › Partners"), "add", "partner business agency new"),
    Step("Add a course", _at("Plan › Training › Courses"), "add", "course class training new"),
    Step("Add a certificate", _at("Plan › Training › Certificates"), "add", "certificate certification cert new"),
    Step("Post a request or offer", _at("Plan › Requests and offers"), "add", "request offer help post"),
    Step("Write the report to a file", _at("Plan › Evaluation report"), "write_file", "report print file markdown"),
    Step("Record feedback on an event", _at("Plan › Evaluation report"), "feedback", "feedback rating comment"),
    Step("Plan a social", _at("Plan › Community › Socials"), "add", "social potluck party celebrate"),
    Step("Undo one of my changes", _at("History"), "app.undo", "undo revert mistake"),
)


def _screen_class(place: Place) -> Any:
    if place.page:
        from screens.planning.pages import PAGE_BY_KEY

        return PAGE_BY_KEY[place.page].load()
    return AREA_BY_ID[place.area].load()


def _short_title(place: Place) -> str:
    """'Plan › Communication › Call tree' -> 'Communication': the page, for an action's title."""
    parts = place.title.split(" › ")
    return parts[1] if parts[0] == "Plan" and len(parts) > 1 else parts[0]


def _bindings(screen: type[Any]) -> list[Binding]:
    """A screen class's own keys and those it inherits from its page and list classes."""
    from screens.base import AreaScreen

    found: list[Binding] = []
    for cls in screen.__mro__:
        if isinstance(cls, type) and issubclass(cls, AreaScreen):
            found += [b for b in cls.__dict__.get("BINDINGS", ()) if isinstance(b, Binding)]
    return found


def page_steps() -> Iterator[Step]:
    """Every key of every page and area, as 'Page: description', from the screens' own bindings."""
    seen: set[tuple[str, str, str]] = set()
    for place in PLACES:
        for binding in _bindings(_screen_class(place)):
            if not binding.description:
                continue
            if binding.action.startswith(("go(", "move(", "app.")) or binding.action in ("back", "close", "reload"):
                continue
            page = place.page or place.area
            if (page, binding.action, binding.description) in seen:
                continue
            seen.add((page, binding.action, binding.description))
            yield Step(f"{_short_title(place)}: {binding.description}", place, binding.action)


class MagnetCommands(Provider):
    """'Plan › Goals', 'Post an announcement', 'Inventory: Lend', 'Mark safe (s)', ... by fuzzy search."""

    def _commands(self) -> list[tuple[str, Callable[[], Any], str, str, bool]]:
        """(title, run, help, words, is_action) for everything the palette offers now."""
        shell = cast("Shell", self.app)
        found: list[tuple[str, Callable[[], Any], str, str, bool]] = []
        if shell.session is not None:
            from screens.data import data_commands  # only when the palette opens: start-up stays lean

            for place in PLACES:
                help_text = place.summary or f"go to {place.title}"
                words = f"go to {place.title} {place.words}"
                found.append((place.title, partial(self._run, place, ""), help_text, words, False))
            for step in (*NAMED_STEPS, *page_steps()):
                words = f"{step.words} {step.place.words}"
                help_text = f"on {step.place.title}"
                found.append((step.title, partial(self._run, step.place, step.action), help_text, words, True))
            found += [
                (title, run, help_text, "binder print export usb", False)
                for title, run, help_text in data_commands(self.app)
            ]
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.description or not active.enabled or binding.action.startswith("go("):
                continue
            if binding.description in seen or key.startswith("ctrl+p"):
                continue
            seen.add(binding.description)
            name = f"{binding.description} ({self.app.get_key_display(binding)})"
            run = partial(self.app.run_action, binding.action, active.node)
            found.append((name, run, binding.tooltip or "here", "", True))
        return found

    def _run(self, place: Place, action: str) -> None:
        self.app.run_worker(go_and_do(self.app, place, action), group="palette", exclusive=True)

    async def discover(self) -> Hits:
        for title, run, help_text, _words, _action in self._commands():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, run, help_text, words, is_action in self._commands():
            score = max(matcher.match(title), matcher.match(words) * 0.9 if words else 0.0)
            if score > 0:
                weight = ACTION_WEIGHT if is_action else 1.0
                yield Hit(score * weight, matcher.highlight(title), run, help=help_text)


async def go_and_do(app: App[Any], place: Place, action: str = "") -> None:
    """Open `place` as its own keys would, then run `action` there once the page has its data."""
    from screens.base import AreaScreen
    from screens.planning.page import PlanPage
    from screens.planning.pages import PAGE_BY_KEY, open_page

    shell = cast("Shell", app)
    session = shell.session
    if session is None:
        return
    if place.page:
        await open_page(app, session, PAGE_BY_KEY[place.page])
    else:
        await app.switch_mode(place.area)
        # The plan's overview itself, not a page left open over it.
        while len(app.screen_stack) > 1 and isinstance(app.screen, PlanPage):
            await app.pop_screen()
    screen = app.screen
    if not isinstance(screen, AreaScreen):
        app.notify("Finish or close what is open here first", timeout=4)
        return
    for _ in range(200):  # its first data: an action acts on a row
        if screen.loaded_once:
            break
        await asyncio.sleep(0.02)
    show_tab = getattr(screen, "show_tab", None)
    if place.tab and show_tab is not None:
        show_tab(place.tab)
    if action:
        await screen.run_action(action)
