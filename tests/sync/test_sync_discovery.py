"""Real mDNS on 127.0.0.1: devices of one group find each other; what is advertised tells strangers nothing."""

from __future__ import annotations

import asyncio
import socket

import pytest
from syncnodes import (
    Lab,
    Recorder,
    lab_fixture,  # noqa: F401 - provides the `lab` fixture
    same,
    until,
)
from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from magnet.groupkey import KeyRing
from sync import discovery as discovery_module
from sync.discovery import SERVICE_TYPE
from sync.discovery import random_instance as fresh_instance
from sync.invitebook import InviteBook
from sync.secure import revoke_device

pytestmark = pytest.mark.slow


async def test_devices_of_one_group_find_each_other_and_sync(lab: Lab) -> None:
    ann = lab.found()
    bob = lab.member(ann, "Bob")
    heard = Recorder()
    a = await lab.node(ann, heard, discovery=True)
    b = await lab.node(bob, discovery=True)
    took = await until(lambda: bool(a.sessions) and bool(b.sessions), within=15, what="discovery")
    member = bob.doc.members.add(name="Found by mDNS")
    await until(lambda: ann.doc.members.find(member.id) is not None and same(ann, bob))
    assert heard.kinds("found") and took < 10


async def test_another_groups_devices_are_not_even_dialed(lab: Lab) -> None:
    ann = lab.found()
    zed = lab.found(member="Zed")  # a neighbouring group on the same Wi-Fi
    heard = Recorder()
    await lab.node(ann, heard, discovery=True)
    z = await lab.node(zed, discovery=True)
    ours = lab.member(ann, "Bob")
    b = await lab.node(ours, discovery=True)
    await until(lambda: bool(b.sessions), within=15, what="our own device found")
    assert not z.sessions and not z.connections
    assert not heard.kinds("rejected")


async def browse(port: int, within: float = 10.0) -> AsyncServiceInfo:
    """What a stranger on the network sees of the magnet service on `port`."""
    zc = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    names: asyncio.Queue[str] = asyncio.Queue()

    def on_change(zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if state_change is not ServiceStateChange.Removed:
            names.put_nowait(name)

    browser = AsyncServiceBrowser(zc.zeroconf, SERVICE_TYPE, handlers=[on_change])
    try:
        async with asyncio.timeout(within):
            while True:  # other tests' nodes may still be saying goodbye
                info = AsyncServiceInfo(SERVICE_TYPE, await names.get())
                if await info.async_request(zc.zeroconf, 3000) and info.port == port:
                    return info
    finally:
        await browser.async_cancel()
        await zc.async_close()


async def test_what_mdns_advertises_says_nothing_about_the_group(lab: Lab) -> None:
    ann = lab.found()
    code = InviteBook(ann.path).issue(ttl=600)
    a = await lab.node(ann, discovery=True)
    info = await browse(a.port)
    properties = {k.decode(): (v or b"").decode() for k, v in (info.properties or {}).items()}
    assert set(properties) == {"v", "t", "i"}  # "u" too once the group has rotated: another such tag
    assert properties["i"] == code.mdns_hint and properties["v"] == "1"
    shown = " ".join([info.name, info.server or "", *properties.values()]).lower()
    secrets_of_the_group = [
        ann.doc.group_id,
        ann.doc.profile.name.lower(),
        ann.doc.members.all()[0].name.lower() + " ",
        ann.home.device.device_id,
        ann.home.device.readable_id.lower(),
    ]
    assert not [s for s in secrets_of_the_group if s in shown]
    instance = info.name.removesuffix("." + SERVICE_TYPE)
    assert instance.startswith("magnet-") and info.server == f"{instance}.local."  # not the host's name
    assert socket.gethostname() not in info.name and info.port == a.port
    assert info.parsed_addresses() == ["127.0.0.1"]


async def test_devices_that_rotated_apart_still_find_each_other_by_the_previous_epochs_tag(lab: Lab) -> None:
    ann = lab.found()
    laptop, phone = lab.member(ann, "Laptop"), lab.member(ann, "Phone")
    bob = lab.member(ann, "Bob")
    [bobs] = ann.doc.devices.filter(device_id=bob.home.device.device_id)
    for group in (ann, bob):
        group.doc.members.update(bobs.member_id, level="core_team")
    revoke_device(ann, ann.doc.devices.filter(device_id=laptop.home.device.device_id)[0])
    revoke_device(bob, bob.doc.devices.filter(device_id=phone.home.device.device_id)[0])
    assert KeyRing.load(ann.path).current != KeyRing.load(bob.path).current  # their tags differ now
    a = await lab.node(ann, discovery=True)
    b = await lab.node(bob, discovery=True)
    await until(
        lambda: KeyRing.load(ann.path).current == KeyRing.load(bob.path).current and same(ann, bob),
        within=20,
        what="the two sides found by mDNS and merged",
    )
    assert a.discovery is not None and b.discovery is not None


async def test_a_failed_mdns_start_is_tried_again_until_the_device_is_found(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another service already holds the name the node picks first: registering fails for real
    # (NonUniqueNameException). A node that gave up then could never be found or joined.
    taken = "magnet-0000000000aa"
    names = iter([taken])
    monkeypatch.setattr(discovery_module, "random_instance", lambda: next(names, None) or fresh_instance())
    squatter = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    await squatter.async_register_service(
        AsyncServiceInfo(
            SERVICE_TYPE,
            f"{taken}.{SERVICE_TYPE}",
            port=9,
            addresses=[socket.inet_aton("127.0.0.1")],
            server=f"{taken}.local.",
        )
    )
    try:
        ann = lab.found()
        bob = lab.member(ann, "Bob")
        heard = Recorder()
        a = await lab.node(ann, heard, discovery=True)
        await until(lambda: bool(heard.kinds("error")), within=15, what="the failed start")
        assert "mDNS discovery is off for now" in heard.kinds("error")[0].detail
        b = await lab.node(bob, discovery=True)
        await until(lambda: bool(a.sessions) and bool(b.sessions), within=20, what="discovery after the retry")
        assert a.discovery is not None and a.discovery.instance != taken
    finally:
        await squatter.async_close()
