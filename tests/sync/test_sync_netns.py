"""Real hosts: `magnet serve` in network namespaces on a bridge, finding each other by mDNS.

Each host is a separate process with its own data dir; edits are made with the `magnet` command
inside the host's namespace (so the running node picks them up from its store), and the test
reads every host's store from outside. Needs root and iproute2; skips with the reason otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from netns import Bridge, Host, Hosts, require_namespaces, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.slow]


@pytest.fixture
def bridge(tmp_path: Path) -> Iterator[Bridge]:
    require_namespaces()
    made = Bridge(tmp_path)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def hosts(bridge: Bridge, tmp_path: Path) -> Iterator[Hosts]:
    made = Hosts(bridge, tmp_path, ["Ann", "Bob", "Cleo"])
    try:
        yield made
    finally:
        made.close()


def add(bridge: Bridge, host: Host, name: str) -> str:
    return bridge.magnet(host, "add", "members", f"name={name}").strip()


def test_three_hosts_find_each_other_and_survive_a_partition(bridge: Bridge, hosts: Hosts) -> None:
    ann, bob, cleo = hosts
    for host in hosts:
        bridge.serve(host)
    first = add(bridge, ann, "Added on Ann")
    wait_for(lambda: all(hosts.has(h, first) for h in hosts), 30, "the first edit everywhere")
    # No host was given an address: they met by mDNS. (A host another dialed first knows that
    # peer already when its advert arrives, so not every host logs the find.)
    assert any("found a peer by mDNS" in bridge.log(host) for host in hosts)

    bridge.cut(cleo)
    during_ann = add(bridge, ann, "Ann, during the outage")
    during_cleo = add(bridge, cleo, "Cleo, during the outage")
    bridge.magnet(ann, "set", "members", first, "zone=North")
    bridge.magnet(cleo, "set", "members", first, "email=first@example.org")
    wait_for(lambda: hosts.has(bob, during_ann), 20, "Ann's edit on Bob across the working link")
    assert not hosts.has(cleo, during_ann) and not hosts.has(ann, during_cleo)
    # Long enough for both sides to notice (keepalive 0.5 s: silent for 2 s is dead).
    wait_for(lambda: "no answer for" in bridge.log(cleo), 15, "Cleo giving up on her peers")
    wait_for(lambda: "no answer for" in bridge.log(ann) + bridge.log(bob), 15, "the others giving up on Cleo")

    bridge.heal(cleo)
    took = wait_for(
        lambda: hosts.converged() and all(hosts.has(h, during_cleo) and hosts.has(h, during_ann) for h in hosts),
        45,
        "convergence after the link came back",
    )
    for host in hosts:
        member = hosts.read(host).doc.members.get(first)
        assert (member.zone, member.email) == ("North", "first@example.org"), host.name
    assert took < 45


def test_a_and_c_never_meet_yet_c_ends_with_a_edits(bridge: Bridge, hosts: Hosts) -> None:
    ann, pi, cleo = hosts  # Bob's host plays the Raspberry Pi at the rally point
    bridge.serve(pi)
    bridge.serve(ann)
    from_ann = add(bridge, ann, "Reported by Ann")
    wait_for(lambda: hosts.has(pi, from_ann), 30, "Ann's report on the Pi")
    bridge.stop(ann)  # Ann goes home
    bridge.cut(ann)
    bridge.serve(cleo)  # later, Cleo comes by
    wait_for(lambda: hosts.has(cleo, from_ann), 30, "Ann's report on Cleo's laptop, through the Pi")
    from_cleo = add(bridge, cleo, "Reported by Cleo")
    wait_for(lambda: hosts.has(pi, from_cleo), 20, "Cleo's report on the Pi")
    assert ann.address not in bridge.log(cleo) and cleo.address not in bridge.log(ann)


def test_a_host_killed_mid_sync_leaves_the_others_serving_and_its_store_readable(bridge: Bridge, hosts: Hosts) -> None:
    ann, bob, cleo = hosts
    for host in (ann, bob):
        bridge.serve(host)
    bridge.magnet(ann, "import", str(_roster(ann.home.parent)), "--kind", "members")
    bridge.serve(cleo)  # Cleo starts a big first sync ...
    bridge.stop(cleo, kill=True)  # ... and loses power in the middle of it
    after = add(bridge, ann, "After the power cut")
    wait_for(lambda: hosts.has(bob, after), 20, "Ann and Bob still syncing")
    assert hosts.read(cleo).report.problems == [] or all("unfinished" in p for p in hosts.read(cleo).report.problems)
    bridge.serve(cleo)
    wait_for(hosts.converged, 30, "Cleo catching up after the restart")


def _roster(folder: Path) -> Path:
    path = folder / "roster.csv"
    path.write_text("Name,Zone,Email\n" + "".join(f"Neighbor {n},Z{n % 7},n{n}@example.org\n" for n in range(1500)))
    return path
