"""Plan: the group's planning steps in the article's order, each with what needs doing now."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import Static

from magnet import communication, exchanges, goals, membership, partnering, training
from magnet.community import celebrations
from magnet.document import GroupDocument
from magnet.needs import unmet_needs
from magnet.plural import counted
from magnet.skills import group_skills
from screens.base import AreaScreen
from screens.planning.community import celebrate_line
from screens.planning.pages import PAGE_BY_KEY, PAGES, PLAN_AREA, Page, open_page
from screens.widgets.record_table import Column, RecordTable


@dataclass(frozen=True)
class Step:
    id: str
    page: Page
    status: str


def statuses(doc: GroupDocument, *, now: Any) -> dict[str, str]:
    """One line per page: what the group should look at there today."""
    today = now.date()
    all_goals = doc.goals.all()
    unmet = unmet_needs(doc.needs.all(), all_goals)
    surveys = [s for s in doc.surveys.all() if not s.closed]
    late = goals.behind(all_goals, today)
    live_goals = [g for g in all_goals if g.status in goals.LIVE]
    plan = communication.pace_plan(doc.channels.all())
    problems = communication.plan_problems(plan)
    posts = membership.posts(doc.roles.all(), doc.members.all())
    quiet = membership.quiet(membership.group_last_seen(doc, today=today).values(), today=today)
    partners = doc.partners.all()
    due = partnering.follow_ups_due(partners, today=today)
    silent = partnering.out_of_touch(partners, today=today)
    members = doc.members.all()
    renew = training.renewals_due(doc.certifications.all(), members, today=today)
    zones_short = sum(1 for z in training.coverage(group_skills(doc, today=today)) if z.gaps)
    items = doc.exchanges.all()
    open_items = [e for e in items if e.state == exchanges.OPEN and not e.archived]
    matches = exchanges.suggestions(items)
    good_news = celebrations(doc, now=now)
    return {
        "n": f"{counted(len(unmet), 'need')} without a goal · {counted(len(surveys), 'open survey')}",
        "g": f"{counted(len(live_goals), 'goal')} under way · {len(late)} behind",
        "c": "; ".join(problems)
        if problems
        else f"PACE plan complete · {counted(len(doc.announcements.all()), 'announcement')}",
        "m": f"{counted(len(posts), 'level or role', 'levels and roles')} · "
        f"{len(quiet)} not seen for {membership.QUIET_DAYS} days",
        "p": f"{counted(len(due), 'follow-up')} due · {len(silent)} out of touch",
        "t": f"{counted(len(renew), 'certificate')} to renew · gaps in {counted(zones_short, 'zone')}",
        "r": f"{len(open_items)} open · {counted(len(matches), 'possible match', 'possible matches')}",
        "e": "the report for the last three months",
        "y": celebrate_line(good_news),
    }


class PlanScreen(AreaScreen[Sequence[Step]]):
    AREA = PLAN_AREA
    TITLE_TEXT = "Plan"
    HELP = (
        "The steps of building the group, in order. Enter or the letter opens one: n needs, g goals, "
        "c communication, m membership, p partners, t training, r requests and offers, e evaluation, "
        "y community. Escape on a page comes back here."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(page.key, f"open_page('{page.key}')", page.title, show=page.key in "ngcr") for page in PAGES
    ]

    def compose_body(self) -> Iterator[Any]:
        yield Static("Enter or a letter opens a step", classes="area-head", id="head")
        yield RecordTable(
            [
                Column("key", "", lambda s: s.page.key, width=1),
                Column("title", "Step", lambda s: s.page.title, width=13),
                Column("status", "Now", lambda s: s.status, width=46),
            ],
            key=lambda s: s.id,
            is_archived=None,
            id="steps",
        )

    def load(self) -> Sequence[Step]:
        found = statuses(self.session.doc, now=self.session.now())
        return [Step(page.key, page, found.get(page.key, "")) for page in PAGES]

    def show(self, data: Sequence[Step]) -> None:
        self.query_one("#steps", RecordTable).set_rows(data)

    async def action_open_page(self, key: str) -> None:
        await open_page(self.app, self.session, PAGE_BY_KEY[key])

    @on(RecordTable.Chosen, "#steps")
    async def _chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        await open_page(self.app, self.session, event.row.page)
