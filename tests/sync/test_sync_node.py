"""Nodes over real TCP on 127.0.0.1: syncing, relaying, reconnecting, and surviving bad peers."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import msgpack
import pytest
from syncnodes import (
    Lab,
    Recorder,
    address,
    lab_fixture,  # noqa: F401 - provides the `lab` fixture
    same,
    until,
)

from magnet.device import DeviceIdentity
from magnet.groupkey import KeyRing
from magnet.home import Home
from sync.channel import HandshakeRefused, Refusal, SecureChannel, connect
from sync.protocol import MAGIC, Changes, Close, CloseCode, Hello, decode, encode
from sync.secure import revoke_device


async def test_two_devices_sync_both_ways_by_address(lab: Lab) -> None:
    ann = lab.found()
    bob = lab.member(ann, "Bob")
    heard_a, heard_b = Recorder(), Recorder()
    a = await lab.node(ann, heard_a)
    b = await lab.node(bob, heard_b, peers=[address(a)])
    await until(lambda: same(ann, bob) and bool(a.sessions) and bool(b.sessions), what="the first sync")
    carla = ann.doc.members.add(name="Carla Okafor")
    await until(lambda: bob.doc.members.find(carla.id) is not None, what="Ann's edit on Bob's device")
    bob.doc.members.update(carla.id, zone="B")
    await until(lambda: ann.doc.members.get(carla.id).zone == "B", what="Bob's edit on Ann's device")
    assert heard_b.kinds("listening") and heard_b.kinds("connected") and heard_b.kinds("synced")
    [status] = b.peers()
    assert status.device_id == ann.home.device.device_id
    assert status.state == "synced" and status.last_sync is not None and status.name
    assert a.peers()[0].device_id == bob.home.device.device_id


async def test_an_edit_crosses_a_middle_device_at_once(lab: Lab) -> None:
    ann = lab.found()
    bob, cleo = lab.member(ann, "Bob"), lab.member(ann, "Cleo")
    b = await lab.node(bob)
    await lab.node(ann, peers=[address(b)])
    await lab.node(cleo, peers=[address(b)])
    await until(lambda: same(ann, bob, cleo) and len(b.sessions) == 2)
    item = ann.doc.inventory.add(name="Water", quantity=40, unit="gallon")
    took = await until(lambda: cleo.doc.inventory.find(item.id) is not None, what="the relayed edit")
    assert took < 1.0
    cleo.doc.inventory.adjust(item.id, "quantity", -6)
    await until(lambda: ann.doc.inventory.get(item.id).quantity == 34, what="the adjustment back")


async def test_a_change_committed_by_another_process_reaches_peers_within_a_second(lab: Lab) -> None:
    ann = lab.found()
    bob = lab.member(ann, "Bob")
    a = await lab.node(ann, poll_interval=0.3)
    await lab.node(bob, peers=[address(a)])
    await until(lambda: bool(a.sessions) and same(ann, bob))
    cli = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "magnet",
        "--home",
        str(ann.home.root),
        "add",
        "members",
        "name=Eve Cli",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(cli.communicate(), 60)
    committed = time.monotonic()
    assert cli.returncode == 0
    record_id = out.decode().strip()
    await until(lambda: bob.doc.members.find(record_id) is not None, within=5, what="the CLI's member")
    assert time.monotonic() - committed < 1.0


async def test_crossed_dials_leave_one_lasting_session(lab: Lab) -> None:
    ann = lab.found()
    bob = lab.member(ann, "Bob")
    a = await lab.node(ann)
    b = await lab.node(bob)
    a.add_peer(address(b))
    b.add_peer(address(a))
    ann_id, bob_id = ann.home.device.device_id, bob.home.device.device_id

    def settled() -> bool:
        # Both sides hold the same one connection, and no other dial or handshake is under way
        # that could still replace it.
        at_a, at_b = a.sessions.get(bob_id), b.sessions.get(ann_id)
        return (
            at_a is not None and at_b is not None and at_a.dialed != at_b.dialed and a._load() == 1 and b._load() == 1
        )

    await until(settled)
    kept = a.sessions[bob_id]
    for n in range(5):
        member = bob.doc.members.add(name=f"Neighbor {n}")
        await until(lambda: ann.doc.members.find(member.id) is not None)  # noqa: B023 - awaited at once
    assert a.sessions[bob_id] is kept
    assert len(b.connections) == 1


async def test_a_restarted_device_dials_the_peers_it_remembers(lab: Lab) -> None:
    ann = lab.found()
    bob = lab.member(ann, "Bob")
    a = await lab.node(ann)
    b = await lab.node(bob, peers=[address(a)])
    await until(lambda: bool(b.sessions) and same(ann, bob))
    await lab.stop(b)
    dora = ann.doc.members.add(name="Dora")
    again = await lab.node(bob)  # no peers given: only what it remembers
    await until(lambda: bob.doc.members.find(dora.id) is not None and bool(again.sessions))


async def test_a_diverged_reconnect_sends_only_what_is_new(lab: Lab) -> None:
    ann = lab.found()
    bob = lab.member(ann, "Bob")
    for n in range(200):
        ann.doc.members.add(name=f"Neighbor {n}")
    a = await lab.node(ann)
    b = await lab.node(bob, peers=[address(a)])
    await until(lambda: same(ann, bob) and bool(a.sessions))
    await lab.stop(b)
    ann.doc.members.add(name="New on Ann")
    bob.doc.members.add(name="New on Bob")
    b = await lab.node(bob)
    await until(lambda: same(ann, bob) and bool(b.sessions))
    conn = b.sessions[ann.home.device.device_id]
    assert conn.sent < 2000 and conn.received < 2000


async def test_garbage_from_a_stranger_changes_nothing_and_the_node_keeps_serving(lab: Lab) -> None:
    ann = lab.found()
    bob = lab.member(ann, "Bob")
    heard = Recorder()
    a = await lab.node(ann, heard)
    heads = ann.doc.heads()
    for junk in (os.urandom(300), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\xff\xff" + bytes(70_000), b"\x00"):
        reader, writer = await asyncio.open_connection("127.0.0.1", a.port)
        writer.write(junk)
        await writer.drain()
        await asyncio.wait_for(reader.read(), 5)  # the node hangs up
        writer.close()
    # Told once a minute per address and kind: the three oversized frames are one kind.
    await until(lambda: len(heard.kinds("error")) + len(heard.kinds("rejected")) >= 2, what="the refusals")
    assert ann.doc.heads() == heads
    await lab.node(bob, peers=[address(a)])
    member = bob.doc.members.add(name="Still served")
    await until(lambda: ann.doc.members.find(member.id) is not None)


async def _member_channel(lab: Lab, port: int, identity: DeviceIdentity, ring: KeyRing) -> SecureChannel:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return await connect(reader, writer, identity=identity, secret=ring.current, authorize=lambda _key: True)


async def test_a_member_on_an_incompatible_version_is_refused_with_a_clear_reason(lab: Lab) -> None:
    ann = lab.found()
    bob = lab.member(ann, "Bob")
    heard = Recorder()
    a = await lab.node(ann, heard)
    channel = await _member_channel(lab, a.port, bob.home.device, KeyRing.load(bob.path))
    future = msgpack.packb([1, MAGIC, 99, 99, {"d": bob.home.device.device_id}])
    await channel.send(future)
    assert isinstance(decode(await asyncio.wait_for(channel.recv(), 5)), Hello)
    reply = decode(await asyncio.wait_for(channel.recv(), 5))
    assert isinstance(reply, Close) and reply.code is CloseCode.VERSION
    assert reply.text == "the other device runs an older magnet (sync protocol 1): update magnet there"
    await until(lambda: bool(heard.kinds("rejected")))
    assert "update magnet here" in heard.kinds("rejected")[0].detail
    channel.close()
    cleo = lab.member(ann, "Cleo")
    await lab.node(cleo, peers=[address(a)])
    await until(lambda: same(ann, cleo) and len(a.sessions) == 1)


async def test_a_member_that_vanishes_mid_sync_leaves_the_store_intact(lab: Lab) -> None:
    ann = lab.found()
    for n in range(300):
        ann.doc.members.add(name=f"Neighbor {n}")
    bob = lab.member(ann, "Bob")
    heard = Recorder()
    a = await lab.node(ann, heard)
    before = len(ann.doc.members)
    # Bob claims an empty document, so Ann starts a snapshot, and Bob leaves without reading it.
    channel = await _member_channel(lab, a.port, bob.home.device, KeyRing.load(bob.path))
    hello = Hello(bob.home.device.device_id, ann.doc.group_id, (), 0)
    await channel.send(encode(hello))
    channel.close()
    # A second time, Bob sends half a batch of real changes and vanishes.
    extra = bob.doc.fork()
    extra.members.add(name="Half sent")
    changes = extra.changes_since(bob.doc.heads())  # Ann holds all of Bob's copy: just the new one
    channel = await _member_channel(lab, a.port, bob.home.device, KeyRing.load(bob.path))
    await channel.send(encode(Hello(bob.home.device.device_id, ann.doc.group_id, tuple(ann.doc.heads()), 1)))
    await channel.send(encode(Changes(tuple(changes))))
    channel.close()
    await until(lambda: bool(ann.doc.members.filter(name="Half sent")), what="the partial batch, applied")
    await until(lambda: not a.connections)
    await lab.stop(a)
    ann.close()
    reopened = Home(ann.home.root).open_group()
    lab.groups.append(reopened)
    assert reopened.report.problems == []
    assert reopened.doc.members.filter(name="Half sent") and len(reopened.doc.members) == before + 1


async def test_a_device_outside_the_group_gets_nothing_even_with_the_group_key(lab: Lab) -> None:
    ann = lab.found()
    heard = Recorder()
    a = await lab.node(ann, heard)
    stranger = DeviceIdentity.generate()
    with pytest.raises(HandshakeRefused) as refused:
        await _member_channel(lab, a.port, stranger, KeyRing.load(ann.path))
    assert refused.value.reason is Refusal.NOT_A_MEMBER
    with pytest.raises(Exception, match=r"handshake failed|not the same group key"):
        await _member_channel(lab, a.port, stranger, KeyRing.found())
    await until(lambda: len(heard.kinds("rejected")) >= 2)
    assert not a.connections and not a.sessions


async def test_a_revoked_device_is_dropped_at_once_and_refused_after(lab: Lab) -> None:
    ann = lab.found()
    bob = lab.member(ann, "Bob")
    a = await lab.node(ann)
    b = await lab.node(bob, peers=[address(a)])
    await until(lambda: bool(a.sessions) and same(ann, bob))
    [record] = ann.doc.devices.filter(device_id=bob.home.device.device_id)
    ann.doc.devices.update(record.id, revoked=True)
    await until(lambda: not a.sessions, what="the revoked device dropped")
    bob.doc.members.add(name="Written after revocation")
    await until(lambda: any(p.state == "rejected" for p in b.peers()), what="Bob refused")
    assert not ann.doc.members.filter(name="Written after revocation")
    assert not a.sessions


async def test_a_rotated_key_reaches_a_device_that_was_offline_and_the_revoked_one_stays_out(lab: Lab) -> None:
    ann = lab.found()
    bob, olga, rex = lab.member(ann, "Bob"), lab.member(ann, "Olga"), lab.member(ann, "Rex")
    a = await lab.node(ann)
    b = await lab.node(bob, peers=[address(a)])
    o = await lab.node(olga, peers=[address(a)])
    r = await lab.node(rex, peers=[address(a), address(b)])
    await until(lambda: same(ann, bob, olga, rex) and len(a.sessions) == 3)
    olga_port = o.port
    await lab.stop(o)  # Olga's laptop is away during the removal
    [record] = ann.doc.devices.filter(device_id=rex.home.device.device_id)
    assert revoke_device(ann, record) == 1  # Ann founded the group: she is on the core team
    await until(lambda: KeyRing.load(bob.path).current == KeyRing.load(ann.path).current, what="Bob given the key")
    await until(lambda: not r.sessions, what="Rex dropped everywhere")
    o = await lab.node(olga, port=olga_port)  # back, still on epoch 0 with Rex listed as active
    assert KeyRing.load(olga.path).current.epoch == 0
    await until(lambda: KeyRing.load(olga.path).current == KeyRing.load(ann.path).current, what="Olga catching up")
    await until(lambda: same(ann, bob, olga))
    assert olga.doc.devices.get(record.id).revoked
    rex.doc.members.add(name="Rex was here")
    r.add_peer(f"127.0.0.1:{olga_port}")
    await until(lambda: any(p.state == "rejected" for p in r.peers()), what="Rex refused")
    for group in (ann, bob, olga):
        assert not group.doc.members.filter(name="Rex was here")


async def test_the_engine_also_runs_over_a_plain_link_for_benchmarks(lab: Lab) -> None:
    ann = lab.found()
    bob = lab.member(ann, "Bob")
    a = await lab.plain(ann)
    await lab.plain(bob, peers=[address(a)])
    member = ann.doc.members.add(name="Plain")
    await until(lambda: bob.doc.members.find(member.id) is not None)


async def test_a_second_node_on_one_data_dir_is_refused(lab: Lab) -> None:
    ann = lab.found()
    await lab.node(ann)
    with pytest.raises(Exception, match="already runs"):
        await lab.node(ann)


async def test_a_snapshot_is_what_a_far_behind_peer_gets(lab: Lab) -> None:
    ann = lab.found()
    bob = lab.member(ann, "Bob")
    for n in range(400):
        ann.doc.members.add(name=f"Neighbor {n}")
    a = await lab.node(ann)
    await lab.node(bob, peers=[address(a)])
    await until(lambda: same(ann, bob) and bool(a.sessions))
    conn = a.sessions[bob.home.device.device_id]
    raw = sum(len(c) for c in ann.doc.changes_since([]))
    assert conn.sent < len(ann.doc.save()) * 1.2 + 2000 < raw
