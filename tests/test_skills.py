"""The skills matrix by zone: lapsed certificates stop counting, lapsing ones show the risk."""

from __future__ import annotations

import os
from datetime import date

from magnet.document import GroupDocument
from magnet.skills import NO_ZONE, group_skills

TODAY = date(2026, 5, 1)


def test_expired_and_expiring_certificates_show_as_gaps_by_zone() -> None:
    doc = GroupDocument.create("Maple", device_id="56" * 16, group_id=os.urandom(16).hex())
    home = doc.households.add(name="Lee", zone="C")
    ann = doc.members.add(name="Ann", zone="A", skills="first aid: certified, cooking")
    bob = doc.members.add(name="Bob", zone="B", skills="first aid")
    cy = doc.members.add(name="Cy", household_id=home.id)  # zone from the household
    dee = doc.members.add(name="Dee", skills="radio", status="left")
    doc.certifications.add(name="First aid", member_id=ann.id, skill="First Aid", expires=date(2026, 4, 1))
    doc.certifications.add(name="First aid", member_id=bob.id, skill="first aid", expires=date(2026, 5, 20))
    doc.certifications.add(name="CPR", member_id=cy.id, skill="cpr")
    doc.certifications.add(name="Radio", member_id=dee.id, skill="radio")

    matrix = group_skills(doc, today=TODAY)
    assert matrix.zones == ("A", "B", "C")
    assert matrix.is_gap("first aid", "A")  # Ann's certificate lapsed: her listed skill no longer counts
    assert [h.member.name for h in matrix.holders("cooking", "A")] == ["Ann"]
    assert not matrix.is_gap("first aid", "B") and matrix.is_at_risk("first aid", "B")
    assert matrix.holders("first aid", "B")[0].expires == date(2026, 5, 20)
    assert [h.member.name for h in matrix.holders("cpr", "C")] == ["Cy"]
    assert not matrix.holders("cpr", "C")[0].expiring  # no expiry date: never lapses
    assert "radio" in matrix.gaps("A") and "first aid" in matrix.gaps("A") and "first aid" not in matrix.gaps("B")
    assert "first aid" in matrix.at_risk("B")
    assert [c.member_id for c in matrix.expired] == [ann.id]
    assert [c.member_id for c in matrix.expiring] == [bob.id]
    assert not matrix.holders("radio", "A") and "radio" in matrix.skills  # Dee left


def test_members_without_a_zone_are_grouped_together() -> None:
    doc = GroupDocument.create("Maple", device_id="56" * 16, group_id=os.urandom(16).hex())
    doc.members.add(name="Eve", skills="radio")
    doc.members.add(name="Fay", zone="A")
    matrix = group_skills(doc, today=TODAY)
    assert matrix.zones == ("A", NO_ZONE)
    assert [h.member.name for h in matrix.holders("radio", NO_ZONE)] == ["Eve"]
