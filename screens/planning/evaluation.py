"""Evaluation: the short report to read out or print at a meeting, over the last few months.

[ and ] change the period (1, 3, 6 or 12 months back); w writes it to a Markdown file to print
or pass around on a USB stick; f records feedback after an event. The report is built off the UI
thread on every change to the group.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from magnet.evaluation import build_report, render
from magnet.fileio import write_private
from screens.planning.ask import member_choices
from screens.planning.page import PlanPage
from screens.widgets.modals import PickModal, PromptModal

PERIODS = (1, 3, 6, 12)
ANONYMOUS = "__anonymous__"


SCREEN_WIDTH = 62  # what is left of 80 columns beside the sidebar


@dataclass(frozen=True)
class ReportText:
    months: int
    text: str  # for a printout: 80 columns
    screen: str  # narrower, so lines wrap where the report means them to


def default_path(group: str, day: str) -> Path:
    slug = "-".join("".join(c if c.isalnum() else " " for c in group.lower()).split()) or "group"
    return Path.home() / f"{slug}-report-{day}.md"


class EvaluationScreen(PlanPage[ReportText]):
    TITLE_TEXT = "Report"
    HELP = (
        "How the group is doing: goal progress this period, attendance by month, training coverage "
        "by zone, supplies, feedback after events, needs without a goal, new and quiet members. "
        "[ and ] change the period; w writes it to a Markdown file to print or share; f records "
        "what someone said after an event (a rating from 1 to 5 and a comment)."
    )
    WATCHES: ClassVar[frozenset[str] | None] = None
    AUTO_FOCUS = "#report-scroll"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "period(-1)", "Shorter"),
        Binding("right_square_bracket", "period(1)", "Longer"),
        Binding("w", "write_file", "Write file"),
        Binding("f", "feedback", "Feedback"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.months = 3
        self.report: ReportText | None = None

    def compose_body(self) -> Iterator[Any]:
        yield Static("", classes="area-head", id="head")
        with VerticalScroll(id="report-scroll"):
            yield Static("Building the report…", markup=False, id="report")

    def load(self) -> ReportText:
        months = self.months
        report = build_report(self.session.doc, today=self.session.now().date(), months=months)
        return ReportText(months, render(report), render(report, SCREEN_WIDTH))

    def show(self, data: ReportText) -> None:
        self.report = data
        self.query_one("#report", Static).update(data.screen)
        periods = " ".join(f"[b reverse] {m} mo [/]" if m == data.months else f" {m} mo " for m in PERIODS)
        self.query_one("#head", Static).update(f"Period: {periods}  [dim][ ] change · w writes a file[/]")

    def action_period(self, step: int) -> None:
        index = PERIODS.index(self.months) if self.months in PERIODS else 1
        months = PERIODS[min(max(index + step, 0), len(PERIODS) - 1)]
        if months != self.months:
            self.months = months
            self.reload()

    @work(exclusive=True, group="report-ask")
    async def action_write_file(self) -> None:
        report = self.report
        if report is None:
            return
        suggested = default_path(self.session.name, self.session.now().date().isoformat())
        answer = await self.app.push_screen_wait(PromptModal("Write the report to", value=str(suggested)))
        if not answer or not answer.strip():
            return
        data = report.text.encode("utf-8")
        self.write(lambda: save(answer.strip(), data), lambda path: self.notify(f"Report written to {path}", timeout=6))

    @work(exclusive=True, group="report-ask")
    async def action_feedback(self) -> None:
        """Feedback after an event: which event, who (optional), a rating, a comment."""
        doc = self.session.doc
        now = self.session.now()
        past = sorted(
            (e for e in doc.events.all() if e.starts is not None and e.starts <= now and not e.cancelled),
            key=lambda e: e.starts or now,
            reverse=True,
        )[:60]
        if not past:
            self.notify("No past events to give feedback on yet")
            return
        choices = [(f"{e.starts:%d %b %y} {e.name}" if e.starts else e.name, e.id) for e in past]
        event_id = await self.app.push_screen_wait(PickModal("Feedback on which event?", choices))
        if not event_id:
            return
        people = [("(anonymous)", ANONYMOUS), *member_choices(doc)]
        member_id = await self.app.push_screen_wait(PickModal("From whom?", people))
        if not member_id:
            return
        stars = [(f"{n} of 5", str(n)) for n in (5, 4, 3, 2, 1)]
        rating = await self.app.push_screen_wait(PickModal("How was it?", stars))
        if not rating:
            return
        comment = await self.app.push_screen_wait(PromptModal("Anything they said (empty for nothing)"))
        if comment is None:
            return
        who = "" if member_id == ANONYMOUS else member_id
        self.write(
            lambda: doc.feedback.add(
                event_id=event_id, member_id=who, rating=int(rating), comment=comment.strip(), given_at=now
            ),
            lambda _: self.notify("Feedback recorded", timeout=3),
        )


def save(where: str, data: bytes) -> Path:
    """Write the report (on the writer thread: a USB stick can be slow)."""
    path = Path(where).expanduser()
    write_private(path, data)
    return path
