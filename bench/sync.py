"""Sync benchmark on the sample "year" group, beside raw Automerge's plain sync protocol in the same run.

    .venv/bin/python bench/sync.py [--edits N] [--nodes N]

Bytes are exact message bytes from sessions run in memory, plus each channel's framing; times
are real nodes over TCP on 127.0.0.1, with the secure channel (the product) and without it.
Targets (issue 3): an empty peer's first sync within 1.2x save(); a reconnect with nothing new
under 2 KB; one edit within 1.5x the raw change plus a fixed frame overhead. Issue 4: encryption
costs under 10% on the first sync. The group is built once per run in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # ahead of bench/, so `sync` is the package and not this file

from automerge.core import Document, SyncState  # noqa: E402

from magnet.document import DocChange, GroupDocument  # noqa: E402
from magnet.groupkey import KeyRing  # noqa: E402
from magnet.home import Home, OpenGroup  # noqa: E402
from magnet.sample import SIZES, populate  # noqa: E402
from sync.events import NodeConfig  # noqa: E402
from sync.frames import MAX_FRAGMENT, TAG_LEN, U16  # noqa: E402
from sync.membership import OpenDoor  # noqa: E402
from sync.node import Node  # noqa: E402
from sync.protocol import Ack, encode  # noqa: E402
from sync.secure import GroupSecurity  # noqa: E402
from sync.session import Send, Session, Timing  # noqa: E402
from sync.transport import PlainLink, open_stream  # noqa: E402

PLAIN_FRAME = 4  # the plain link's length prefix


def secure_frame(size: int) -> int:
    """Bytes the secure channel adds to a message of `size` bytes."""
    return max(1, -(-size // MAX_FRAGMENT)) * (U16.size + 1 + TAG_LEN)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def kb(size: float) -> str:
    return f"{size / 1024:.1f} KB" if size >= 1024 else f"{size:.0f} B"


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


# ---- the group, built once ------------------------------------------------------------------


@dataclass
class Lab:
    root: Path
    genesis: bytes  # the group's first changes and every device: what a brand-new device holds
    year: bytes  # a year of use on top
    ring: KeyRing
    homes: list[Home]
    used: int = 0

    def device(self, saved: bytes) -> OpenGroup:
        """A fresh data dir for the next enrolled device, holding `saved`."""
        home = self.homes[self.used]
        self.used += 1
        group = home.adopt_group(saved)
        self.ring.save(group.path)
        return group


def build(root: Path, devices: int) -> Lab:
    homes = [Home(root / f"device-{n}") for n in range(devices)]
    doc = GroupDocument.create("Year Street MAG", device_id=homes[0].device.device_id, group_id="ab" * 16)
    for n, home in enumerate(homes):
        doc.devices.add(
            name=f"device {n}",
            device_id=home.device.device_id,
            public_key=home.device.public_key.hex(),
            added_at=datetime.now(),
        )
    genesis = doc.save()
    populate(doc, SIZES["year"])
    return Lab(root, genesis, doc.save(), KeyRing.found(), homes)


# ---- bytes: sessions in memory next to raw Automerge ----------------------------------------


@dataclass
class Exchange:
    sent: dict[str, list[int]]  # message sizes each side sent

    def total(self, frame: Callable[[int], int] = lambda _n: 0) -> int:
        return sum(n + frame(n) for sizes in self.sent.values() for n in sizes)

    @property
    def messages(self) -> int:
        return sum(len(s) for s in self.sent.values())


def run_sessions(a: GroupDocument, b: GroupDocument, *, base: tuple[bytes, ...] = ()) -> tuple[Exchange, Session]:
    """Two sessions, delivering every message until both are quiet."""
    now = 1.0
    sessions = {
        "a": Session(a, device_id="aa" * 16, now=now, base=base, timing=Timing()),
        "b": Session(b, device_id="bb" * 16, now=now, base=base, timing=Timing()),
    }
    queues: dict[str, list[bytes]] = {"a": [], "b": []}
    sent: dict[str, list[int]] = {"a": [], "b": []}

    def handle(me: str, effects: list[object]) -> None:
        other = "b" if me == "a" else "a"
        for effect in effects:
            if isinstance(effect, Send):
                data = encode(effect.message)
                sent[me].append(len(data))
                queues[other].append(data)

    for me, session in sessions.items():
        handle(me, list(session.start(now)))
    while queues["a"] or queues["b"]:
        for me in ("a", "b"):
            if queues[me]:
                handle(me, list(sessions[me].receive(queues[me].pop(0), now)))
    return Exchange(sent), sessions["a"]


def plain_sync(a: Document, b: Document, sa: SyncState, sb: SyncState) -> tuple[int, int]:
    """Automerge's own sync protocol until both sides are quiet: (bytes, messages)."""
    total = messages = 0
    while True:
        quiet = True
        for left, right, left_state, right_state in ((a, b, sa, sb), (b, a, sb, sa)):
            message = left.generate_sync_message(left_state)
            if message is not None:
                data = message.encode()
                total += len(data)
                messages += 1
                right.receive_sync_message(right_state, type(message).decode(data))
                quiet = False
        if quiet:
            return total, messages


def edit(doc: GroupDocument, n: int) -> None:
    member = doc.members.all()[n % 50]
    doc.members.update(member.id, notes=f"checked in, round {n}")


def bytes_section(lab: Lab) -> None:
    print("\n== bytes on the wire (exact; the year group) ==")
    year = GroupDocument.load(lab.year, device_id="aa" * 16)
    saved = len(year.save())
    print(f"save() {kb(saved)}; {year.change_count():,} changes, {kb(sum(map(len, year.changes_since([]))))} raw")

    fresh = GroupDocument.load(lab.genesis, device_id="bb" * 16)
    first, _ = run_sessions(GroupDocument.load(lab.year, device_id="aa" * 16), fresh)
    raw_new = plain_sync(year.with_automerge(lambda d: d.fork()), Document.load(lab.genesis), SyncState(), SyncState())
    raw_empty = plain_sync(year.with_automerge(lambda d: d.fork()), Document(), SyncState(), SyncState())
    ours = first.total(secure_frame)
    print(
        f"new peer, first sync:  magnet {kb(ours)} in {first.messages} messages ({ours / saved:.2f}x save(); "
        f"target <= 1.2x)  |  plain sync {kb(raw_new[0])} ({raw_new[0] / saved:.1f}x), "
        f"from an empty document {kb(raw_empty[0])}"
    )

    twin = GroupDocument.load(lab.year, device_id="bb" * 16)
    again, _ = run_sessions(GroupDocument.load(lab.year, device_id="aa" * 16), twin)
    raw_again = plain_sync(
        year.with_automerge(lambda d: d.fork()), twin.with_automerge(lambda d: d.fork()), SyncState(), SyncState()
    )
    print(
        f"reconnect, nothing new: magnet {kb(again.total(secure_frame))} in {again.messages} messages "
        f"(target < 2 KB)  |  plain sync with a fresh SyncState {kb(raw_again[0])}"
    )

    left = GroupDocument.load(lab.year, device_id="aa" * 16)
    right = GroupDocument.load(lab.year, device_id="bb" * 16)
    base = tuple(sorted(left.heads()))
    edit(left, 1)
    edit(right, 2)
    diverged, _ = run_sessions(left, right, base=base)
    raw_diverged = plain_sync(
        left.with_automerge(lambda d: d.fork()), right.with_automerge(lambda d: d.fork()), SyncState(), SyncState()
    )
    print(
        f"reconnect, one edit on each side: magnet {kb(diverged.total(secure_frame))} "
        f"(remembered last-synced heads)  |  plain sync with a fresh SyncState {kb(raw_diverged[0])}"
    )

    a = GroupDocument.load(lab.year, device_id="aa" * 16)
    b = GroupDocument.load(lab.year, device_id="bb" * 16)
    _, session_a = run_sessions(a, b)
    before = a.heads()
    edit(a, 3)
    change = a.changes_since(before)
    assert len(change) == 1
    push = [m for m in session_a.push(change, a.heads(), 2.0) if isinstance(m, Send)]
    push_bytes = sum(len(encode(m.message)) for m in push)
    b.apply_changes(change)
    ack = len(encode(Ack(tuple(b.heads()))))
    am_a, am_b = year.with_automerge(lambda d: d.fork()), year.with_automerge(lambda d: d.fork())
    sa, sb = SyncState(), SyncState()
    plain_sync(am_a, am_b, sa, sb)
    live = GroupDocument.from_document(am_a, device_id="cc" * 16)
    edit(live, 4)
    raw_edit = plain_sync(am_a, am_b, sa, sb)
    raw_change = len(change[0])
    framed = push_bytes + secure_frame(push_bytes)
    print(
        f"one edit:              magnet push {kb(framed)} on the wire ({kb(push_bytes)} message + "
        f"{secure_frame(push_bytes)} B frame; {push_bytes / raw_change:.2f}x the raw change of {raw_change} B; "
        f"target <= 1.5x + frame), ack back {kb(ack + secure_frame(ack))}  |  plain sync with a live SyncState "
        f"{kb(raw_edit[0])} in {raw_edit[1]} messages"
    )


# ---- times: real nodes over TCP -------------------------------------------------------------


def config(**changes: object) -> NodeConfig:
    made = NodeConfig(port=0, interfaces=["127.0.0.1"], discovery=False, poll_interval=0.3)
    for key, value in changes.items():
        setattr(made, key, value)
    return made


async def start(group: OpenGroup, *, secure: bool, **changes: object) -> Node:
    if secure:
        security = GroupSecurity(group, group.home.device)
        link, membership = security, security
    else:
        link, membership = PlainLink(), OpenDoor()  # type: ignore[assignment]
    node = Node(group, config(**changes), link=link, membership=membership, device_id=group.home.device.device_id)
    await node.start()
    return node


async def until(condition: Callable[[], bool], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the nodes never got there")
        await asyncio.sleep(0.001)


def same(*groups: OpenGroup) -> bool:
    first = sorted(groups[0].doc.heads())
    return all(sorted(g.doc.heads()) == first for g in groups[1:])


async def first_sync(lab: Lab, server: OpenGroup, *, secure: bool) -> tuple[float, int]:
    node = await start(server, secure=secure)
    newcomer = lab.device(lab.genesis)
    started = time.perf_counter()
    other = await start(newcomer, secure=secure, peers=[f"127.0.0.1:{node.port}"])
    await until(lambda: same(server, newcomer))
    took = time.perf_counter() - started
    conn = next(iter(other.connections))
    moved = conn.sent + conn.received
    await other.stop()
    await node.stop()
    newcomer.close()
    return took, moved


async def edit_latency(a: OpenGroup, b: OpenGroup, edits: int, *, secure: bool) -> list[float]:
    node_a = await start(a, secure=secure)
    node_b = await start(b, secure=secure, peers=[f"127.0.0.1:{node_a.port}"])
    await until(lambda: bool(node_b.sessions) and same(a, b))
    arrived: list[float] = []

    def heard(change: DocChange) -> None:
        arrived.append(time.perf_counter())

    stop_listening = b.doc.add_listener(heard)
    latencies = []
    for n in range(edits):
        count = len(arrived)
        started = time.perf_counter()
        edit(a.doc, n)
        await until(lambda count=count: len(arrived) > count, within=10)  # type: ignore[misc]
        latencies.append(arrived[count] - started)
    stop_listening()
    await node_b.stop()
    await node_a.stop()
    return latencies


async def handshakes(a: OpenGroup, b: OpenGroup, rounds: int = 100) -> list[float]:
    """Connect and complete the product's handshake, on a listener without the node's rate limit."""
    answering, dialing = GroupSecurity(a, a.home.device), GroupSecurity(b, b.home.device)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        channel = await answering.answer(reader, writer)
        channel.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        reader, writer = await open_stream("127.0.0.1", port)
        channel = await dialing.dial(reader, writer, epoch=None)
        times.append(time.perf_counter() - started)
        channel.close()
        await channel.wait_closed()
    server.close()
    await server.wait_closed()
    return times


async def burst(lab: Lab, count: int, edits: int) -> tuple[float, float]:
    groups = [lab.device(lab.year) for _ in range(count)]
    nodes: list[Node] = []
    for group in groups:
        peers = [f"127.0.0.1:{n.port}" for n in nodes]  # each dials those before it: a full mesh
        nodes.append(await start(group, secure=True, peers=peers))
    started = time.perf_counter()
    await until(lambda: all(len(n.sessions) == count - 1 for n in nodes))
    meshed = time.perf_counter() - started
    started = time.perf_counter()
    for n in range(edits):
        for group in groups:
            edit(group.doc, n)
    await until(lambda: same(*groups), within=120)
    converged = time.perf_counter() - started
    for node in nodes:
        await node.stop()
    for group in groups:
        group.close()
    return meshed, converged


async def discovery(lab: Lab) -> tuple[float, float]:
    a, b = lab.device(lab.genesis), lab.device(lab.genesis)
    first = await start(a, secure=True, discovery=True)
    await until(lambda: first.advertising, within=30)  # its own registration is not what we time
    found: list[float] = []
    started = time.perf_counter()
    node = Node(
        b,
        config(discovery=True),
        link=GroupSecurity(b, b.home.device),
        membership=GroupSecurity(b, b.home.device),
        device_id=b.home.device.device_id,
        on_event=lambda e: found.append(time.perf_counter()) if e.kind == "found" else None,
    )
    await node.start()
    await until(lambda: bool(node.sessions), within=30)
    connected = time.perf_counter() - started
    seen = (found[0] - started) if found else float("nan")
    await node.stop()
    await first.stop()
    a.close()
    b.close()
    return seen, connected


def seal_and_open(size: int, rounds: int = 20) -> float:
    """Median time to encrypt and decrypt one message of `size` bytes on the secure channel."""
    from magnet.device import DeviceIdentity
    from sync.frames import Hello, HelloKind
    from sync.handshake import Admission, Handshake
    from sync.protocol import DEFAULT_MAX_MESSAGE

    psk = os.urandom(32)
    dialer = Handshake.initiator(DeviceIdentity.generate(), Hello(HelloKind.MEMBER), psk, lambda _k: True)
    answer = Handshake.responder(
        DeviceIdentity.generate(),
        lambda _h: Admission(psk=psk, authorize=lambda _k: True),
        max_message=DEFAULT_MAX_MESSAGE,
    )
    waiting = dialer.start()
    sides = [answer, dialer]
    turn = 0
    while waiting:
        replies = [out for frame in waiting for out in sides[turn].receive(frame)]
        waiting, turn = replies, 1 - turn
    message = os.urandom(size)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for frame in dialer.session.seal(message):
            answer.session.open(frame)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def times_section(lab: Lab, edits: int, count: int) -> None:
    print("\n== time over TCP on 127.0.0.1 (secure channel = the product; plain = no encryption) ==")
    server = lab.device(lab.year)
    results: dict[bool, list[tuple[float, int]]] = {True: [], False: []}
    for secure in (False, True) * 3:
        results[secure].append(await first_sync(lab, server, secure=secure))
    plain_t = statistics.median(t for t, _ in results[False])
    secure_t = statistics.median(t for t, _ in results[True])
    snapshot_size = results[True][0][1]
    sealing = seal_and_open(snapshot_size)
    print(
        f"new peer, first sync:  {ms(secure_t)} encrypted vs {ms(plain_t)} plain, median of 3 each "
        f"({100 * (secure_t - plain_t) / plain_t:+.0f}%, within run-to-run noise; target < 10%); "
        f"{kb(snapshot_size)} of messages"
    )
    print(
        f"  the encryption itself: {ms(sealing)} to seal and open those {kb(snapshot_size)} "
        f"({100 * sealing / secure_t:.2f}% of the first sync); one edit's push: {seal_and_open(273) * 1e6:.0f} µs"
    )
    a, b = lab.device(lab.year), lab.device(lab.year)
    for secure in (True, False):
        latencies = await edit_latency(a, b, edits, secure=secure)
        label = "encrypted" if secure else "plain    "
        print(
            f"edit to visible, {label}: median {ms(statistics.median(latencies))}, p99 {ms(p99(latencies))} "
            f"({edits} edits, each journaled on both sides)"
        )
    times = await handshakes(a, b)
    print(
        f"handshake (TCP connect + Noise XXpsk3 + admission): median {ms(statistics.median(times))}, p99 {ms(p99(times))}"
    )
    a.close()
    b.close()
    server.close()
    meshed, converged = await burst(lab, count, 10)
    print(
        f"{count} nodes on one machine: meshed in {ms(meshed)}; after a burst of 10 concurrent edits on each, "
        f"identical everywhere in {ms(converged)}"
    )
    seen, connected = await discovery(lab)
    print(
        f"discovery on 127.0.0.1: peer seen by mDNS after {ms(seen)}, connected after {ms(connected)} (from node start)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=200, help="edits for the latency figure")
    parser.add_argument("--nodes", type=int, default=10, help="nodes for the burst figure")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="magnet-bench-sync-"))
    os.environ.setdefault("MAGNET_INTERFACES", "127.0.0.1")
    logging.getLogger("magnet").setLevel(logging.ERROR)  # dialing stopped peers is expected here
    try:
        print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores; building the year group in {root} ...")
        started = time.perf_counter()
        lab = build(root, devices=args.nodes + 12)
        print(f"built in {time.perf_counter() - started:.1f} s")
        bytes_section(lab)
        asyncio.run(times_section(lab, args.edits, args.nodes))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
