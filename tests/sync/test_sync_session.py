"""Sessions in memory: every interleaving of messages and edits ends with identical documents."""

from __future__ import annotations

import os
from collections.abc import Sequence

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from memnet import Network

from magnet.document import GroupDocument
from sync.protocol import Ack, Changes, Hello, Lack, Snapshot, State, Sync
from sync.session import far_behind

# More examples on demand: MAGNET_EXAMPLES=2000 pytest tests/sync/test_sync_session.py
EXAMPLES = int(os.environ.get("MAGNET_EXAMPLES", "60"))
DEVICES = ["a1" * 16, "b2" * 16, "c3" * 16]


def genesis() -> GroupDocument:
    return GroupDocument.create("Maple St", device_id=DEVICES[0], group_id="g" * 32)


def replicas(count: int) -> list[GroupDocument]:
    first = genesis()
    return [first] + [
        GroupDocument.from_document(first.with_automerge(lambda d: d.fork()), device_id=DEVICES[i])
        for i in range(1, count)
    ]


def network(count: int) -> Network:
    net = Network()
    for name, doc in zip("abc", replicas(count), strict=False):
        net.add(name, doc)
    return net


def edit(doc: GroupDocument, n: int) -> None:
    members = doc.members.all()
    if members and n % 3:
        doc.members.update(members[n % len(members)].id, zone=f"Z{n % 7}", notes=f"edit {n}")
    else:
        doc.members.add(name=f"Neighbor {n}", zone=f"Z{n % 5}")


def kinds(messages: Sequence[object]) -> list[str]:
    return [type(m).__name__ for m in messages]


def assert_same(net: Network) -> None:
    docs = [p.doc for p in net.peers.values()]
    assert net.converged(), [sorted(h.hex()[:6] for h in d.heads()) for d in docs]
    exports = [d.export() for d in docs]
    assert all(e == exports[0] for e in exports[1:])


# ---- the decisions, one at a time -------------------------------------------------------------


def test_equal_heads_go_idle_after_the_hellos() -> None:
    net = network(2)
    link = net.connect("a", "b")
    net.settle()
    assert kinds(link.sent["a"]) == ["Hello"] and kinds(link.sent["b"]) == ["Hello"]
    assert net.peers["a"].sessions["b"].in_sync


def test_a_peer_behind_gets_just_the_changes_it_lacks() -> None:
    net = network(2)
    for n in range(5):
        edit(net.peers["a"].doc, n)
    link = net.connect("a", "b")
    net.settle()
    assert_same(net)
    assert kinds(link.sent["a"]) == ["Hello", "Changes"]
    assert kinds(link.sent["b"]) == ["Hello", "Lack", "Ack"]
    sent = link.sent["a"][1]
    assert isinstance(sent, Changes) and len(sent.changes) == 5


def test_a_far_behind_peer_gets_a_snapshot() -> None:
    net = network(2)
    for n in range(300):
        edit(net.peers["a"].doc, n)
    link = net.connect("a", "b")
    net.settle()
    assert_same(net)
    assert any(isinstance(m, Snapshot) for m in link.sent["a"])
    assert not any(isinstance(m, Changes | Sync) for m in link.sent["a"])


def test_diverged_peers_with_a_remembered_base_send_only_what_is_new() -> None:
    net = network(2)
    for n in range(100):
        edit(net.peers["a"].doc, n)
    net.connect("a", "b")
    net.settle()
    net.disconnect(net.link("a", "b"))
    edit(net.peers["a"].doc, 1000)
    edit(net.peers["b"].doc, 2000)
    link = net.connect("a", "b")
    net.settle()
    assert_same(net)
    for name in "ab":
        changes = [m for m in link.sent[name] if isinstance(m, Changes)]
        assert [len(m.changes) for m in changes] == [1]
        assert not any(isinstance(m, Sync | Snapshot) for m in link.sent[name])


def test_diverged_peers_without_a_base_run_the_automerge_sync_loop() -> None:
    net = network(2)
    for n in range(10):
        edit(net.peers["a"].doc, n)
        edit(net.peers["b"].doc, 100 + n)
    link = net.connect("a", "b")
    net.settle()
    assert_same(net)
    assert any(isinstance(m, Sync) for m in link.sent["a"] + link.sent["b"])


def test_a_far_behind_diverged_peer_gets_a_snapshot_and_answers_with_its_own() -> None:
    net = network(2)
    for n in range(400):
        edit(net.peers["a"].doc, n)
    edit(net.peers["b"].doc, 9999)
    link = net.connect("a", "b")
    net.settle()
    assert_same(net)
    assert kinds(link.sent["a"])[:2] == ["Hello", "Lack"] and "Snapshot" in kinds(link.sent["a"])
    answer = [m for m in link.sent["b"] if isinstance(m, Changes)]
    assert len(answer) == 1 and len(answer[0].changes) == 1
    assert not any(isinstance(m, Sync) for m in link.sent["a"] + link.sent["b"])


def test_reconnecting_with_nothing_new_costs_two_hellos() -> None:
    net = network(2)
    for n in range(50):
        edit(net.peers["a"].doc, n)
    net.connect("a", "b")
    net.settle()
    link = net.connect("a", "b")
    net.settle()
    assert kinds(link.sent["a"]) == ["Hello"] and kinds(link.sent["b"]) == ["Hello"]
    assert link.bytes["a"] < 200


def test_a_live_edit_is_one_changes_message_and_one_ack() -> None:
    net = network(2)
    link = net.connect("a", "b")
    net.settle()
    edit(net.peers["a"].doc, 1)
    net.settle()
    assert_same(net)
    assert kinds(link.sent["a"]) == ["Hello", "Changes"] and kinds(link.sent["b"]) == ["Hello", "Ack"]
    assert isinstance(link.sent["b"][-1], Ack)


def test_an_edit_relays_across_a_middle_peer() -> None:
    net = network(3)
    net.connect("a", "b")
    net.connect("b", "c")
    net.settle()
    edit(net.peers["a"].doc, 7)
    net.settle()
    assert_same(net)


def test_multi_hop_a_and_c_only_meet_b_at_different_times() -> None:
    net = network(3)
    edit(net.peers["a"].doc, 1)
    net.connect("a", "b")
    net.settle()
    net.disconnect(net.link("a", "b"))
    edit(net.peers["c"].doc, 2)
    net.connect("b", "c")
    net.settle()
    net.disconnect(net.link("b", "c"))
    assert net.peers["c"].doc.members.filter(name="Neighbor 1")
    net.connect("a", "b")
    net.settle()
    assert_same(net)


def test_a_lost_push_is_noticed_and_filled() -> None:
    net = network(2)
    link = net.connect("a", "b")
    net.settle()
    edit(net.peers["a"].doc, 1)
    link.queues["b"].clear()  # the push never arrives
    edit(net.peers["a"].doc, 2)
    net.settle()
    assert_same(net)
    assert any(isinstance(m, State) for m in link.sent["b"])


def test_a_silently_lost_last_push_is_repaired_by_the_keepalive() -> None:
    net = network(2)
    link = net.connect("a", "b")
    net.settle()
    edit(net.peers["a"].doc, 1)
    link.queues["b"].clear()
    net.settle()
    assert not net.converged()
    for _ in range(3):
        net.tick(net.timing.keepalive)
        net.settle()
    assert_same(net)


def test_far_behind_prefers_a_snapshot_only_when_it_is_smaller() -> None:
    assert far_behind(0, 10)
    assert not far_behind(990, 1000)
    assert far_behind(100, 20_000)
    assert not far_behind(19_000, 20_000)


def test_a_hello_first_is_required() -> None:
    net = network(2)
    link = net.connect("a", "b")
    link.queues["b"].clear()
    from sync.protocol import encode

    link.queues["b"].append(encode(Lack((), 0)))
    net.deliver(link, "b")
    assert link.closed
    assert kinds(link.sent["b"])[-1] == "Close"
    assert isinstance(link.sent["a"][0], Hello)


# ---- every interleaving ----------------------------------------------------------------------

ACTIONS = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, 2), st.integers(0, 10_000)),
    st.tuples(st.just("deliver"), st.integers(0, 5), st.integers(0, 1)),
    st.tuples(st.just("reconnect"), st.integers(0, 5), st.just(0)),
    st.tuples(st.just("tick"), st.integers(1, 4), st.just(0)),
)


def run(net: Network, pairs: list[tuple[str, str]], actions: list[tuple[str, int, int]]) -> None:
    names = sorted(net.peers)
    for a, b in pairs:
        net.connect(a, b)
    for action, x, y in actions:
        if action == "edit":
            edit(net.peers[names[x % len(names)]].doc, y)
        elif action == "deliver":
            a, b = pairs[x % len(pairs)]
            net.deliver(net.link(a, b), (a, b)[y])
        elif action == "reconnect":
            net.connect(*pairs[x % len(pairs)])
        else:
            net.tick(float(x))
    # The node reconnects dropped links; then everything is delivered.
    for a, b in pairs:
        if net.link(a, b).closed:
            net.connect(a, b)
    net.settle()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 10_000)), max_size=8),
    actions=st.lists(ACTIONS, max_size=40),
)
# The last steps of a sync round carried a's heads only inside Automerge's own messages: b showed
# a as behind until the next ping.
@example(
    before=[(0, 0), (1, 0)],
    actions=[
        ("deliver", 0, 0),
        ("deliver", 0, 1),
        ("deliver", 0, 0),
        ("deliver", 0, 1),
        ("deliver", 0, 0),
        ("edit", 0, 0),
    ],
)
def test_two_peers_always_converge(before: list[tuple[int, int]], actions: list[tuple[str, int, int]]) -> None:
    net = network(2)
    for who, n in before:
        edit(net.peers["ab"[who]].doc, n)
    run(net, [("a", "b")], actions)
    assert_same(net)
    assert all(s.in_sync for p in net.peers.values() for s in p.sessions.values())


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    triangle=st.booleans(),
    before=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10_000)), max_size=8),
    actions=st.lists(ACTIONS, max_size=50),
)
def test_three_peers_always_converge(
    triangle: bool, before: list[tuple[int, int]], actions: list[tuple[str, int, int]]
) -> None:
    net = network(3)
    for who, n in before:
        edit(net.peers["abc"[who]].doc, n)
    pairs = [("a", "b"), ("b", "c")] + ([("a", "c")] if triangle else [])
    run(net, pairs, actions)
    assert_same(net)
    assert all(s.in_sync for p in net.peers.values() for s in p.sessions.values())


# ---- damaged data from a peer ------------------------------------------------------------------


def _mutated(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    out = bytearray(data)
    for op, where, value in edits:
        at = where % max(1, len(out))
        if op == 0 and out:
            out[at] = value
        elif op == 1:
            out.insert(at, value)
        elif out:
            del out[at]
    return bytes(out)


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(
    kind=st.sampled_from(["sync", "changes", "snapshot"]),
    edits=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_damaged_automerge_data_is_refused_or_ignored_never_raised(
    kind: str, edits: list[tuple[int, int, int]]
) -> None:
    from automerge.core import SyncState

    from sync.protocol import encode
    from sync.session import Session

    source = genesis()
    for n in range(5):
        edit(source, n)
    doc = source.fork()
    heads = doc.heads()
    session = Session(doc, device_id=DEVICES[1], now=0)
    session.start(0)
    session.receive(encode(Hello(DEVICES[0], source.group_id, (), 0)), 0)
    message: Sync | Changes | Snapshot
    if kind == "sync":
        message = Sync(_mutated(source.generate_sync_message(SyncState()) or b"", edits))
    elif kind == "changes":
        message = Changes((_mutated(source.changes_since([])[-1], edits) or b"x",), tuple(source.heads()))
    else:
        message = Snapshot(_mutated(source.save(), edits) or b"x", tuple(source.heads()))
    session.receive(encode(message), 0)  # must not raise
    assert sorted(doc.heads()) == sorted(heads)
