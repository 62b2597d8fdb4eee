"""Membership: levels and roles with responsibilities, who holds which, who has gone quiet."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from planning_docs import new_doc

from magnet.checks import from_a_spreadsheet
from magnet.membership import duties, group_last_seen, mark_active, posts, quiet

TODAY = date(2026, 5, 1)


def test_levels_then_roles_each_with_holders_and_undescribed_ones_shown() -> None:
    doc = new_doc()
    doc.roles.add(name="Core team", kind="level", responsibilities="Run meetings")
    doc.roles.add(name="Volunteer", kind="level", responsibilities="Help when able")
    doc.roles.add(name="Block captain", kind="role", responsibilities="Sweep one block")
    doc.members.add(name="Ann", level="core_team", roles="block captain")
    with from_a_spreadsheet():  # held before anyone described them, as an imported roster is
        doc.members.add(name="Bob", level="volunteer", roles="Block Captain, medic")
        doc.members.add(name="Cy", level="Street rep")
    doc.members.add(name="Dee", level="core_team", status="left")
    gone = doc.members.add(name="Eve", level="core_team")
    doc.members.archive(gone.id)

    found = [
        (p.kind, p.name, [m.name for m in p.holders], p.responsibilities)
        for p in posts(doc.roles.all(), doc.members.all())
    ]
    assert found == [
        ("level", "Core team", ["Ann"], "Run meetings"),
        ("level", "Volunteer", ["Bob"], "Help when able"),
        ("level", "Street rep", ["Cy"], ""),
        ("role", "Block captain", ["Ann", "Bob"], "Sweep one block"),
        ("role", "Medic", ["Bob"], ""),
    ]
    bob = doc.members.filter(name="Bob")[0]
    assert duties(bob, doc.roles.all()) == [
        ("Volunteer", "Help when able"),
        ("Block captain", "Sweep one block"),
        ("medic", ""),
    ]


def test_members_are_seen_at_events_check_ins_trainings_surveys_and_feedback() -> None:
    doc = new_doc()
    came = doc.members.add(name="Came", last_active=date(2025, 1, 1))
    rsvp_ahead = doc.members.add(name="Rsvp")
    checked = doc.members.add(name="Checked")
    trained = doc.members.add(name="Trained")
    answered = doc.members.add(name="Answered")
    rated = doc.members.add(name="Rated")
    marked = doc.members.add(name="Marked", last_active=date(2026, 4, 20))
    never = doc.members.add(name="Never")
    new = doc.members.add(name="New", joined=TODAY - timedelta(days=10))
    old = doc.members.add(name="Old", joined=date(2020, 1, 1))
    away = doc.members.add(name="Away", status="away")
    doc.events.add(name="Meeting", starts=datetime(2026, 3, 1, 19), attendance={came.id})
    upcoming = doc.events.add(name="Potluck", starts=datetime(2026, 6, 1, 18), rsvps={rsvp_ahead.id: "yes"})
    doc.events.update(upcoming.id, attendance={came.id})  # marked present in advance by mistake: not counted
    doc.checkins.add(member_id=checked.id, status="safe", at=datetime(2026, 4, 2, 8))
    course = doc.courses.add(name="First aid")
    doc.trainings.add(member_id=trained.id, course_id=course.id, completed=date(2025, 12, 1))
    survey = doc.surveys.add(name="Needs")
    doc.responses.add(survey_id=survey.id, member_id=answered.id, recorded_at=datetime(2026, 2, 2, 12))
    doc.feedback.add(member_id=rated.id, rating=5, given_at=datetime(2026, 1, 10, 20))

    seen = group_last_seen(doc, today=TODAY)
    assert (seen[came.id].day, seen[came.id].how) == (date(2026, 3, 1), "came to Meeting")
    assert (seen[rsvp_ahead.id].day, seen[rsvp_ahead.id].how) == (TODAY, "RSVP'd to Potluck")
    assert seen[checked.id].how == "checked in" and seen[trained.id].day == date(2025, 12, 1)
    assert seen[answered.id].how == "answered a survey" and seen[rated.id].how == "gave feedback"
    assert seen[marked.id].how == "marked active" and seen[never.id].day is None
    assert seen[came.id].quiet_days(TODAY) == 61
    assert (seen[new.id].how, seen[old.id].day) == ("joined", date(2020, 1, 1))

    names = [s.member.name for s in quiet(seen.values(), today=TODAY)]
    assert names == ["Never", "Old", "Trained", "Rated"], "never seen first, then longest quiet; 'away' is not chased"
    assert away.id in seen
    assert [s.member.name for s in quiet(seen.values(), today=TODAY, days=30)] == [
        "Never",
        "Old",
        "Trained",
        "Rated",
        "Answered",
        "Came",
    ]


def test_marking_someone_active_never_moves_the_date_back() -> None:
    doc = new_doc()
    ann = doc.members.add(name="Ann", last_active=date(2026, 4, 1))
    assert mark_active(doc, ann.id, on=date(2026, 3, 1)).last_active == date(2026, 4, 1)
    assert mark_active(doc, ann.id, on=TODAY).last_active == TODAY
