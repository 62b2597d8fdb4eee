"""The call tree: every consenting member reached exactly once, by a neighbor where possible."""

from __future__ import annotations

import os
from collections import Counter
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from magnet.calltree import FANOUT, in_call_tree, plan_call_tree, regenerate, tree_lines
from magnet.document import GroupDocument
from magnet.records import Member

DEVICE = "34" * 16


def new_doc() -> GroupDocument:
    return GroupDocument.create("Maple Street MAG", device_id=DEVICE, group_id=os.urandom(16).hex())


def member(n: int, **values: object) -> Member:
    return Member(id=f"{n:016x}", name=f"Member {n:03d}", **values)  # type: ignore[arg-type]


roster_entries = st.lists(
    st.fixed_dictionaries(
        {
            "consent_share": st.booleans(),
            "archived": st.booleans(),
            "status": st.sampled_from(["active", "active", "away", "inactive", "left"]),
            "level": st.sampled_from(["core_team", "active_member", "volunteer", "advisory", "street rep"]),
            "zone": st.sampled_from(["", "A", "B", "C", "d"]),
        }
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(roster_entries, st.integers(min_value=1, max_value=6))
def test_every_consenting_member_is_covered_exactly_once(entries: list[dict[str, object]], fanout: int) -> None:
    members = [member(n, **entry) for n, entry in enumerate(entries)]
    plan = plan_call_tree(members, fanout=fanout)
    eligible = {m.id for m in members if in_call_tree(m)}
    callees = [link.member_id for link in plan.links]
    assert len(callees) == len(set(callees))  # nobody called twice
    reached = set(callees) | ({plan.root_id} if plan.root_id else set())
    assert reached == eligible  # everyone who consented; nobody who did not, left or is archived
    assert all(link.caller_id in eligible for link in plan.links)
    assert max(Counter(link.caller_id for link in plan.links).values(), default=0) <= fanout
    lines = tree_lines(members, plan.links)  # a tree: every callee is reachable from the top
    assert {line.member.id for line in lines} == (reached if callees else set())
    assert all(link.confirms_to == link.caller_id for link in plan.links)


def test_core_team_at_the_top_and_callers_from_the_same_zone() -> None:
    members = [member(0, consent_share=True, level="core_team", zone="A", joined=date(2020, 1, 1))]
    members.append(member(1, consent_share=True, level="core_team", zone="B"))
    members += [member(n, consent_share=True, zone="A") for n in range(2, 14)]
    members += [member(n, consent_share=True, zone="B") for n in range(14, 26)]
    members.append(member(26, consent_share=False, zone="B"))
    plan = plan_call_tree(members)
    assert plan.root_id == members[0].id  # the longest-serving core team member starts
    by_id = {m.id: m for m in members}
    callers = {link.member_id: link.caller_id for link in plan.links}
    assert callers[members[1].id] == members[0].id  # the rest of the core team right below
    zoned = [link for link in plan.links if by_id[link.caller_id].zone == by_id[link.member_id].zone]
    assert len(zoned) >= len(plan.links) - 2  # only zone leads may be called from another zone
    assert [m.id for m in plan.left_out] == [members[26].id]


def test_regenerating_keeps_hand_set_links_and_touches_only_what_changed() -> None:
    doc = new_doc()
    ids = [
        doc.members.add(
            name=f"M{n:02d}", consent_share=True, zone="AB"[n % 2], level="core_team" if n < 2 else "active_member"
        ).id
        for n in range(20)
    ]
    first = regenerate(doc)
    assert first.added == 19 and first.changed == 0
    assert len(doc.call_tree.all()) == 19
    again = regenerate(doc)
    assert (again.added, again.changed, again.archived) == (0, 0, 0)

    # Someone sets by hand that M19 is called by M02, then the roster changes.
    link = next(lk for lk in doc.call_tree.all() if lk.member_id == ids[19])
    doc.call_tree.update(link.id, caller_id=ids[2], manual=True)
    doc.members.update(ids[5], consent_share=False)
    newcomer = doc.members.add(name="New", consent_share=True, zone="A").id
    result = regenerate(doc)
    links = {lk.member_id: lk for lk in doc.call_tree.all()}
    assert links[ids[19]].caller_id == ids[2] and links[ids[19]].manual  # survived
    assert ids[5] not in links and newcomer in links  # withdrew consent: out; newcomer: in
    assert result.archived == 1 and result.added == 1
    assert Counter(lk.member_id for lk in doc.call_tree.all()).most_common(1)[0][1] == 1


def test_two_devices_regenerating_at_once_merge_to_one_link_each() -> None:
    doc = new_doc()
    for n in range(8):
        doc.members.add(name=f"M{n}", consent_share=True)
    other = doc.fork()
    regenerate(doc)
    regenerate(other)
    doc.merge(other)
    assert len(doc.call_tree.all()) == 14  # both sets of links after the merge
    lines = tree_lines(doc.members.all(), doc.call_tree.all())
    assert len(lines) == 8 and len({line.member.id for line in lines}) == 8  # still shown once each
    regenerate(doc)
    assert len(doc.call_tree.all()) == 7  # the duplicates are archived


def test_a_loop_of_hand_set_links_is_ignored_not_followed_forever() -> None:
    doc = new_doc()
    a, b, c = (doc.members.add(name=n, consent_share=True).id for n in "ABC")
    doc.call_tree.add(caller_id=b, member_id=c, manual=True)
    doc.call_tree.add(caller_id=c, member_id=b, manual=True)
    plan = plan_call_tree(doc.members.all(), doc.call_tree.all())
    assert len(plan.ignored_manual) == 1
    assert {link.member_id for link in plan.links} | {plan.root_id} == {a, b, c}
    assert FANOUT == 5
