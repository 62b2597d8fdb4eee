"""Community: what to celebrate (milestones reached, goals met, years together) and the socials ahead.

The article ends on the step that holds the rest together: people stay when the group notices
what they did. This gathers the good news of the last weeks and the coming ones in date order,
so whoever opens the next meeting has the list in hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from magnet import goals as goal_progress
from magnet.document import GroupDocument
from magnet.plural import counted
from magnet.records import Event, EventKind, Goal, Member, MemberStatus

RECENT_DAYS = 30
AHEAD_DAYS = 30


@dataclass(frozen=True)
class Celebration:
    day: date
    kind: str  # "milestone", "goal", "anniversary", "welcome", "social"
    title: str
    detail: str = ""
    ref: str = ""  # the goal, member or event it is about


def anniversary(joined: date, year: int) -> date:
    """The day a membership turns a year older in `year` (28 February for a 29 February join)."""
    try:
        return joined.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def milestones_reached(goals: Iterable[Goal], *, since: date, until: date) -> list[Celebration]:
    found = []
    for goal in goals:
        if goal.archived:
            continue
        for _, milestone in goal_progress.reached(goal):
            day = milestone.get("done_on")
            if isinstance(day, date) and since <= day <= until:
                found.append(
                    Celebration(day, "milestone", str(milestone.get("title", "")), f"towards {goal.name}", goal.id)
                )
    return found


def goals_met(goals: Iterable[Goal], *, since: date, until: date) -> list[Celebration]:
    found = []
    for goal in goals:
        day = goal_progress.done_on(goal)
        if not goal.archived and day is not None and since <= day <= until:
            what = f"{goal.current:g} of {goal.target:g} {goal.measure}".strip() if goal.target else ""
            found.append(Celebration(day, "goal", goal.name, what, goal.id))
    return found


def anniversaries(members: Iterable[Member], *, since: date, until: date) -> list[Celebration]:
    """Whole years of membership falling in the window, and newcomers to welcome."""
    found = []
    for member in members:
        if member.archived or member.status == MemberStatus.LEFT.value or member.joined is None:
            continue
        if since <= member.joined <= until:
            found.append(Celebration(member.joined, "welcome", member.name, "joined the group", member.id))
        for year in range(since.year, until.year + 1):
            day = anniversary(member.joined, year)
            years = year - member.joined.year
            if years >= 1 and since <= day <= until:
                found.append(
                    Celebration(day, "anniversary", member.name, f"{counted(years, 'year')} with us", member.id)
                )
    return found


def socials(events: Iterable[Event], *, since: datetime, until: datetime) -> list[Celebration]:
    """Social events ahead (not cancelled)."""
    return [
        Celebration(
            e.starts.date(), "social", e.name, f"{e.starts:%a %H:%M}" + (f", {e.place}" if e.place else ""), e.id
        )
        for e in events
        if not e.archived
        and not e.cancelled
        and e.kind == EventKind.SOCIAL.value
        and e.starts is not None
        and since <= e.starts <= until
    ]


def celebrations(
    doc: GroupDocument, *, now: datetime, back: int = RECENT_DAYS, ahead: int = AHEAD_DAYS
) -> list[Celebration]:
    """Good news from `back` days ago to `ahead` days from now, in date order."""
    today = now.date()
    since, until = today - timedelta(days=back), today + timedelta(days=ahead)
    goals = doc.goals.all()
    found = (
        milestones_reached(goals, since=since, until=today)
        + goals_met(goals, since=since, until=today)
        + anniversaries(doc.members.all(), since=since, until=until)
        + socials(doc.events.all(), since=now, until=now + timedelta(days=ahead))
    )
    order = {"goal": 0, "milestone": 1, "anniversary": 2, "welcome": 3, "social": 4}
    found.sort(key=lambda c: (c.day, order.get(c.kind, 9), c.title.lower()))
    return found
