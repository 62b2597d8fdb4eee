"""The meeting report: goal progress over the period, attendance by month, coverage, supplies, feedback."""

from __future__ import annotations

import time
from datetime import date, datetime

from planning_docs import new_doc

from magnet import goals
from magnet.evaluation import attendance_by_month, bar, build_report, feedback_lines, month_start, render
from magnet.sample import SIZES, populate

TODAY = date(2026, 5, 10)


def test_month_start_and_bar() -> None:
    assert month_start(TODAY) == date(2026, 5, 1)
    assert month_start(TODAY, 5) == date(2025, 12, 1)
    assert month_start(TODAY, -8) == date(2027, 1, 1)
    assert bar(0.6) == "[######----]" and bar(1.7) == "[##########]" and bar(None) == "[??????????]"


def test_attendance_by_month_counts_people_and_guests_and_keeps_empty_months() -> None:
    doc = new_doc()
    ann, bob = doc.members.add(name="Ann"), doc.members.add(name="Bob")
    doc.events.add(name="Meeting", starts=datetime(2026, 3, 3, 19), attendance={ann.id, bob.id}, guests=2)
    doc.events.add(name="Drill", starts=datetime(2026, 3, 20, 10), attendance={ann.id})
    doc.events.add(name="Rained out", starts=datetime(2026, 3, 21, 10), cancelled=True, attendance={bob.id})
    doc.events.add(name="Social", starts=datetime(2026, 5, 2, 18), attendance={bob.id})
    months = attendance_by_month(doc.events.all(), start=date(2026, 2, 1), end=TODAY)
    assert [(m.month, m.events, m.attended, m.people) for m in months] == [
        (date(2026, 2, 1), 0, 0, 0),
        (date(2026, 3, 1), 2, 5, 2),
        (date(2026, 4, 1), 0, 0, 0),
        (date(2026, 5, 1), 1, 1, 1),
    ]
    assert months[1].average == 2.5


def test_feedback_is_averaged_per_event_within_the_period() -> None:
    doc = new_doc()
    drill = doc.events.add(name="Drill", starts=datetime(2026, 4, 4, 10))
    doc.feedback.add(event_id=drill.id, rating=5, comment="Loved it", given_at=datetime(2026, 4, 4, 12))
    doc.feedback.add(event_id=drill.id, rating=2, comment="Too long", given_at=datetime(2026, 4, 5, 9))
    doc.feedback.add(topic="The newsletter", rating=4, given_at=datetime(2026, 4, 6, 9))
    doc.feedback.add(event_id=drill.id, rating=1, given_at=datetime(2025, 1, 1, 9))  # before the period
    lines = feedback_lines(doc.feedback.all(), doc.events.all(), start=date(2026, 2, 1), end=TODAY)
    assert [(f.about, f.count, f.average, f.comments) for f in lines] == [
        ("Drill", 2, 3.5, ("Loved it", "Too long")),
        ("The newsletter", 1, 4.0, ()),
    ]


def test_the_report_shows_goal_progress_over_the_period_and_what_is_unmet() -> None:
    doc = new_doc()
    g = doc.goals.add(name="Water barrels", measure="households", target=20, target_date=date(2026, 12, 1))
    goals.record_progress(doc, g.id, 4, on=date(2026, 1, 15))
    goals.record_progress(doc, g.id, 12, on=date(2026, 4, 15))
    doc.goals.add(name="Old plan", status="dropped")
    doc.needs.add(name="Checks on elders", category="isolation", priority="critical", mentions=4)
    doc.households.add(name="Lee", people=4)
    doc.inventory.add(name="Water jugs", category="water", quantity=40, days_per_unit=1)
    doc.members.add(name="New", joined=date(2026, 4, 2), last_active=TODAY)
    report = build_report(doc, today=TODAY, months=3)
    assert report.start == date(2026, 2, 1)
    [line] = report.goals
    assert (line.progress, line.moved, line.current) == (0.6, 8.0, 12.0)
    assert [n.name for n in report.unmet_needs] == ["Checks on elders"]
    assert report.people == 5 and report.water_days == 8.0 and report.new_members == 1
    text = render(report)
    assert "- [######----] 60% Water barrels (12 of 20 households), +8 this period" in text
    assert "- Checks on elders (critical, 4 mentions)" in text
    assert "water for 5 people: 8.0 days" in text
    assert "| May 2026 | 0 | 0 | 0 | 0.0 |" in text


def test_the_report_on_a_demo_sized_group_is_quick_and_fits_80_columns() -> None:
    doc = new_doc()
    populate(doc, SIZES["demo"], today=TODAY)
    began = time.perf_counter()
    text = render(build_report(doc, today=TODAY))
    assert time.perf_counter() - began < 2.0
    assert "## Goals" in text and "## Training coverage by zone" in text and "## Feedback" in text
    too_wide = [line for line in text.splitlines() if len(line) > 80]
    assert too_wide == []


def test_a_goal_first_logged_within_the_period_moved_from_its_first_value() -> None:
    doc = new_doc()
    g = doc.goals.add(name="Radios", target=10)
    goals.record_progress(doc, g.id, 2, on=date(2026, 3, 1))
    goals.record_progress(doc, g.id, 7, on=date(2026, 5, 1))
    untouched = doc.goals.add(name="Unlogged", target=5, current=1)
    lines = {line.name: line for line in build_report(doc, today=TODAY, months=3).goals}
    assert lines["Radios"].moved == 5.0 and lines[untouched.name].moved is None
