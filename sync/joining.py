"""Joining a group from the new device: find the inviter, prove the invite, keep what it sends.

The inviter is tried at the addresses the code carries and those given on the command line,
then looked for by mDNS: a node with open invites advertises their public hints, so the
joiner recognises the one that issued its code without learning anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from magnet.device import device_id_for
from magnet.errors import MagnetError
from magnet.groupkey import KeyRing
from magnet.home import Home, OpenGroup
from sync.channel import ChannelError
from sync.events import DEFAULT_PORT
from sync.interfaces import pinned, resolve
from sync.invite import InviteCode, ShortCode, Welcome, join_group
from sync.invitecode import InviteMalformed
from sync.peerbook import PeerBook
from sync.transport import TransportError, format_address, open_stream, parse_address

DISCOVERY_TIMEOUT = 20.0

log = logging.getLogger("magnet.sync.join")


@dataclass(frozen=True)
class Invitation:
    code: InviteCode | ShortCode

    @property
    def hint(self) -> str:
        return self.code.mdns_hint

    @property
    def addresses(self) -> list[str]:
        return list(self.code.addresses) if isinstance(self.code, InviteCode) else []


def parse_code(text: str) -> Invitation:
    """A long code (MAGNET:...) or a short typed one (42-K4ZQ-7M2P)."""
    text = text.strip()
    if text.upper().startswith("MAGNET:"):
        return Invitation(InviteCode.decode(text))
    try:
        return Invitation(ShortCode.parse(text))
    except InviteMalformed:
        raise InviteMalformed(
            "not an invite code: paste the whole MAGNET:... code, or type the short one (like 42-K4ZQ-7M2P)"
        ) from None


async def find_inviters(hint: str, interfaces: Sequence[str] | None, within: float) -> list[str]:
    """Addresses of nodes advertising the invite hint `hint`, found by mDNS within `within` s."""
    from sync.discovery import Discovery, Service  # only a short code needs mDNS (and its memory)

    found: asyncio.Queue[Service] = asyncio.Queue()

    def on_found(service: Service) -> None:
        if hint in service.properties.get("i", "").split(","):
            found.put_nowait(service)

    discovery = Discovery(
        resolve(pinned(interfaces)), 0, {}, on_found=on_found, on_gone=lambda _name: None, advertise=False
    )
    await discovery.start()
    try:
        async with asyncio.timeout(within):
            service = await found.get()
        return [format_address(a, service.port) for a in service.addresses]
    except TimeoutError:
        return []
    finally:
        with contextlib.suppress(Exception):
            await discovery.stop()


async def join(
    home: Home,
    invitation: Invitation,
    *,
    member_name: str,
    device_name: str = "",
    addresses: Sequence[str] = (),
    interfaces: Sequence[str] | None = None,
    discovery_timeout: float = DISCOVERY_TIMEOUT,
) -> tuple[Welcome, str]:
    """Redeem the invite with the first inviter that answers; returns what it sent and where."""
    tried: list[str] = []
    last_error = ""
    candidates = [*addresses, *invitation.addresses]
    for round_ in range(2):
        if round_ == 1:
            log.info("looking for the inviting device on the local network")
            candidates = await find_inviters(invitation.hint, interfaces, discovery_timeout)
        for address in candidates:
            if address in tried:
                continue
            tried.append(address)
            try:
                return await _join_at(home, invitation, address, member_name, device_name), address
            except (TransportError, ChannelError, OSError) as exc:
                last_error = str(exc)
                log.info("no join at %s: %s", address, exc)
    if not tried:
        raise MagnetError(
            "could not find the inviting device on this network: give its address with --address HOST:PORT"
        )
    raise MagnetError(
        f"could not reach the inviting device at {', '.join(tried)} ({last_error}); "
        "is 'magnet serve' or the app running there?"
    )


async def _join_at(
    home: Home, invitation: Invitation, address: str, member_name: str, device_name: str = ""
) -> Welcome:
    host, port = parse_address(address, DEFAULT_PORT)
    reader, writer = await open_stream(host, port)
    try:
        return await join_group(
            reader,
            writer,
            identity=home.device,
            code=invitation.code,
            member_name=member_name,
            device_name=device_name,
        )
    finally:
        writer.close()


def welcome_ring(welcome: Welcome) -> KeyRing:
    """The key ring a new device starts with: the inviter's (its epochs and the signed rotations
    it accepted, so later rotations made apart still derive alike), or from an earlier magnet
    only the current secret. The inviter is a member the handshake proved, as for the snapshot."""
    if welcome.keys:
        try:
            ring = KeyRing.from_bytes(welcome.keys, source="the inviter's group keys")
        except MagnetError as exc:
            log.warning("%s; starting from the current group key alone", exc)
        else:
            if ring.current == welcome.secret:
                return ring
            log.warning("the inviter's key ring does not hold the key it sent; starting from that key alone")
    return KeyRing.holding(welcome.secret)


def adopt(
    home: Home,
    welcome: Welcome,
    *,
    inviter_address: str,
    device_name: str | None = None,
    passphrase: str | None = None,
) -> OpenGroup:
    """Store the group the inviter sent, with its key, and remember the inviter as a peer.

    With `passphrase` the store is encrypted at rest, as `magnet init --encrypt` does.
    """
    if passphrase is None:
        group = home.adopt_group(welcome.snapshot)
    else:
        from magnet.sealing import ChunkSealer
        from magnet.unlock import SEALING_KEY

        sealer, header = ChunkSealer.create(passphrase)
        group = home.adopt_group(welcome.snapshot, cipher=sealer, store_meta={SEALING_KEY: header})
    try:
        welcome_ring(welcome).save(group.path)
        own = group.doc.devices.filter(device_id=home.device.device_id, include_archived=True)
        if device_name and own:
            group.doc.devices.update(own[0].id, name=device_name)
        book = PeerBook(group.path)
        book.seen(device_id_for(welcome.inviter_public_key), address=inviter_address)
        book.save()
    except BaseException:
        group.close()
        raise
    return group
