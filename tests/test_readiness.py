"""Readiness queries: welfare from the latest check-ins, supplies in days, skills that lapse."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from magnet.document import GroupDocument
from magnet.home import OpenGroup
from magnet.readiness import (
    ReadinessMemo,
    below_minimum,
    certifications_expiring,
    days_on_hand,
    events_attended,
    expiring_items,
    headcount,
    needed_skills,
    open_loans,
    out_of_stock,
    past_events,
    readiness,
    skill_gaps,
    skill_holders,
    upcoming_events,
    welfare_counts,
    welfare_units,
)

NOW = datetime(2026, 3, 10, 12, 0)
TODAY = NOW.date()


def _doc(group: OpenGroup) -> GroupDocument:
    return group.doc


def test_household_status_comes_from_its_latest_report(group: OpenGroup) -> None:
    doc = _doc(group)
    home = doc.households.add(name="Lee household", zone="B", people=3)
    doc.checkins.add(household_id=home.id, status="needs_help", at=NOW - timedelta(hours=3))
    doc.checkins.add(household_id=home.id, status="safe", at=NOW - timedelta(hours=1))
    [unit] = welfare_units(doc.households.all(), doc.members.all(), doc.checkins.all())
    assert unit.status == "safe"
    assert unit.report is not None and unit.report.at == NOW - timedelta(hours=1)


def test_a_member_needing_help_after_the_sweep_makes_the_household_need_help(group: OpenGroup) -> None:
    doc = _doc(group)
    home = doc.households.add(name="Lee household", zone="B", people=2)
    ann = doc.members.add(name="Ann Lee", household_id=home.id)
    bob = doc.members.add(name="Bob Lee", household_id=home.id)
    doc.checkins.add(member_id=bob.id, status="needs_help", at=NOW - timedelta(hours=5))  # before the sweep
    doc.checkins.add(household_id=home.id, status="safe", at=NOW - timedelta(hours=2))
    [unit] = welfare_units(doc.households.all(), doc.members.all(), doc.checkins.all())
    assert unit.status == "safe", "the captain's later sweep supersedes Bob's older report"
    doc.checkins.add(member_id=ann.id, status="needs_help", at=NOW - timedelta(hours=1))
    [unit] = welfare_units(doc.households.all(), doc.members.all(), doc.checkins.all())
    assert unit.status == "needs_help"
    assert unit.report is not None and unit.report.member_id == ann.id


def test_counts_use_only_the_latest_report_per_member_and_household(group: OpenGroup) -> None:
    doc = _doc(group)
    a = doc.households.add(name="A", zone="A")
    b = doc.households.add(name="B", zone="A")
    doc.households.add(name="C", zone="B")
    loner = doc.members.add(name="Lone Ranger", zone="C")
    doc.checkins.add(household_id=a.id, status="needs_help", at=NOW - timedelta(hours=2))
    doc.checkins.add(household_id=a.id, status="safe", at=NOW)
    doc.checkins.add(household_id=b.id, status="needs_help", at=NOW)
    doc.checkins.add(member_id=loner.id, status="safe", at=NOW)
    units = welfare_units(doc.households.all(), doc.members.all(), doc.checkins.all())
    counts = welfare_counts(units)
    assert (counts.safe, counts.needs_help, counts.unknown) == (2, 1, 1)
    assert counts.total == 4
    assert [u.name for u in units] == ["B", "C", "A", "Lone Ranger"], "needs help first, then unknown, then safe"


def test_reports_before_the_window_count_as_unknown(group: OpenGroup) -> None:
    doc = _doc(group)
    home = doc.households.add(name="Old news")
    doc.checkins.add(household_id=home.id, status="safe", at=NOW - timedelta(days=3))
    [unit] = welfare_units(doc.households.all(), [], doc.checkins.all(), since=NOW - timedelta(days=1))
    assert unit.status == "unknown" and unit.report is None


def test_archived_households_and_checkins_are_left_out(group: OpenGroup) -> None:
    doc = _doc(group)
    gone = doc.households.add(name="Moved away")
    doc.households.archive(gone.id)
    home = doc.households.add(name="Here")
    wrong = doc.checkins.add(household_id=home.id, status="needs_help", at=NOW)
    doc.checkins.archive(wrong.id)
    units = welfare_units(doc.households.all(include_archived=True), [], doc.checkins.all(include_archived=True))
    assert [(u.name, u.status) for u in units] == [("Here", "unknown")]


def test_upcoming_and_past_events(group: OpenGroup) -> None:
    doc = _doc(group)
    soon = doc.events.add(name="Drill", kind="drill", starts=NOW + timedelta(days=2))
    doc.events.add(name="Far off", starts=NOW + timedelta(days=60))
    doc.events.add(name="Called off", starts=NOW + timedelta(days=1), cancelled=True)
    past = doc.events.add(name="Last meeting", starts=NOW - timedelta(days=7))
    assert [e.id for e in upcoming_events(doc.events.all(), now=NOW)] == [soon.id]
    assert len(upcoming_events(doc.events.all(), now=NOW, days=None)) == 2
    assert [e.id for e in past_events(doc.events.all(), now=NOW)] == [past.id]


def test_events_attended(group: OpenGroup) -> None:
    doc = _doc(group)
    ann = doc.members.add(name="Ann")
    first = doc.events.add(name="One", starts=NOW - timedelta(days=20), attendance=[ann.id])
    doc.events.add(name="Two", starts=NOW - timedelta(days=10))
    third = doc.events.add(name="Three", starts=NOW - timedelta(days=5), attendance=[ann.id])
    assert [e.id for e in events_attended(doc.events.all(), ann.id)] == [third.id, first.id]


def test_stock_below_minimum_and_expiring(group: OpenGroup) -> None:
    doc = _doc(group)
    low = doc.inventory.add(name="Batteries", quantity=2, minimum=10)
    doc.inventory.add(name="Tarps", quantity=10, minimum=10)
    doc.inventory.add(name="Rope", quantity=1)
    old = doc.inventory.add(name="Canned beans", category="food", quantity=5, expires=TODAY - timedelta(days=1))
    soon = doc.inventory.add(name="Bandages", category="medical", quantity=5, expires=TODAY + timedelta(days=10))
    doc.inventory.add(name="Rice", category="food", quantity=5, expires=TODAY + timedelta(days=300))
    doc.inventory.add(name="Used up", category="food", quantity=0, expires=TODAY)
    assert [[i.id for i in lots] for lots in below_minimum(doc.inventory.all())] == [[low.id]]
    assert [[i.name for i in lots] for lots in out_of_stock(doc.inventory.all())] == [["Used up"]]
    assert [i.id for i in expiring_items(doc.inventory.all(), today=TODAY)] == [old.id, soon.id]


def test_stock_is_counted_by_line_as_the_inventory_shows_it(group: OpenGroup) -> None:
    doc = _doc(group)
    # Water kept in three places: one low lot and one empty lot make one low line, not an empty one.
    doc.inventory.add(name="Water", unit="gallon", quantity=2, minimum=5, location="A")
    doc.inventory.add(name="water ", unit="Gallon", quantity=0, location="B")
    doc.inventory.add(name="Water", unit="gallon", quantity=30, location="C")
    doc.inventory.add(name="Tarps", quantity=0, location="A")
    doc.inventory.add(name="Tarps", quantity=0, location="B")
    items = doc.inventory.all()
    assert [[i.location for i in lots] for lots in below_minimum(items)] == [["A", "B", "C"]]
    assert [[i.name for i in lots] for lots in out_of_stock(items)] == [["Tarps", "Tarps"]]


def test_days_of_water_and_food_for_the_groups_headcount(group: OpenGroup) -> None:
    doc = _doc(group)
    home = doc.households.add(name="Big family", people=4)
    doc.members.add(name="In the family", household_id=home.id)
    doc.members.add(name="On their own")
    people = headcount(doc.households.all(), doc.members.all())
    assert people == 5
    doc.inventory.add(name="Water jugs", category="water", quantity=10, unit="gallon", days_per_unit=1)
    doc.inventory.add(name="Water barrel", category="water", quantity=1, unit="barrel", days_per_unit=55)
    doc.inventory.add(name="Old water", category="water", quantity=100, days_per_unit=1, expires=TODAY - timedelta(1))
    doc.inventory.add(name="Ration packs", category="food", quantity=20, days_per_unit=0.5)
    doc.inventory.add(name="Camp stove", category="cooking", quantity=3, days_per_unit=10)
    items = doc.inventory.all()
    assert days_on_hand(items, "water", people, today=TODAY) == 13.0
    assert days_on_hand(items, "food", people, today=TODAY) == 2.0
    assert days_on_hand(items, "water", 0, today=TODAY) is None


def test_water_and_food_in_common_units_count_without_being_told_their_person_days(group: OpenGroup) -> None:
    doc = _doc(group)
    doc.members.add(name="On their own")
    doc.members.add(name="Neighbor")
    doc.inventory.add(name="Water jugs", category="water", quantity=12, unit="gal")
    doc.inventory.add(name="Bottled water", category="water", quantity=7.57, unit="Liters")
    doc.inventory.add(name="Freeze-dried", category="food", quantity=12, unit="meals")
    doc.inventory.add(name="Mystery crates", category="food", quantity=9, unit="crate")  # nobody knows: 0
    doc.inventory.add(name="Barrel", category="water", quantity=1, unit="barrel", days_per_unit=55)  # as told
    items = doc.inventory.all()
    assert days_on_hand(items, "water", 2, today=TODAY) == pytest.approx((12 + 2 + 55) / 2)
    assert days_on_hand(items, "food", 2, today=TODAY) == pytest.approx(2.0)


def test_an_expired_certification_no_longer_counts_as_the_skill(group: OpenGroup) -> None:
    doc = _doc(group)
    ann = doc.members.add(name="Ann", skills="first aid: certified, cooking")
    bob = doc.members.add(name="Bob")
    doc.certifications.add(name="First aid card", member_id=ann.id, skill="First Aid", expires=TODAY - timedelta(1))
    doc.certifications.add(name="Ham licence", member_id=bob.id, skill="radio", expires=TODAY + timedelta(days=400))
    holders = skill_holders(doc.members.all(), doc.certifications.all(), today=TODAY)
    assert "first aid" not in holders
    assert holders["cooking"] == {ann.id}
    assert holders["radio"] == {bob.id}
    gaps = {
        g.skill: g
        for g in skill_gaps(
            doc.members.all(), doc.certifications.all(), today=TODAY, needed=["first aid", "radio", "cooking"]
        )
    }
    assert set(gaps) == {"first aid"}
    assert (gaps["first aid"].holders, gaps["first aid"].lapsed) == (0, 1)
    doc.certifications.add(name="Renewed", member_id=ann.id, skill="first aid", expires=TODAY + timedelta(days=700))
    holders = skill_holders(doc.members.all(), doc.certifications.all(), today=TODAY)
    assert holders["first aid"] == {ann.id}


def test_needed_skills_include_the_groups_courses(group: OpenGroup) -> None:
    doc = _doc(group)
    doc.courses.add(name="Rainwater harvesting", skill="Water Purification")
    assert "water purification" in needed_skills(doc.courses.all())
    assert "first aid" in needed_skills()


def test_certifications_expiring(group: OpenGroup) -> None:
    doc = _doc(group)
    ann = doc.members.add(name="Ann")
    lapsed = doc.certifications.add(name="CPR", member_id=ann.id, expires=TODAY - timedelta(days=3))
    soon = doc.certifications.add(name="First aid", member_id=ann.id, expires=TODAY + timedelta(days=20))
    doc.certifications.add(name="Ham", member_id=ann.id, expires=TODAY + timedelta(days=400))
    doc.certifications.add(name="Forever", member_id=ann.id)
    assert [c.id for c in certifications_expiring(doc.certifications.all(), today=TODAY)] == [lapsed.id, soon.id]


def test_open_loans_soonest_due_first(group: OpenGroup) -> None:
    doc = _doc(group)
    ann = doc.members.add(name="Ann")
    item = doc.inventory.add(name="Generator", quantity=1)
    late = doc.loans.add(item_id=item.id, member_id=ann.id, due_back=TODAY + timedelta(days=1))
    later = doc.loans.add(item_id=item.id, member_id=ann.id, due_back=TODAY + timedelta(days=9))
    doc.loans.add(item_id=item.id, member_id=ann.id, returned=True)
    assert [loan.id for loan in open_loans(doc.loans.all())] == [late.id, later.id]


def test_readiness_of_a_whole_group(group: OpenGroup) -> None:
    from magnet.sample import SIZES, populate

    populate(group.doc, SIZES["demo"], today=TODAY)
    ready = readiness(group.doc, now=NOW)
    assert ready.welfare.total == ready.households == 95
    assert ready.welfare.safe + ready.welfare.needs_help > 0
    assert ready.members == 240
    assert ready.people >= ready.households
    assert ready.water_days is not None and ready.water_days > 0
    assert all(e.starts is not None and e.starts >= NOW for e in ready.upcoming)
    assert all(any(i.quantity < i.minimum for i in lots) for lots in ready.low_stock)


# ---- the dashboard's memo: never older than what it read -----------------------------------------

EDITS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "item",
                "item_edit",
                "item_archive",
                "member",
                "member_move",
                "household",
                "cert",
                "course",
                "goal",
                "goal_done",
                "checkin",
                "next_day",
                "next_hour",
            ]
        ),
        st.integers(min_value=0, max_value=40),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=EDITS)
def test_a_memo_answers_exactly_what_a_fresh_reading_answers(edits: list[tuple[str, int]]) -> None:
    doc = GroupDocument.create("Memo MAG", device_id="ab" * 16, group_id="9f" * 16)
    home = doc.households.add(name="Lee household", people=2)
    doc.members.add(name="Ann Lee", household_id=home.id, skills="first aid: basic")
    memo = ReadinessMemo()
    now = NOW
    for what, n in edits:
        items, members, goals_now = doc.inventory.all(), doc.members.all(), doc.goals.all()
        if what == "item":
            doc.inventory.add(
                name=f"Water {n % 3}",
                category="water",
                unit="gal",
                quantity=n,
                minimum=n % 7,
                expires=TODAY + timedelta(days=n - 10),
            )
        elif what == "item_edit" and items:
            doc.inventory.update(items[n % len(items)].id, quantity=n % 5, minimum=n % 4, name=f"Water {n % 2}")
        elif what == "item_archive" and items:
            doc.inventory.archive(items[n % len(items)].id)
        elif what == "member":
            doc.members.add(name=f"Member {n}", household_id=home.id if n % 2 else "")
        elif what == "member_move" and members:
            doc.members.update(members[n % len(members)].id, household_id="" if n % 2 else home.id)
        elif what == "household":
            doc.households.update(home.id, people=n % 6)
        elif what == "cert" and members:
            doc.certifications.add(
                name="CPR card",
                member_id=members[n % len(members)].id,
                skill="cpr",
                expires=TODAY + timedelta(days=n - 20),
            )
        elif what == "course":
            doc.courses.add(name=f"Course {n}", skill=f"skill {n % 3}")
        elif what == "goal":
            doc.goals.add(name=f"Goal {n}", target_date=TODAY + timedelta(days=n - 20), status="active")
        elif what == "goal_done" and goals_now:
            doc.goals.update(goals_now[n % len(goals_now)].id, status="done")
        elif what == "checkin":
            doc.checkins.add(household_id=home.id, status="needs_help" if n % 2 else "safe", at=now)
        elif what == "next_day":
            now += timedelta(days=1 + n % 30)
        elif what == "next_hour":
            now += timedelta(hours=1)
        since = now - timedelta(hours=24)
        assert readiness(doc, now=now, checkin_since=since, memo=memo) == readiness(doc, now=now, checkin_since=since)


def test_a_memo_keeps_the_parts_whose_collections_did_not_change(group: OpenGroup) -> None:
    doc = _doc(group)
    doc.inventory.add(name="Water", category="water", unit="gal", quantity=1, minimum=5)
    memo = ReadinessMemo()
    first = readiness(doc, now=NOW, memo=memo)
    doc.goals.add(name="Every household has a go-bag", status="active")
    second = readiness(doc, now=NOW, memo=memo)
    assert second.low_stock is first.low_stock  # the supplies were not counted again
    assert second.live_goals == first.live_goals + 1
    doc.inventory.add(name="Rice", category="food", unit="meals", quantity=0, minimum=3)
    third = readiness(doc, now=NOW, memo=memo)
    assert [lots[0].name for lots in third.low_stock] == ["Rice", "Water"]


def test_a_memo_counts_again_when_the_day_turns(group: OpenGroup) -> None:
    doc = _doc(group)
    doc.households.add(name="Lee household", people=2)
    doc.inventory.add(name="Water", category="water", unit="gal", quantity=10, expires=TODAY + timedelta(days=1))
    member = doc.members.add(name="Ann Lee")
    doc.certifications.add(name="CPR card", member_id=member.id, skill="cpr", expires=TODAY + timedelta(days=1))
    doc.goals.add(name="Drill", target_date=TODAY + timedelta(days=1), status="active")
    memo = ReadinessMemo()
    assert readiness(doc, now=NOW, memo=memo) == readiness(doc, now=NOW)
    later = NOW + timedelta(days=2)  # the water, the card and the goal's date have all passed
    fresh = readiness(doc, now=later)
    assert fresh != readiness(doc, now=NOW)
    assert readiness(doc, now=later, memo=memo) == fresh
