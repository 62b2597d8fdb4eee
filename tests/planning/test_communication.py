"""The PACE plan in tier order with its gaps, and announcements in reading order."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
from planning_docs import new_doc

from magnet.calltree import regenerate
from magnet.communication import announcements_in_order, how_to_reach, pace_plan, plan_problems, release, set_caller
from magnet.errors import MagnetError


def test_pace_tiers_in_order_with_what_makes_them_unusable() -> None:
    doc = new_doc()
    doc.channels.add(name="Group chat", tier="primary", trigger="Cell data down 30 min")
    radio = doc.channels.add(
        name="GMRS net", tier="contingency", radio_channel="GMRS 20", frequency="462.675 MHz", schedule="On the hour"
    )
    doc.channels.add(name="Rally point", tier="emergency", place="Park", trigger="No radio for 2 h")
    plan = pace_plan(doc.channels.all())
    assert [(t.tier, [c.name for c in t.channels]) for t in plan] == [
        ("primary", ["Group chat"]),
        ("alternate", []),
        ("contingency", ["GMRS net"]),
        ("emergency", ["Rally point"]),
    ]
    assert plan_problems(plan) == ["no alternate channel", "no trigger for leaving the contingency channel"]
    assert how_to_reach(radio) == "GMRS 20; 462.675 MHz; On the hour"


def test_announcements_pinned_then_urgent_then_newest() -> None:
    doc = new_doc()
    day = datetime(2026, 5, 1, 9)
    doc.announcements.add(name="Old info", urgency="info", posted_at=day.replace(day=1))
    doc.announcements.add(name="New info", urgency="info", posted_at=day.replace(day=3))
    doc.announcements.add(name="Boil water", urgency="urgent", posted_at=day.replace(day=2))
    doc.announcements.add(name="Rally point moved", urgency="info", pinned=True, posted_at=day)
    gone = doc.announcements.add(name="Gone", urgency="urgent")
    doc.announcements.archive(gone.id)
    assert [a.name for a in announcements_in_order(doc.announcements.all())] == [
        "Rally point moved",
        "Boil water",
        "New info",
        "Old info",
    ]


def test_a_caller_set_by_hand_survives_regeneration_and_everyone_is_still_called_once() -> None:
    doc = new_doc()
    lead = doc.members.add(name="Lead", level="core_team", consent_share=True, zone="A")
    people = [doc.members.add(name=f"P{n}", consent_share=True, zone="AB"[n % 2]) for n in range(12)]
    shy = doc.members.add(name="Shy", consent_share=False)
    regenerate(doc)
    target, caller = people[3], people[8]
    update = set_caller(doc, target.id, caller.id)
    links = {link.member_id: link for link in doc.call_tree.all()}
    assert links[target.id].caller_id == caller.id and links[target.id].manual
    assert links[target.id].confirms_to == caller.id
    regenerate(doc)
    callees = Counter(link.member_id for link in doc.call_tree.all())
    assert set(callees) == {m.id for m in people} and set(callees.values()) == {1}, "everyone but the root, once"
    assert lead.id not in callees and shy.id not in callees
    assert doc.call_tree.filter(member_id=target.id)[0].caller_id == caller.id
    assert update.plan.root_id == lead.id
    with pytest.raises(MagnetError, match="no consent"):
        set_caller(doc, shy.id, caller.id)
    with pytest.raises(MagnetError, match="themselves"):
        set_caller(doc, caller.id, caller.id)
    release(doc, target.id)
    assert not doc.call_tree.filter(member_id=target.id)[0].manual
