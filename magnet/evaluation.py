"""Evaluation: a short report of the group's progress to read out or print at a meeting.

It answers the article's "monitor and evaluate" step in one page: where each goal stands and how
far it moved this period, attendance month by month, training coverage by zone, whether supplies
would last, what people said after events, needs still without a goal, and who is new or quiet.
The report is data first (`build_report`) and Markdown second (`render`), so a screen, a printout
and a test read the same numbers. Markdown is chosen because it reads as plain text on a Pi's
console and prints cleanly.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from magnet import goals as goal_progress
from magnet.document import GroupDocument
from magnet.exchanges import DONE
from magnet.membership import group_last_seen, quiet
from magnet.needs import unmet_needs
from magnet.readiness import below_minimum, days_on_hand, expiring_items, headcount
from magnet.records import Event, Feedback, GoalStatus, Need
from magnet.skills import group_skills
from magnet.training import ZoneCoverage, coverage, renewals_due

BAR = 10


def month_start(day: date, back: int = 0) -> date:
    """The first day of `day`'s month, `back` months earlier."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def bar(share: float | None, width: int = BAR) -> str:
    """[######----] for 0.6: a progress bar that survives plain text and print."""
    if share is None:
        return "[" + "?" * width + "]"
    filled = round(min(max(share, 0.0), 1.0) * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


@dataclass(frozen=True)
class GoalLine:
    name: str
    status: str
    progress: float | None
    moved: float | None  # change in value since the period began (from the progress log)
    measure: str
    current: float
    target: float
    behind: tuple[str, ...]


@dataclass(frozen=True)
class MonthAttendance:
    month: date
    events: int
    attended: int  # people marked present, summed over events (plus guests)
    people: int  # different members who came at least once

    @property
    def average(self) -> float:
        return self.attended / self.events if self.events else 0.0


@dataclass(frozen=True)
class FeedbackLine:
    about: str
    day: date | None
    count: int
    average: float
    comments: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    group: str
    start: date
    end: date
    goals: tuple[GoalLine, ...]
    attendance: tuple[MonthAttendance, ...]
    coverage: tuple[ZoneCoverage, ...]
    renewals_due: int
    people: int
    water_days: float | None
    food_days: float | None
    low_stock: int
    expiring_items: int
    feedback: tuple[FeedbackLine, ...]
    average_rating: float | None
    unmet_needs: tuple[Need, ...]
    exchanges_done: int
    exchanges_open: int
    new_members: int
    quiet_members: int


def attendance_by_month(events: Iterable[Event], *, start: date, end: date) -> list[MonthAttendance]:
    """Events held (started, not cancelled) in each month from `start` to `end`, empty months too."""
    held: dict[date, list[Event]] = {}
    for event in events:
        if event.archived or event.cancelled or event.starts is None:
            continue
        day = event.starts.date()
        if start <= day <= end:
            held.setdefault(month_start(day), []).append(event)
    months: list[MonthAttendance] = []
    month = month_start(start)
    while month <= end:
        found = held.get(month, [])
        came = sum(len(e.attendance) + e.guests for e in found)
        people = len({m for e in found for m in e.attendance})
        months.append(MonthAttendance(month, len(found), came, people))
        month = month_start(month, -1)
    return months


def feedback_lines(
    feedback: Iterable[Feedback], events: Iterable[Event], *, start: date, end: date
) -> list[FeedbackLine]:
    """Ratings and comments given in the period, per event (or per topic), latest first."""
    by_event = {e.id: e for e in events}
    groups: dict[str, list[Feedback]] = {}
    for given in feedback:
        when = given.given_at or given.created_at
        if given.archived or when is None or not start <= when.date() <= end:
            continue
        groups.setdefault(given.event_id or f"topic:{given.topic.strip().lower() or 'general'}", []).append(given)
    lines: list[FeedbackLine] = []
    for key, found in groups.items():
        event = by_event.get(key)
        about = event.name if event else (found[0].topic.strip() or "General")
        day = event.starts.date() if event and event.starts else None
        comments = tuple(f.comment.strip() for f in found if f.comment.strip())[:3]
        lines.append(FeedbackLine(about, day, len(found), sum(f.rating for f in found) / len(found), comments))
    lines.sort(key=lambda line: (line.day or date.min, line.about.lower()), reverse=True)
    return lines


def build_report(doc: GroupDocument, *, today: date, months: int = 3) -> Report:
    """The report for the last `months` whole months plus this one, read from the document."""
    start = month_start(today, months)
    events = doc.events.all()
    members = doc.members.all()
    households = doc.households.all()
    items = doc.inventory.all()
    goals = doc.goals.all()
    goal_lines = []
    for goal in sorted(goals, key=lambda g: g.name.lower()):
        if goal.status == GoalStatus.DROPPED.value:
            continue
        # From the value logged at the period's start, or the first one logged within it.
        logged = goal_progress.history(goal)
        before = goal_progress.value_on(goal, start)
        if before is None and logged:
            before = logged[0][1]
        standing = goal_progress.standing(goal, today)
        goal_lines.append(
            GoalLine(
                goal.name,
                goal.status,
                standing.progress,
                goal.current - before if before is not None else None,
                goal.measure,
                goal.current,
                goal.target,
                standing.reasons,
            )
        )
    people = headcount(households, members)
    notes = feedback_lines(doc.feedback.all(), events, start=start, end=today)
    ratings = [f.rating for f in doc.feedback.all() if f.given_at and start <= f.given_at.date() <= today]
    exchanges = doc.exchanges.all()
    return Report(
        group=doc.profile.name,
        start=start,
        end=today,
        goals=tuple(goal_lines),
        attendance=tuple(attendance_by_month(events, start=start, end=today)),
        coverage=tuple(coverage(group_skills(doc, today=today))),
        renewals_due=len(renewals_due(doc.certifications.all(), members, today=today)),
        people=people,
        water_days=days_on_hand(items, "water", people, today=today),
        food_days=days_on_hand(items, "food", people, today=today),
        low_stock=len(below_minimum(items)),
        expiring_items=len(expiring_items(items, today=today)),
        feedback=tuple(notes),
        average_rating=sum(ratings) / len(ratings) if ratings else None,
        unmet_needs=tuple(unmet_needs(doc.needs.all(), goals)),
        exchanges_done=sum(1 for e in exchanges if e.state == DONE and e.done_at and e.done_at.date() >= start),
        exchanges_open=sum(1 for e in exchanges if e.state not in (DONE, "cancelled")),
        new_members=sum(1 for m in members if m.joined and start <= m.joined <= today),
        quiet_members=len(quiet(group_last_seen(doc, today=today).values(), today=today)),
    )


# ---- Markdown ---------------------------------------------------------------------------------


def _days(value: float | None) -> str:
    return "nobody to count" if value is None else f"{value:.1f} days"


def render(report: Report, width: int = 80) -> str:
    """The report as Markdown that reads as plain text `width` columns wide (a printout, a screen)."""
    out = [
        f"# {report.group}: how we are doing",
        f"{report.start.isoformat()} to {report.end.isoformat()}",
        "",
        "## Goals",
    ]
    for line in report.goals or ():
        share = f"{line.progress:.0%}" if line.progress is not None else "not measured"
        moved = f", {line.moved:+g} this period" if line.moved else ""
        measure = f" ({line.current:g} of {line.target:g} {line.measure})".replace(" )", ")") if line.target else ""
        done = " DONE" if line.status == GoalStatus.DONE.value else ""
        out.append(f"- {bar(line.progress)} {share} {line.name}{measure}{moved}{done}")
        out += [f"  - behind: {reason}" for reason in line.behind]
    if not report.goals:
        out.append("- no goals yet")
    out += ["", "## Attendance", "| month | events | came | people | per event |", "|---|---|---|---|---|"]
    for month in report.attendance:
        out.append(
            f"| {month.month:%b %Y} | {month.events} | {month.attended} | {month.people} | {month.average:.1f} |"
        )
    out += ["", "## Training coverage by zone"]
    for zone in report.coverage:
        gaps = f"; gaps: {', '.join(zone.gaps)}" if zone.gaps else ""
        risk = f"; lapsing: {', '.join(zone.at_risk)}" if zone.at_risk else ""
        out.append(f"- {zone.zone}: {zone.covered} of {zone.needed} needed skills{gaps}{risk}")
    out.append(f"- certificates to renew: {report.renewals_due}")
    out += [
        "",
        "## Supplies",
        f"- water for {report.people} people: {_days(report.water_days)}",
        f"- food for {report.people} people: {_days(report.food_days)}",
        f"- items below minimum: {report.low_stock}; expiring within a month: {report.expiring_items}",
        "",
        "## Feedback",
    ]
    if report.average_rating is not None:
        out.append(
            f"- average rating {report.average_rating:.1f} of 5 from {sum(f.count for f in report.feedback)} ratings"
        )
    for note in report.feedback[:8]:
        when = f" ({note.day.isoformat()})" if note.day else ""
        said = f": {'; '.join(note.comments)}" if note.comments else ""
        out.append(f"- {note.about}{when}: {note.average:.1f} of 5, {note.count} said{said}")
    if not report.feedback:
        out.append("- none collected this period")
    out += ["", "## Needs without a goal"]
    out += [f"- {n.name} ({n.priority}, {n.mentions} mentions)" for n in report.unmet_needs[:8]]
    if not report.unmet_needs:
        out.append("- every need has a goal")
    out += [
        "",
        "## People",
        f"- new members: {report.new_members}; not seen for 90 days: {report.quiet_members}",
        f"- requests and offers done: {report.exchanges_done}; still open: {report.exchanges_open}",
        "",
    ]
    return "\n".join(_wrap(line, width) for line in out)


def _wrap(line: str, width: int) -> str:
    """Long list items continue indented, so the report fits a Pi's console and a printed page."""
    if len(line) <= width or line.startswith("|"):
        return line
    indent = " " * (len(line) - len(line.lstrip(" ")) + 2)
    return textwrap.fill(line, width, subsequent_indent=indent, break_on_hyphens=False)


def report_text(doc: GroupDocument, *, now: datetime, months: int = 3) -> str:
    return render(build_report(doc, today=now.date(), months=months))
