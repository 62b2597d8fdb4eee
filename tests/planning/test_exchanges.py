"""Requests and offers: matching by category and words, and moving pairs from open to done together."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from planning_docs import new_doc, other_device

from magnet import exchanges
from magnet.errors import MagnetError

AT = datetime(2026, 5, 1, 10, 0)


def test_offers_that_fit_a_request_come_best_first_and_never_ones_own() -> None:
    doc = new_doc()
    ann, bob, cy = (doc.members.add(name=n) for n in ("Ann", "Bob", "Cy"))
    ride = doc.exchanges.add(name="Rides to the clinic on Tuesdays", kind="request", member_id=ann.id, posted_at=AT)
    drive = doc.exchanges.add(name="Can drive weekday mornings", kind="offer", member_id=bob.id, posted_at=AT)
    clinic_van = doc.exchanges.add(
        name="Clinic rides in my van", kind="offer", member_id=cy.id, category="transport", posted_at=AT
    )
    doc.exchanges.add(name="Spare camp stove", kind="offer", member_id=cy.id, category="cooking")
    doc.exchanges.add(name="Ride to the store", kind="offer", member_id=ann.id)
    taken = doc.exchanges.add(name="Drive to the clinic", kind="offer", member_id=bob.id, state="matched")
    found = exchanges.candidates(ride, doc.exchanges.all())
    assert [(c.offer.id, c.score) for c in found] == [(clinic_van.id, 5), (drive.id, 3)]
    assert taken.id not in [c.offer.id for c in found]
    assert exchanges.suggestions(doc.exchanges.all()) == [(ride, found[0])]


def test_a_match_links_both_sides_and_they_move_to_done_together() -> None:
    doc = new_doc()
    ride = doc.exchanges.add(name="Ride to the clinic", kind="request")
    drive = doc.exchanges.add(name="Can drive", kind="offer")
    first, second = exchanges.match(doc, ride.id, drive.id)
    assert (first.state, first.match_id, second.state, second.match_id) == ("matched", drive.id, "matched", ride.id)
    exchanges.move(doc, ride.id, "in_progress", at=AT)
    assert doc.exchanges.get(drive.id).state == "in_progress"
    changed = exchanges.move(doc, drive.id, "done", at=AT)
    assert {e.id for e in changed} == {ride.id, drive.id}
    assert all(e.state == "done" and e.done_at == AT for e in doc.exchanges.all())
    with pytest.raises(MagnetError, match="cannot go from done to open"):
        exchanges.move(doc, ride.id, "open", at=AT)


def test_cancelling_one_side_puts_the_other_back_up_for_someone_else() -> None:
    doc = new_doc()
    ride = doc.exchanges.add(name="Ride to the clinic", kind="request")
    drive = doc.exchanges.add(name="Can drive", kind="offer")
    exchanges.match(doc, ride.id, drive.id)
    exchanges.move(doc, ride.id, "cancelled", at=AT)
    assert (doc.exchanges.get(ride.id).state, doc.exchanges.get(ride.id).match_id) == ("cancelled", "")
    assert (doc.exchanges.get(drive.id).state, doc.exchanges.get(drive.id).match_id) == ("open", "")


def test_matches_that_do_not_fit_are_refused() -> None:
    doc = new_doc()
    one = doc.exchanges.add(name="Ride", kind="request")
    two = doc.exchanges.add(name="Meal", kind="request")
    offer = doc.exchanges.add(name="Can drive", kind="offer", state="done")
    with pytest.raises(MagnetError, match="pairs a request with an offer"):
        exchanges.match(doc, one.id, two.id)
    with pytest.raises(MagnetError, match="done, not open"):
        exchanges.match(doc, one.id, offer.id)
    with pytest.raises(MagnetError, match="use match"):
        exchanges.move(doc, one.id, "matched", at=AT)
    assert doc.exchanges.get(one.id).state == "open"


def test_one_offer_matched_on_two_devices_at_once_is_found_broken() -> None:
    doc = new_doc()
    ride = doc.exchanges.add(name="Ride to the clinic", kind="request")
    lift = doc.exchanges.add(name="Lift to the pharmacy", kind="request")
    drive = doc.exchanges.add(name="Can drive", kind="offer")
    laptop = other_device(doc)
    exchanges.match(doc, ride.id, drive.id)
    exchanges.match(laptop, lift.id, drive.id)
    doc.merge(laptop)
    winner = doc.exchanges.get(drive.id).match_id
    loser = lift.id if winner == ride.id else ride.id
    assert [e.id for e in exchanges.broken(doc.exchanges.all())] == [loser]
    assert exchanges.partner_of(doc, doc.exchanges.get(loser)) is None
    exchanges.move(doc, loser, "open", at=AT)
    assert exchanges.broken(doc.exchanges.all()) == []
    assert doc.exchanges.get(drive.id).match_id == winner, "reopening the loser leaves the real pair alone"


steps = st.lists(
    st.one_of(
        st.tuples(st.just("match"), st.integers(0, 3), st.integers(0, 3)),
        st.tuples(st.just("move"), st.integers(0, 3), st.sampled_from(["open", "in_progress", "done", "cancelled"])),
    ),
    max_size=14,
)


@settings(max_examples=40, deadline=None)
@given(steps)
def test_pairs_always_point_at_each_other_and_share_their_state(plan: list[tuple[str, int, object]]) -> None:
    doc = new_doc()
    items = [doc.exchanges.add(name=f"Thing {n}", kind="request" if n < 2 else "offer") for n in range(4)]
    for action, index, arg in plan:
        try:
            if action == "match":
                assert isinstance(arg, int)
                exchanges.match(doc, items[index].id, items[arg].id)
            else:
                exchanges.move(doc, items[index].id, str(arg), at=AT)
        except MagnetError:
            pass
    by_id = {e.id: e for e in doc.exchanges.all()}
    for item in by_id.values():
        if item.state in ("matched", "in_progress"):
            other = by_id[item.match_id]
            assert other.match_id == item.id and other.state == item.state and other.kind != item.kind
        if item.state in ("open", "cancelled"):
            assert item.match_id == ""
    assert exchanges.broken(by_id.values()) == []
