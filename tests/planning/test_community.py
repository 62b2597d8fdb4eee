"""Celebrations: milestones reached, goals met, anniversaries and newcomers, socials ahead."""

from __future__ import annotations

from datetime import date, datetime

from planning_docs import new_doc

from magnet import goals
from magnet.community import anniversary, celebrations

NOW = datetime(2026, 5, 10, 12, 0)


def test_anniversary_of_a_leap_day_join() -> None:
    assert anniversary(date(2024, 2, 29), 2026) == date(2026, 2, 28)
    assert anniversary(date(2024, 2, 29), 2028) == date(2028, 2, 29)


def test_the_good_news_of_the_last_and_next_weeks_in_date_order() -> None:
    doc = new_doc()
    g = doc.goals.add(name="Radios", measure="radios", target=4)
    step = doc.goals.put_entry(g.id, "milestones", title="Buy radios")
    goals.reach_milestone(doc, g.id, step, on=date(2026, 5, 1))
    goals.record_progress(doc, g.id, 4, on=date(2026, 5, 2))
    old = doc.goals.add(name="Old win", status="done")
    goals.record_progress(doc, old.id, 1, on=date(2025, 1, 1))
    doc.members.add(name="Ann", joined=date(2024, 5, 20))
    doc.members.add(name="Newcomer", joined=date(2026, 4, 20))
    doc.members.add(name="Gone", joined=date(2023, 5, 12), status="left")
    doc.events.add(name="Potluck", kind="social", starts=datetime(2026, 5, 16, 18), place="Hall")
    doc.events.add(name="Cancelled picnic", kind="social", starts=datetime(2026, 5, 17, 12), cancelled=True)
    doc.events.add(name="Last potluck", kind="social", starts=datetime(2026, 5, 1, 18))
    doc.events.add(name="Meeting", starts=datetime(2026, 5, 12, 19))
    found = [(c.day, c.kind, c.title, c.detail) for c in celebrations(doc, now=NOW)]
    assert {c.kind: c.ref for c in celebrations(doc, now=NOW)}["goal"] == g.id
    assert found == [
        (date(2026, 4, 20), "welcome", "Newcomer", "joined the group"),
        (date(2026, 5, 1), "milestone", "Buy radios", "towards Radios"),
        (date(2026, 5, 2), "goal", "Radios", "4 of 4 radios"),
        (date(2026, 5, 16), "social", "Potluck", "Sat 18:00, Hall"),
        (date(2026, 5, 20), "anniversary", "Ann", "2 years with us"),
    ]
