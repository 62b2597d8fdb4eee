"""Partners: follow-ups due, partners out of touch, offers that fit the group's needs."""

from __future__ import annotations

from datetime import date

from planning_docs import new_doc

from magnet.partnering import follow_ups_due, offers_for, out_of_touch, record_contact, support_for_needs

TODAY = date(2026, 5, 1)


def test_follow_ups_due_soonest_first_and_partners_out_of_touch() -> None:
    doc = new_doc()
    pantry = doc.partners.add(name="Food pantry", follow_up=date(2026, 4, 20), last_contact=date(2026, 4, 1))
    station = doc.partners.add(name="Fire station", follow_up=date(2026, 5, 10), last_contact=date(2025, 12, 1))
    doc.partners.add(name="Hardware store", follow_up=date(2026, 7, 1), last_contact=date(2026, 4, 28))
    clinic = doc.partners.add(name="Clinic")
    old = doc.partners.add(name="Closed cafe", follow_up=date(2026, 4, 1))
    doc.partners.archive(old.id)
    partners = doc.partners.all()
    assert [p.name for p in follow_ups_due(partners, today=TODAY)] == [pantry.name, station.name]
    assert [p.name for p in out_of_touch(partners, today=TODAY)] == [clinic.name, station.name]
    assert [p.name for p in out_of_touch(partners, today=TODAY, days=20)] == [clinic.name, station.name, pantry.name]


def test_recording_a_contact_sets_the_next_follow_up_and_never_moves_the_date_back() -> None:
    doc = new_doc()
    pantry = doc.partners.add(name="Food pantry", follow_up=date(2026, 4, 20), last_contact=date(2026, 4, 1))
    done = record_contact(doc, pantry.id, on=TODAY, follow_up=date(2026, 6, 1))
    assert (done.last_contact, done.follow_up) == (TODAY, date(2026, 6, 1))
    late = record_contact(doc, pantry.id, on=date(2026, 3, 1))
    assert (late.last_contact, late.follow_up) == (TODAY, None)


def test_what_partners_offer_against_what_the_group_needs() -> None:
    doc = new_doc()
    water = doc.needs.add(name="Water storage", category="water", priority="high")
    elders = doc.needs.add(name="Checks on isolated elders", category="isolation", priority="critical")
    doc.needs.add(name="Childcare during drills", category="childcare", priority="low")
    store = doc.partners.add(name="Hardware store", offers="water barrels, tarps, storage bins discount")
    church = doc.partners.add(name="Church", offers="meeting hall, volunteers for visits")
    doc.partners.add(name="Pantry", offers="food boxes")
    partners = doc.partners.all()
    assert offers_for(water, partners) == [(store, ("storage bins discount", "water barrels"))]
    assert offers_for(elders, partners) == [(church, ("volunteers for visits",))]
    support = support_for_needs(doc.needs.all(), partners)
    assert [(s.need.name, len(s.partners)) for s in support] == [
        ("Checks on isolated elders", 1),
        ("Water storage", 1),
        ("Childcare during drills", 0),
    ]
