"""Goals: how far each has come, the milestones reached, which goals fall behind, and progress over time.

Progress is measured when a goal has a target (current / target), else it is the share of its
milestones done. A live goal is *behind* when its target date has passed short of the target,
when a milestone is overdue, or when its progress trails the share of its time already gone by
more than `SLACK` (a goal 20% done with 80% of its time gone needs attention at the next meeting).
Each recorded value is also written to the goal's progress log, keyed by day, so the evaluation
can show progress over time; two devices logging on different days both keep their entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from magnet.document import GroupDocument
from magnet.records import Event, Goal, GoalStatus

SLACK = 0.15
LIVE = frozenset({GoalStatus.PLANNED.value, GoalStatus.ACTIVE.value})
Milestone = Mapping[str, Any]


def progress(goal: Goal) -> float | None:
    """0..1; None when the goal has neither a target nor milestones to measure it by."""
    if goal.target > 0:
        return min(max(goal.current / goal.target, 0.0), 1.0)
    if goal.milestones:
        return sum(1 for m in goal.milestones.values() if m.get("done")) / len(goal.milestones)
    return 1.0 if goal.status == GoalStatus.DONE.value else None


def milestones(goal: Goal) -> list[tuple[str, Milestone]]:
    """(id, milestone) soonest due first; those without a due date last."""
    return sorted(
        goal.milestones.items(),
        key=lambda item: (item[1].get("due") or date.max, str(item[1].get("title", "")).lower(), item[0]),
    )


def reached(goal: Goal) -> list[tuple[str, Milestone]]:
    return [(key, m) for key, m in milestones(goal) if m.get("done")]


def next_milestone(goal: Goal) -> tuple[str, Milestone] | None:
    return next(((key, m) for key, m in milestones(goal) if not m.get("done")), None)


def overdue(goal: Goal, today: date) -> list[tuple[str, Milestone]]:
    """Milestones not done whose due date has passed."""
    return [(key, m) for key, m in milestones(goal) if not m.get("done") and m.get("due") and m["due"] < today]


@dataclass(frozen=True)
class Standing:
    """Where a goal stands today and, when it is behind, why."""

    goal: Goal
    progress: float | None
    expected: float | None  # the share of its time gone (None: no start or target date)
    reasons: tuple[str, ...]

    @property
    def behind(self) -> bool:
        return bool(self.reasons)

    @property
    def gap(self) -> float:
        """How far progress trails the calendar (0 when it does not)."""
        if self.expected is None:
            return 1.0 if self.behind else 0.0
        return max(self.expected - (self.progress or 0.0), 0.0)


def standing(goal: Goal, today: date) -> Standing:
    done = progress(goal)
    start = goal.created_at.date() if goal.created_at else None
    expected = None
    if start is not None and goal.target_date is not None and goal.target_date > start:
        expected = min(max((today - start).days / (goal.target_date - start).days, 0.0), 1.0)
    reasons: list[str] = []
    if goal.status in LIVE and not goal.archived:
        if goal.target_date is not None and goal.target_date < today and (done is None or done < 1.0):
            reasons.append(f"past its target date ({goal.target_date.isoformat()})")
        elif expected is not None and done is not None and expected - done > SLACK:
            reasons.append(f"{done:.0%} done with {expected:.0%} of its time gone")
        late = overdue(goal, today)
        if late:
            first = late[0][1]
            more = f" and {len(late) - 1} more" if len(late) > 1 else ""
            reasons.append(f"milestone {first.get('title', '')!r} overdue since {first['due'].isoformat()}{more}")
    return Standing(goal, done, expected, tuple(reasons))


def behind(goals: Iterable[Goal], today: date) -> list[Standing]:
    """Live goals that need attention, furthest behind first."""
    found = [s for s in (standing(g, today) for g in goals) if s.behind]
    found.sort(key=lambda s: (-s.gap, s.goal.target_date or date.max, s.goal.name.lower()))
    return found


def linked_events(goal: Goal, events: Iterable[Event]) -> list[Event]:
    """Events that serve a goal (either side may record the link), soonest first."""
    found = [e for e in events if not e.archived and (goal.id in e.goal_ids or e.id in goal.event_ids)]
    found.sort(key=lambda e: (e.starts is None, e.starts or datetime.min, e.name.lower()))
    return found


# ---- progress over time -----------------------------------------------------------------------


def history(goal: Goal) -> list[tuple[date, float]]:
    """(day, value) from the progress log, oldest first; entries that do not read as such are skipped."""
    points: list[tuple[date, float]] = []
    for key, raw in goal.progress_log.items():
        try:
            day = date.fromisoformat(key[:10])
        except ValueError:
            continue
        number = re.match(r"\s*(-?\d+(?:\.\d+)?)", raw)
        if number is not None:
            points.append((day, float(number[1])))
    points.sort()
    return points


def value_on(goal: Goal, day: date) -> float | None:
    """The last value logged on or before `day` (None before the first entry)."""
    found = None
    for logged, value in history(goal):
        if logged > day:
            break
        found = value
    return found


def record_progress(doc: GroupDocument, goal_id: str, value: float, *, on: date, note: str = "") -> Goal:
    """Set the goal's current value and log it for the day; a goal that meets its target is done."""

    def write() -> Goal:
        goal = doc.goals.get(goal_id)
        entry = f"{value:g}" + (f" {note.strip()}" if note.strip() else "")
        changes: dict[str, Any] = {"current": value, "progress_log": {**goal.progress_log, on.isoformat(): entry}}
        all_steps_done = all(m.get("done") for m in goal.milestones.values())
        if goal.target > 0 and value >= goal.target and all_steps_done and goal.status in LIVE:
            changes["status"] = GoalStatus.DONE.value
        return doc.goals.update(goal_id, **changes)

    return doc.atomic(write)


def reach_milestone(doc: GroupDocument, goal_id: str, milestone_id: str, *, on: date, done: bool = True) -> Goal:
    """Mark a milestone reached on a day (or not reached after all)."""
    doc.goals.put_entry(goal_id, "milestones", milestone_id, done=done, done_on=on if done else None)
    return doc.goals.get(goal_id)


def done_on(goal: Goal) -> date | None:
    """When a done goal was finished: its last milestone or log entry, else its last edit."""
    if goal.status != GoalStatus.DONE.value:
        return None
    days: list[date] = [m["done_on"] for m in goal.milestones.values() if m.get("done") and m.get("done_on")]
    days += [day for day, _ in history(goal)]
    if days:
        return max(days)
    return goal.updated_at.date() if goal.updated_at else None
