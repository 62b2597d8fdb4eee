"""Removing a device, for real: `magnet serve` in network namespaces, revocations made with `magnet revoke`.

The revoked device never receives what was written after its revocation, even through a device
that had not heard of it; a revoked device cannot move a stale one to a key it knows; and two
coordinators who each revoke a device while apart are one group again within a minute of meeting.
Needs root and iproute2; skips with the reason otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from netns import Bridge, Host, Hosts, require_namespaces, wait_for

from magnet.home import Home

pytestmark = [pytest.mark.netns, pytest.mark.slow]

HOSTILE = Path(__file__).with_name("hostile_peer.py")


@pytest.fixture
def bridge(tmp_path: Path) -> Iterator[Bridge]:
    require_namespaces()
    made = Bridge(tmp_path)
    try:
        yield made
    finally:
        made.close()


def add(bridge: Bridge, host: Host, name: str) -> str:
    return bridge.magnet(host, "add", "members", f"name={name}").strip()


def device_id(host: Host) -> str:
    return Home(host.home).device.device_id


def all_in_sync(bridge: Bridge, hosts: Hosts, *group: Host) -> None:
    """Everyone running and holding a first record made on the first host."""
    first = add(bridge, group[0], f"Hello from {group[0].name}")
    wait_for(lambda: all(hosts.has(h, first) for h in group), 30, "the first record everywhere")


def test_a_revoked_device_never_gets_what_was_written_after_its_revocation(tmp_path: Path, bridge: Bridge) -> None:
    hosts = Hosts(bridge, tmp_path, ["Ann", "Bob", "Cleo"])
    try:
        ann, bob, cleo = hosts
        for host in hosts:
            bridge.serve(host)
        all_in_sync(bridge, hosts, ann, bob, cleo)
        bridge.stop(bob)
        bridge.stop(cleo)
        assert "epoch 1" in bridge.magnet(ann, "revoke", device_id(bob)[:12])
        later = add(bridge, ann, "Written after Bob was revoked")
        bridge.cut(ann)  # Ann leaves the hall
        bridge.serve(bob)
        bridge.serve(cleo)
        met = add(bridge, bob, "Bob and Cleo meet")
        wait_for(lambda: hosts.has(cleo, met), 30, "Bob and Cleo syncing, Cleo not knowing of the revocation")
        bridge.heal(ann)  # Ann comes back
        wait_for(lambda: hosts.has(cleo, later), 30, "Ann's record on Cleo")
        wait_for(lambda: hosts.keys(cleo).current == hosts.keys(ann).current, 20, "Cleo on Ann's key")
        wait_for(lambda: "closing" in bridge.log(cleo) or "refused" in bridge.log(cleo), 10, "Cleo shutting Bob out")
        time.sleep(2)  # anything relayed would have arrived
        assert not hosts.has(bob, later)
        assert device_id(bob) in hosts.keys(cleo).revoked and hosts.keys(bob).current.epoch == 0
        bob_after = add(bridge, bob, "Bob, after his removal")
        cleo_after = add(bridge, cleo, "Cleo, still in the group")
        wait_for(lambda: hosts.has(ann, cleo_after), 20, "Ann and Cleo still one group")
        time.sleep(1)
        assert not hosts.has(cleo, bob_after) and not hosts.has(ann, bob_after)
        assert not hosts.has(bob, cleo_after)
        for host in hosts:
            assert "Traceback" not in bridge.log(host), bridge.log(host)
    finally:
        hosts.close()


def test_a_revoked_device_cannot_poison_a_stale_one_which_rejoins_the_group(tmp_path: Path, bridge: Bridge) -> None:
    hosts = Hosts(bridge, tmp_path, ["Ann", "Bob", "Cleo"])
    try:
        ann, bob, cleo = hosts
        for host in hosts:
            bridge.serve(host)
        all_in_sync(bridge, hosts, ann, bob, cleo)
        before = hosts.keys(cleo).current
        bridge.stop(bob)
        bridge.stop(cleo)
        bridge.magnet(ann, "revoke", device_id(bob)[:12])
        later = add(bridge, ann, "Written after Bob was revoked")
        bridge.cut(ann)
        bridge.serve(cleo)  # Cleo still counts Bob as a member
        wait_for(lambda: bridge.log(cleo).count("listening on port") >= 2, 20, "Cleo listening again")
        told = bridge.python(bob, HOSTILE, str(bob.home), f"{cleo.address}:7787")
        assert "offered" in told
        wait_for(lambda: "unsigned group key" in bridge.log(cleo), 10, "Cleo refusing the bare key")
        wait_for(lambda: "holding a rotation" in bridge.log(cleo), 10, "Cleo holding Bob's rotation, not counting it")
        assert hosts.keys(cleo).current == before and not hosts.keys(cleo).revoked
        bridge.heal(ann)
        wait_for(lambda: hosts.keys(cleo).current == hosts.keys(ann).current, 30, "Cleo rejoining Ann's key")
        wait_for(lambda: hosts.has(cleo, later), 20, "Ann's record on Cleo")
        bridge.serve(bob)  # Bob's own node now meets a group that refuses him everywhere
        wait_for(lambda: "refused" in bridge.log(bob) or "rejected" in bridge.log(bob), 20, "Bob refused")
        time.sleep(1)
        assert not hosts.has(bob, later)
        assert device_id(ann) not in hosts.keys(cleo).revoked
    finally:
        hosts.close()


def test_two_coordinators_who_revoke_while_apart_converge_within_a_minute(tmp_path: Path, bridge: Bridge) -> None:
    hosts = Hosts(bridge, tmp_path, ["Ann", "Bob", "Cleo"], coordinators=("Bob",), offline=("Laptop", "Phone"))
    try:
        ann, bob, cleo = hosts
        laptop, phone = (hosts.offline[n].device.device_id for n in ("laptop", "phone"))
        for host in hosts:
            bridge.serve(host)
        all_in_sync(bridge, hosts, ann, bob, cleo)
        bridge.cut(ann)
        assert "epoch 1" in bridge.magnet(ann, "revoke", laptop[:12])
        assert "epoch 1" in bridge.magnet(bob, "revoke", phone[:12])
        wait_for(lambda: hosts.keys(cleo).current == hosts.keys(bob).current, 20, "Cleo on Bob's side's key")
        assert hosts.keys(ann).current != hosts.keys(bob).current
        bridge.heal(ann)
        took = wait_for(
            lambda: len({hosts.keys(h).current for h in hosts}) == 1 and hosts.converged(),
            60,
            "one key and one document everywhere",
        )
        print(f"split rotations converged {took:.1f} s after the link came back")
        assert all(hosts.keys(h).revoked == {laptop, phone} for h in hosts)
        for host in hosts:
            record = {d.device_id: d for d in hosts.read(host).doc.devices.all(include_archived=True)}
            assert record[laptop].revoked and record[phone].revoked
    finally:
        hosts.close()
