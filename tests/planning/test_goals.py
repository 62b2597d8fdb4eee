"""Goals: progress, milestones reached, goals behind schedule, progress over time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from planning_docs import new_doc, other_device

from magnet import goals
from magnet.records import Goal

START = datetime(2026, 1, 1, 9, 0)


def goal(**values: object) -> Goal:
    return Goal(id="g", name="Water barrels", created_at=START, **values)  # type: ignore[arg-type]


def step(title: str, due: date | None, done: bool = False) -> dict[str, object]:
    return {"title": title, "due": due, "done": done, "done_on": None}


def test_progress_is_measured_else_counted_in_milestones() -> None:
    assert goals.progress(goal(target=20, current=5)) == 0.25
    assert goals.progress(goal(target=20, current=30)) == 1.0
    milestones = {"a": step("Buy", None, True), "b": step("Fill", None), "c": step("Label", None), "d": step("X", None)}
    assert goals.progress(goal(milestones=milestones)) == 0.25
    assert goals.progress(goal()) is None
    assert goals.progress(goal(status="done")) == 1.0


def test_a_goal_falls_behind_by_the_calendar_by_an_overdue_milestone_or_past_its_date() -> None:
    due = date(2026, 11, 28)  # 331 days after the start
    on_track = goal(target=100, current=50, target_date=due)
    assert not goals.standing(on_track, date(2026, 6, 1)).behind
    slow = goal(target=100, current=20, target_date=due)
    late = goals.standing(slow, date(2026, 9, 1))
    assert late.behind and late.reasons == ("20% done with 73% of its time gone",)
    assert round(late.gap, 2) == 0.53
    assert not goals.standing(slow, date(2026, 2, 1)).behind, "early days: 20% done is ahead"

    past = goals.standing(goal(target=100, current=90, target_date=date(2026, 3, 1)), date(2026, 3, 2))
    assert past.reasons == ("past its target date (2026-03-01)",)

    steps = {"a": step("Order barrels", date(2026, 2, 1)), "b": step("Fill", date(2026, 3, 1))}
    overdue = goals.standing(goal(milestones=steps), date(2026, 3, 5))
    assert overdue.reasons == ("milestone 'Order barrels' overdue since 2026-02-01 and 1 more",)

    for status in ("done", "dropped", "on_hold"):
        assert not goals.standing(
            goal(target=100, current=0, target_date=date(2026, 2, 1), status=status), date(2026, 9, 1)
        ).behind

    ranked = goals.behind(
        [slow, goal(target=100, current=60, target_date=due), on_track.edit(id="x", current=10)], date(2026, 9, 1)
    )
    assert [s.goal.current for s in ranked] == [10, 20], "furthest behind first; 60% is on track"


def test_milestones_in_due_order_and_the_next_one() -> None:
    steps = {
        "late": step("Label barrels", None),
        "b": step("Fill barrels", date(2026, 3, 1)),
        "a": step("Order barrels", date(2026, 2, 1), True),
    }
    g = goal(milestones=steps)
    assert [key for key, _ in goals.milestones(g)] == ["a", "b", "late"]
    assert [key for key, _ in goals.reached(g)] == ["a"]
    assert goals.next_milestone(g) == ("b", steps["b"])
    assert goals.overdue(g, date(2026, 3, 2)) == [("b", steps["b"])]


def test_reaching_the_last_milestone_and_the_target_completes_the_goal() -> None:
    doc = new_doc()
    g = doc.goals.add(name="Water barrels", measure="households with barrels", target=10, current=2)
    order = doc.goals.put_entry(g.id, "milestones", title="Order barrels", due=date(2026, 2, 1))
    goals.record_progress(doc, g.id, 6, on=date(2026, 2, 10), note="first delivery")
    goals.record_progress(doc, g.id, 10, on=date(2026, 3, 1))
    assert doc.goals.get(g.id).status == "active", "a milestone is still open"
    reached = goals.reach_milestone(doc, g.id, order, on=date(2026, 3, 2))
    assert reached.milestones[order]["done"] and reached.milestones[order]["done_on"] == date(2026, 3, 2)
    assert goals.progress(reached) == 1.0
    done = goals.record_progress(doc, g.id, 10, on=date(2026, 3, 3))
    assert done.status == "done" and goals.done_on(done) == date(2026, 3, 3)
    assert goals.history(done) == [(date(2026, 2, 10), 6.0), (date(2026, 3, 1), 10.0), (date(2026, 3, 3), 10.0)]
    assert done.progress_log["2026-02-10"] == "6 first delivery"
    assert goals.value_on(done, date(2026, 2, 20)) == 6.0 and goals.value_on(done, date(2026, 1, 1)) is None
    undone = goals.reach_milestone(doc, g.id, order, on=date(2026, 3, 4), done=False)
    assert not undone.milestones[order]["done"] and undone.milestones[order]["done_on"] is None


def test_progress_logged_on_two_devices_keeps_both_days() -> None:
    doc = new_doc()
    g = doc.goals.add(name="Radios", target=8)
    laptop = other_device(doc)
    goals.record_progress(doc, g.id, 3, on=date(2026, 4, 1))
    goals.record_progress(laptop, g.id, 5, on=date(2026, 4, 2))
    doc.merge(laptop)
    assert [day for day, _ in goals.history(doc.goals.get(g.id))] == [date(2026, 4, 1), date(2026, 4, 2)]


def test_history_skips_entries_that_do_not_read_as_a_day_and_a_value() -> None:
    g = goal(progress_log={"2026-02-01": "4", "note": "5", "2026-03-01": "about half", "2026-01-15": "2.5 started"})
    assert goals.history(g) == [(date(2026, 1, 15), 2.5), (date(2026, 2, 1), 4.0)]


def test_linked_events_come_from_either_side() -> None:
    doc = new_doc()
    g = doc.goals.add(name="Radios")
    drill = doc.events.add(name="Radio drill", starts=START + timedelta(days=3), goal_ids={g.id})
    class_ = doc.events.add(name="Radio class", starts=START + timedelta(days=1))
    doc.events.add(name="Potluck", starts=START)
    doc.goals.update(g.id, event_ids={class_.id})
    assert [e.name for e in goals.linked_events(doc.goals.get(g.id), doc.events.all())] == [class_.name, drill.name]
