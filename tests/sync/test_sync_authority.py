"""Removing a device for good, with real nodes on 127.0.0.1: signed rotations, revocation before relay,
a revoked device that tries to poison a stale one, rotations made apart, and a group from before."""

from __future__ import annotations

import asyncio
import os

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

from magnet.errors import MagnetError
from magnet.groupkey import KEYRING_FILE, KeyRing
from magnet.home import Home, OpenGroup
from magnet.records import Device
from magnet.rotation import Rotation, signing_public_key
from sync.authority import record_signing_key
from sync.channel import connect
from sync.invitebook import InviteBook
from sync.joining import Invitation, adopt, join
from sync.protocol import Hello, Keys, Rotations, decode, encode
from sync.secure import revoke_device


def device_of(group: OpenGroup, member: OpenGroup) -> Device:
    [record] = group.doc.devices.filter(device_id=member.home.device.device_id)
    return record


def make_coordinator(group: OpenGroup, member: OpenGroup) -> None:
    group.doc.members.update(device_of(group, member).member_id, level="core_team")


def keys(group: OpenGroup) -> KeyRing:
    return KeyRing.load(group.path)


@pytest.mark.parametrize("how", ["rotation", "document mark"])
async def test_a_revoked_device_never_gets_what_was_written_after_its_revocation(lab: Lab, how: str) -> None:
    """A, B, C sync; B and C stop; A revokes B and adds a record; A leaves; B and C meet (C has not
    heard); A comes back: C takes the revocation and the record, and relays nothing to B.

    With a rotation, C hears it before any of A's changes. A revocation marked in the document
    alone (as an earlier magnet made it) arrives in the same batch as the record: C must close
    B's session before it relays that batch."""
    ann = lab.found()
    bob, cleo = lab.member(ann, "Bob"), lab.member(ann, "Cleo")
    a = await lab.node(ann)
    c = await lab.node(cleo, peers=[address(a)])
    b = await lab.node(bob, peers=[address(a), address(c)])
    await until(lambda: same(ann, bob, cleo) and len(a.sessions) == 2 and len(c.sessions) == 2)
    a_port, c_port = a.port, c.port
    await lab.stop(b)
    await lab.stop(c)
    if how == "rotation":
        assert revoke_device(ann, device_of(ann, bob)) == 1
    else:
        ann.doc.devices.update(device_of(ann, bob).id, revoked=True)
    later = ann.doc.members.add(name="Written after Bob was revoked")
    await lab.stop(a)
    c = await lab.node(cleo, port=c_port)
    b = await lab.node(bob, peers=[f"127.0.0.1:{c_port}"])
    await until(lambda: same(bob, cleo) and bool(c.sessions), what="Bob and Cleo syncing, Cleo not knowing")
    a = await lab.node(ann, port=a_port, peers=[f"127.0.0.1:{c_port}"])
    await until(lambda: cleo.doc.members.find(later.id) is not None, what="Ann's record on Cleo")
    await until(lambda: keys(cleo).current == keys(ann).current, what="Cleo on Ann's key")
    await until(lambda: not b.sessions, what="Bob dropped")
    await asyncio.sleep(0.5)  # anything relayed would have arrived by now
    assert bob.doc.members.find(later.id) is None
    assert keys(bob).current.epoch == 0
    assert not c.membership.allows(bob.home.device.device_id)
    assert same(ann, cleo)


async def test_a_revoked_device_cannot_move_a_stale_device_to_a_key_it_knows(lab: Lab) -> None:
    ann = lab.found()
    bob, cleo = lab.member(ann, "Bob"), lab.member(ann, "Cleo")
    a = await lab.node(ann)
    c = await lab.node(cleo, peers=[address(a)])
    await until(lambda: same(ann, cleo) and bool(c.sessions))
    a_port = a.port
    await lab.stop(c)
    revoke_device(ann, device_of(ann, bob))
    await lab.stop(a)
    heard = Recorder()
    c = await lab.node(cleo, heard)
    # Bob, revoked but unknown to Cleo, connects as himself with the old key and offers a bare
    # key, a rotation he signed (he is no coordinator), and one claiming to be Ann's.
    reader, writer = await asyncio.open_connection("127.0.0.1", c.port)
    channel = await connect(
        reader, writer, identity=bob.home.device, secret=keys(bob).current, authorize=lambda _key: True
    )
    record_signing_key(bob, bob.home.device)
    own = KeyRing.load(bob.path)
    own.rotate(bob.home.device, group_id=bob.doc.group_id, revokes=[ann.home.device.device_id])
    impostor, secret = Rotation.make(bob.home.device, group_id=bob.doc.group_id, epoch=1)
    forged_author = msgpack.unpackb(impostor.statement)
    forged_author["a"] = ann.home.device.device_id
    statement = msgpack.packb(forged_author)
    hello = Hello(bob.home.device.device_id, bob.doc.group_id, tuple(bob.doc.heads()), 1, keys=b"\x00" * 16)
    for message in (
        hello,
        Keys(7, os.urandom(32)),
        Rotations(own.digest, tuple(own.offer())),
        Rotations(b"\x01" * 16, ((statement, impostor.signature, secret),)),
    ):
        await channel.send(encode(message))
    await until(lambda: any("unsigned group key" in e.detail for e in heard.events), what="the bare key refused")
    await until(lambda: bool(keys(cleo).pending()), what="Bob's rotation held, not counted")
    assert keys(cleo).current.epoch == 0 and keys(cleo).current == keys(ann).get(0)
    assert not keys(cleo).revoked
    channel.close()
    # Ann comes back: Cleo takes her rotation, refuses Bob, and is with the group again.
    a = await lab.node(ann, port=a_port, peers=[address(c)])
    await until(lambda: keys(cleo).current == keys(ann).current and same(ann, cleo), what="Cleo rejoining Ann")
    assert bob.home.device.device_id in keys(cleo).revoked
    assert not c.membership.allows(bob.home.device.device_id)


async def test_two_coordinators_who_revoke_while_apart_converge(lab: Lab) -> None:
    ann = lab.found()
    bob, cleo = lab.member(ann, "Bob"), lab.member(ann, "Cleo")
    laptop, phone = lab.member(ann, "Lost Laptop"), lab.member(ann, "Old Phone")
    make_coordinator(ann, bob)
    a = await lab.node(ann)
    b = await lab.node(bob, peers=[address(a)])
    c = await lab.node(cleo, peers=[address(b)])
    await until(lambda: same(ann, bob, cleo) and len(b.sessions) == 2, what="everyone in sync")
    a_port = a.port
    await lab.stop(a)  # Ann is across town
    assert revoke_device(ann, device_of(ann, laptop)) == 1
    assert revoke_device(bob, device_of(bob, phone)) == 1
    await until(lambda: keys(cleo).current == keys(bob).current, what="Cleo on Bob's side")
    assert keys(ann).current != keys(bob).current
    a = await lab.node(ann, port=a_port, peers=[address(b), address(c)])
    took = await until(
        lambda: len({keys(g).current for g in (ann, bob, cleo)}) == 1 and same(ann, bob, cleo),
        within=60,
        what="one key everywhere",
    )
    assert took < 60
    gone = {laptop.home.device.device_id, phone.home.device.device_id}
    assert all(keys(g).revoked == gone for g in (ann, bob, cleo))
    assert keys(ann).current.epoch == 1 and keys(ann).current not in (keys(laptop).current, keys(phone).current)
    for node in (a, b, c):
        assert not any(node.membership.allows(d) for d in gone)


async def test_only_a_coordinators_device_may_revoke(lab: Lab) -> None:
    ann = lab.found()
    cleo = lab.member(ann, "Cleo")
    bob = lab.member(ann, "Bob")  # his copy lists Cleo
    with pytest.raises(MagnetError, match="coordinator"):
        revoke_device(bob, device_of(bob, cleo))
    assert keys(bob).current.epoch == 0 and not device_of(bob, cleo).revoked


async def test_a_group_from_before_signed_rotations_syncs_and_gets_its_authority(lab: Lab) -> None:
    ann = lab.found()
    bob = lab.member(ann, "Bob")
    rex = lab.member(ann, "Rex")
    old = keys(ann).current
    legacy = msgpack.packb({"v": 1, "epochs": [[old.epoch, old.secret]]}, use_bin_type=True)
    for group in (ann, bob):  # devices without signing keys, key rings as the earlier magnet wrote them
        for record in group.doc.devices.all():
            group.doc.devices.update(record.id, signing_key="")
        (group.path / KEYRING_FILE).write_bytes(legacy)
    a = await lab.node(ann)
    b = await lab.node(bob, peers=[address(a)])
    await until(lambda: same(ann, bob) and bool(b.sessions), what="the old group syncing")
    await until(lambda: all(d.signing_key for d in bob.doc.devices.all() if d.name != "Rex's device"))
    assert (ann.path / KEYRING_FILE).read_bytes() == legacy  # nothing rewritten before a rotation
    revoke_device(ann, device_of(ann, rex))  # Ann is on the core team, as the founder
    await until(lambda: keys(bob).current == keys(ann).current and keys(bob).current.epoch == 1)
    assert rex.home.device.device_id in keys(bob).revoked
    assert b.membership.allows(ann.home.device.device_id)


async def test_a_device_that_joins_after_a_rotation_holds_the_groups_rotations(lab: Lab) -> None:
    ann = lab.found()
    rex = lab.member(ann, "Rex")
    revoke_device(ann, device_of(ann, rex))
    a = await lab.node(ann)
    code = InviteBook(ann.path).issue(addresses=(address(a),))
    dana_home = Home(lab.root / "dana")
    welcome, where = await join(dana_home, Invitation(code), member_name="Dana", interfaces=["127.0.0.1"])
    dana = adopt(dana_home, welcome, inviter_address=where)
    lab.groups.append(dana)
    assert keys(dana).current == keys(ann).current and keys(dana).digest == keys(ann).digest
    assert rex.home.device.device_id in keys(dana).revoked  # a later rotation made apart merges alike
    [record] = ann.doc.devices.filter(device_id=dana_home.device.device_id)
    assert record.signing_key == signing_public_key(dana_home.device).hex()  # sent over the join channel


async def test_a_group_with_no_core_team_lets_its_shared_devices_rotate(lab: Lab) -> None:
    pi = Home(lab.root / "pi").create_group("Rally Point")  # made by a Raspberry Pi alone: no member
    lab.groups.append(pi)
    bob = lab.member(pi, "Bob")
    assert revoke_device(pi, device_of(pi, bob)) == 1
    cleo = lab.member(pi, "Cleo")
    make_coordinator(pi, cleo)  # once someone is on the core team, the Pi defers to them
    dana = lab.member(pi, "Dana")
    with pytest.raises(MagnetError, match="core-team members"):
        revoke_device(pi, device_of(pi, dana))


async def test_a_device_revoked_by_a_rotation_cannot_join_again_with_the_same_key(lab: Lab) -> None:
    ann = lab.found()
    rex = lab.member(ann, "Rex")
    revoke_device(ann, device_of(ann, rex))
    a = await lab.node(ann)
    code = InviteBook(ann.path).issue(addresses=(address(a),))
    with pytest.raises(MagnetError, match="revoked"):
        await join(rex.home, Invitation(code), member_name="Rex", interfaces=["127.0.0.1"])
    assert device_of(ann, rex).revoked


async def test_a_rotation_that_arrives_before_its_authors_record_waits_for_it(lab: Lab) -> None:
    ann = lab.found()
    rex = lab.member(ann, "Rex")
    bob = lab.member(ann, "Bob")
    a = await lab.node(ann)
    b = await lab.node(bob, peers=[address(a)])
    await until(lambda: same(ann, bob) and bool(a.sessions))
    await lab.stop(b)
    make_coordinator(bob, bob)  # on Bob's copy only: Ann has not seen it yet
    revoke_device(bob, device_of(bob, rex))
    b = await lab.node(bob, peers=[address(a)])  # the rotation reaches Ann before the document does
    await until(lambda: keys(ann).current == keys(bob).current, what="Ann counting it once the record arrived")
    assert rex.home.device.device_id in keys(ann).revoked and not keys(ann).pending()


async def test_a_device_on_an_earlier_magnet_is_still_given_the_current_key(lab: Lab) -> None:
    ann = lab.found()
    rex, bob = lab.member(ann, "Rex"), lab.member(ann, "Bob")
    revoke_device(ann, device_of(ann, rex))
    a = await lab.node(ann)
    reader, writer = await asyncio.open_connection("127.0.0.1", a.port)
    channel = await connect(
        reader, writer, identity=bob.home.device, secret=keys(bob).current, authorize=lambda _k: True
    )
    # An earlier magnet's hello carries no rotation digest: it cannot read ROTATIONS.
    await channel.send(encode(Hello(bob.home.device.device_id, bob.doc.group_id, tuple(bob.doc.heads()), 1)))
    given = None
    async with asyncio.timeout(5):
        while given is None:
            message = decode(await channel.recv())
            assert not isinstance(message, Rotations)
            given = message if isinstance(message, Keys) else None
    assert (given.epoch, given.secret) == (keys(ann).current.epoch, keys(ann).current.secret)
    channel.close()
