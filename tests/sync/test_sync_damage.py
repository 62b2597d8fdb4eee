"""A damaged store heals from a peer over the network, without joining again.

Bob's copy loses one of his own changes to a damaged disk; the changes he made after it wait in
his store. When his node next syncs with Ann's, who has the lost change, all of them apply, and
his next open no longer warns.
"""

from __future__ import annotations

from syncnodes import (
    Lab,
    address,
    lab_fixture,  # noqa: F401 - provides the `lab` fixture
    same,
    until,
)

from magnet.datadir import DAMAGE_NOTE
from magnet.home import Home
from magnet.store import read_header, scan_chunks


async def test_changes_waiting_for_a_lost_one_apply_when_a_peer_node_supplies_it(lab: Lab) -> None:
    ann = lab.found()
    bob = lab.member(ann, "Bob")
    a = await lab.node(ann)
    b = await lab.node(bob, peers=[address(a)])
    await until(lambda: same(ann, bob), what="the first sync")
    chunks_before = len(scan_chunks(bob.store.path.read_bytes(), read_header(bob.store.path).size).chunks)
    made = [bob.doc.members.add(name=f"Neighbor {i}").id for i in range(4)]
    await until(lambda: all(ann.doc.members.find(m) is not None for m in made), what="Bob's edits on Ann's device")
    await lab.stop(b)
    lab.groups.remove(bob)
    bob.close()

    path = bob.store.path
    data = bytearray(path.read_bytes())
    chunks = scan_chunks(bytes(data), read_header(path).size).chunks
    lost = chunks[chunks_before]  # Bob's first new member
    data[(lost.offset + lost.end) // 2] ^= 0x10
    path.write_bytes(bytes(data))

    home = Home(bob.home.root)
    damaged = home.open_group()
    assert {m.id for m in damaged.doc.members.all()} & set(made) == set()
    assert damaged.report.waiting == 3 and damaged.report.damaged_copy is not None
    damaged.close()
    again = home.open_group()  # still said on the next open
    assert any("still wait for one lost then" in p for p in again.report.problems), again.report.problems
    lab.groups.append(again)
    healing = await lab.node(again, peers=[address(a)])
    await until(lambda: all(again.doc.members.find(m) is not None for m in made), what="the lost change from Ann")
    await lab.stop(healing)
    lab.groups.remove(again)
    again.close()
    whole = home.open_group()
    assert whole.report.problems == [] and not (path.parent / DAMAGE_NOTE).exists()
    assert all(whole.doc.members.find(m) is not None for m in made)
    whole.close()
