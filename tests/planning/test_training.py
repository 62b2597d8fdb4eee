"""Training: completions certify skills that expire, who holds what, renewals due, coverage by zone."""

from __future__ import annotations

from datetime import date, datetime

from planning_docs import new_doc

from magnet.skills import group_skills
from magnet.training import add_months, complete_course, completions, coverage, renewals_due, sessions, who_holds

TODAY = date(2026, 5, 1)


def test_add_months_keeps_the_day_or_takes_the_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 11, 15), 24) == date(2028, 11, 15)
    assert add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)


def test_finishing_a_course_that_gives_a_skill_certifies_it_until_it_expires() -> None:
    doc = new_doc()
    partner = doc.partners.add(name="Red Cross chapter")
    first_aid = doc.courses.add(name="First aid", skill="First aid", valid_months=24, partner_id=partner.id)
    talk = doc.courses.add(name="Seed saving talk")
    ann = doc.members.add(name="Ann")
    session = doc.events.add(
        name="First aid, day 1", kind="training", starts=datetime(2026, 3, 1, 9), course_id=first_aid.id
    )
    record, cert = complete_course(doc, ann.id, first_aid.id, on=date(2026, 3, 1), event_id=session.id)
    assert record.event_id == session.id and record.completed == date(2026, 3, 1)
    assert cert is not None
    assert (cert.skill, cert.expires, cert.issuer, cert.course_id) == (
        "First aid",
        date(2028, 3, 1),
        "Red Cross chapter",
        first_aid.id,
    )
    assert complete_course(doc, ann.id, talk.id, on=TODAY)[1] is None
    assert len(doc.certifications.all()) == 1
    assert [t.id for t in completions(first_aid, doc.trainings.all())] == [record.id]
    assert [e.id for e in sessions(first_aid, doc.events.all())] == [session.id]


def test_who_holds_which_certificate_and_what_needs_renewing() -> None:
    doc = new_doc()
    ann = doc.members.add(name="Ann", zone="A")
    bob = doc.members.add(name="Bob", zone="B")
    cy = doc.members.add(name="Cy", zone="A")
    doc.certifications.add(name="First aid", member_id=ann.id, skill="first aid", expires=date(2026, 4, 1))
    doc.certifications.add(name="First aid", member_id=ann.id, skill="First Aid", expires=date(2028, 4, 1))  # renewed
    lapsing = doc.certifications.add(name="First aid", member_id=bob.id, skill="first aid", expires=date(2026, 5, 20))
    lapsed = doc.certifications.add(name="CPR", member_id=cy.id, skill="cpr", expires=date(2026, 2, 1))
    doc.certifications.add(name="Radio licence", member_id=cy.id, skill="radio")

    held = {s.skill: s for s in who_holds(doc.certifications.all(), doc.members.all(), today=TODAY)}
    assert [(h.member.name, h.expiring) for h in held["first aid"].valid] == [("Bob", True), ("Ann", False)]
    assert held["cpr"].valid == () and [h.member.name for h in held["cpr"].lapsed] == ["Cy"]
    assert held["radio"].valid[0].certificate.expires is None
    due = renewals_due(doc.certifications.all(), doc.members.all(), today=TODAY)
    assert [h.certificate.id for h in due] == [lapsed.id, lapsing.id], "Ann renewed: nothing due for her"


def test_coverage_by_zone_shows_lapsed_certificates_as_gaps_and_lapsing_ones_at_risk() -> None:
    doc = new_doc()
    ann = doc.members.add(name="Ann", zone="A", skills="first aid, radio, cpr, search and rescue, fire safety")
    bob = doc.members.add(name="Bob", zone="B", skills="first aid")
    doc.certifications.add(name="First aid", member_id=ann.id, skill="first aid", expires=date(2026, 4, 1))
    doc.certifications.add(name="First aid", member_id=bob.id, skill="first aid", expires=date(2026, 5, 20))
    zones = {z.zone: z for z in coverage(group_skills(doc, today=TODAY))}
    assert zones["A"].gaps == ("first aid",) and zones["A"].covered == 4 and zones["A"].needed == 5
    assert zones["B"].at_risk == ("first aid",) and zones["B"].covered == 1
    assert [z.zone for z in coverage(group_skills(doc, today=TODAY))] == ["B", "A"], "worst zone first"
    assert zones["A"].share == 0.8
