"""The group's keys and devices as the node uses them: Noise channels, who gets in, new epochs, joins.

Every connection of the product goes through here. A peer is let in only if the Noise handshake
proves it holds the group key of an epoch we keep and its static key is an active device of the
document that no accepted rotation revoked; anything else is refused inside the handshake, before
a byte of the document is sent or any of its data read. New epochs come only as signed rotations
the group's rules accept (sync/authority.py). Keys and invites live in files another process (the
CLI) may change, so they are re-read when their files change.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import date, datetime
from pathlib import Path

from magnet.device import DeviceIdentity, device_id_for
from magnet.errors import MagnetError
from magnet.groupkey import KEYRING_FILE, KeyRing, Taken
from magnet.home import OpenGroup
from magnet.records import Device
from sync.authority import record_signing_key, require_coordinator, verifier
from sync.channel import (
    ChannelError,
    HandshakeFailed,
    HandshakeRefused,
    HelloKind,
    Refusal,
    SecureChannel,
    accept,
    admit_members,
    connect,
)
from sync.guesses import GuessGate
from sync.invite import JoinRequest, admit_joins, offer_invite
from sync.invitebook import INVITES_FILE, InviteBook
from sync.protocol import DEFAULT_MAX_MESSAGE
from sync.transport import MessageChannel, Refused, TransportError

log = logging.getLogger("magnet.sync.secure")


def ensure_keyring(directory: Path) -> KeyRing:
    """The group's key ring; a group made before keys existed gets its first one now.

    Safe: nobody else can hold a key for a group that never had one, so no device is cut off.
    """
    try:
        return KeyRing.load(directory)
    except MagnetError:
        if (directory / KEYRING_FILE).exists():
            raise
    ring = KeyRing.found()
    ring.save(directory)
    log.info("created the group's key in %s", directory)
    return ring


def active_device(group: OpenGroup, device_id: str, public_key: bytes | None = None) -> Device | None:
    """The device record that lets `device_id` in: not revoked, not archived, matching key."""
    for device in group.doc.devices.filter(device_id=device_id):
        if device.revoked or device.archived:
            continue
        if public_key is not None and device.public_key and device.public_key != public_key.hex():
            continue
        return device
    return None


class SecureMessages:
    """A SecureChannel seen as the node's MessageChannel (its errors as TransportError)."""

    def __init__(self, channel: SecureChannel) -> None:
        self.channel = channel
        self.peer_address = channel.peer_address
        self.peer_device_id: str | None = channel.peer_device_id

    async def send(self, message: bytes) -> None:
        try:
            await self.channel.send(message)
        except ChannelError as exc:
            raise TransportError(str(exc), self.peer_address) from exc

    async def recv(self) -> bytes:
        try:
            return await self.channel.recv()
        except ChannelError as exc:
            raise TransportError(str(exc), self.peer_address) from exc

    def close(self) -> None:
        self.channel.close()

    async def wait_closed(self) -> None:
        await self.channel.wait_closed()


class GroupSecurity:
    """The product's link and membership: Noise XXpsk3 channels for one group's devices."""

    secure = True

    def __init__(
        self,
        group: OpenGroup,
        identity: DeviceIdentity,
        *,
        handshake_timeout: float = 10.0,
        max_message: int = DEFAULT_MAX_MESSAGE,
        guesses: GuessGate | None = None,
    ) -> None:
        self.group = group
        self.identity = identity
        self.handshake_timeout = handshake_timeout
        self.max_message = max_message
        self.invites = InviteBook(group.path)
        self.guesses = guesses or GuessGate()
        self._ring = ensure_keyring(group.path)
        self._stamps = self._file_stamps()
        self._hints: list[str] = self._read_hints()
        try:  # a device enrolled by an earlier magnet: others need its key to check its rotations
            record_signing_key(group, identity)
        except MagnetError as exc:
            log.warning("could not record this device's signing key: %s", exc)

    # ---- keys ----------------------------------------------------------------------------

    def ring(self) -> KeyRing:
        return self._ring

    def epoch(self) -> int:
        return self._ring.current.epoch

    def key_digest(self) -> bytes:
        return self._ring.digest

    def rotations(self) -> list[tuple[bytes, bytes, bytes]]:
        return self._ring.offer()

    def newer_secret(self, peer_epoch: int) -> tuple[int, bytes] | None:
        """The current key for a peer running an earlier magnet (it cannot read rotations)."""
        current = self._ring.current
        return (current.epoch, current.secret) if peer_epoch < current.epoch else None

    def take_rotations(self, items: list[tuple[bytes, bytes, bytes]], sender: str) -> Taken:
        """Rotations a peer sent: kept if well signed; counted once the group's rules accept them."""
        with KeyRing.editing(self.group.path) as ring:
            taken = ring.take(items, group_id=self.group.doc.group_id, verify=verifier(self.group.doc), sender=sender)
        self._reload()
        return taken

    def recheck(self) -> bool:
        """Count rotations that waited for the document (an author's record); True when some do now."""
        if not self._ring.pending():
            return False
        with KeyRing.editing(self.group.path) as ring:
            counted = ring.recheck(verifier(self.group.doc))
        self._reload()
        return bool(counted)

    def revoked(self) -> frozenset[str]:
        return self._ring.revoked

    def _reload(self) -> None:
        try:
            self._ring = KeyRing.load(self.group.path)
        except MagnetError as exc:
            log.warning("keeping the group keys already loaded: %s", exc)
        self._stamps = self._file_stamps()

    def discovery_tag(self) -> str:
        return self._ring.current.discovery_tag()

    def previous_discovery_tag(self) -> str | None:
        """The tag of the epoch before: a peer that rotated apart from us still holds it."""
        previous = self._ring.previous()
        return previous.discovery_tag() if previous is not None else None

    def epoch_for_tag(self, tag: str) -> int | None:
        secret = self._ring.match_discovery_tag(tag)
        return None if secret is None else secret.epoch

    def invite_hints(self) -> list[str]:
        return self._hints

    def refresh(self) -> bool:
        """Re-read the key ring and invite book if another process changed them."""
        stamps = self._file_stamps()
        if stamps == self._stamps:
            return False
        self._stamps = stamps
        try:
            self._ring = KeyRing.load(self.group.path)
        except MagnetError as exc:
            log.warning("keeping the group keys already loaded: %s", exc)
        self._hints = self._read_hints()
        return True

    def _read_hints(self) -> list[str]:
        try:
            return self.invites.mdns_hints()
        except MagnetError as exc:
            log.warning("cannot read the invite book: %s", exc)
            return []

    def _file_stamps(self) -> tuple[tuple[int, int], ...]:
        stamps = []
        for name in (KEYRING_FILE, INVITES_FILE):
            try:
                st = os.stat(self.group.path / name)
                stamps.append((st.st_mtime_ns, st.st_ino))
            except OSError:
                stamps.append((0, 0))
        return tuple(stamps)

    # ---- devices -------------------------------------------------------------------------

    def allows(self, device_id: str) -> bool:
        return (
            device_id != self.identity.device_id
            and device_id not in self._ring.revoked
            and active_device(self.group, device_id) is not None
        )

    def allows_key(self, public_key: bytes) -> bool:
        device_id = device_id_for(public_key)
        return (
            device_id != self.identity.device_id
            and device_id not in self._ring.revoked
            and active_device(self.group, device_id, public_key) is not None
        )

    def device_name(self, device_id: str) -> str:
        found = self.group.doc.devices.filter(device_id=device_id, include_archived=True)
        return found[0].name if found else ""

    # ---- the link ------------------------------------------------------------------------

    async def dial(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, epoch: int | None
    ) -> MessageChannel:
        secret = (self._ring.get(epoch) if epoch is not None else None) or self._ring.current
        itself = False

        def authorize(public_key: bytes) -> bool:
            nonlocal itself
            itself = public_key == self.identity.public_key
            return not itself and self.allows_key(public_key)

        try:
            channel = await connect(
                reader,
                writer,
                identity=self.identity,
                secret=secret,
                authorize=authorize,
                handshake_timeout=self.handshake_timeout,
                max_message=self.max_message,
            )
        except HandshakeRefused as exc:
            retry = None
            if exc.reason is Refusal.UNKNOWN_EPOCH and self._ring.get(exc.detail) is not None:
                retry = exc.detail if exc.detail != secret.epoch else None
            elif exc.reason is Refusal.KEY_MISMATCH and exc.by_peer:
                # The peer holds another key for this epoch (a rotation made apart): an older
                # epoch both hold lets the two meet and merge their rotations.
                retry = next((e for e in self._ring.epochs if e < secret.epoch), None)
            raise Refused(str(exc), exc.peer or "", itself=itself, retry_epoch=retry) from exc
        except HandshakeFailed as exc:  # another group's key: refused, not a network problem
            raise Refused(str(exc), exc.peer or "") from exc
        except ChannelError as exc:
            raise TransportError(str(exc), exc.peer or "") from exc
        return SecureMessages(channel)

    async def answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> MessageChannel:
        peer = writer.get_extra_info("peername")
        source = str(peer[0]) if isinstance(peer, tuple) else "unknown"
        joins = admit_joins(self.invites, guesses=self.guesses, source=source)
        admit = admit_members(self.ring, self.allows_key, joins=joins)
        try:
            channel = await accept(
                reader,
                writer,
                identity=self.identity,
                admit=admit,
                handshake_timeout=self.handshake_timeout,
                max_message=self.max_message,
            )
        except (HandshakeRefused, HandshakeFailed) as exc:
            raise Refused(str(exc), exc.peer or "") from exc
        except ChannelError as exc:
            raise TransportError(str(exc), exc.peer or "") from exc
        except MagnetError as exc:  # an unreadable invite book or key ring
            raise TransportError(f"cannot answer: {exc}") from exc
        return SecureMessages(channel)

    # ---- joins ---------------------------------------------------------------------------

    def is_join(self, channel: MessageChannel) -> bool:
        return isinstance(channel, SecureMessages) and channel.channel.hello.kind is not HelloKind.MEMBER

    async def welcome(self, channel: MessageChannel) -> str:
        """Give a device that proved an invite the group secret and a snapshot that lists it."""
        assert isinstance(channel, SecureMessages)
        try:
            request = await offer_invite(
                channel.channel,
                book=self.invites,
                secret=self._ring.current,
                keys=self._ring.for_new_device().to_bytes(),
                enroll=self._enroll,
            )
        except ChannelError as exc:
            raise TransportError(str(exc), channel.peer_address) from exc
        who = request.member_name or f"shared device {request.device_name!r}"
        return f"{who} joined with device {request.device_id[:8]}"

    def _enroll(self, request: JoinRequest) -> bytes:
        if request.device_id in self._ring.revoked:
            raise MagnetError(
                "this device was revoked by a key rotation and stays out; to join again it needs a new "
                "device key (join from a fresh data dir)"
            )
        enroll_device(
            self.group, request.device_public_key, request.member_name, request.device_name, request.signing_key
        )
        return self.group.doc.save()


def enroll_device(
    group: OpenGroup, public_key: bytes, member_name: str, device_name: str = "", signing_key: bytes = b""
) -> str:
    """Record a joining device in the document, linked to its member (found by name or added).

    No member name: a shared device (a Pi at the rally point) that speaks for nobody. Returns the
    device record's id. A device whose record was marked revoked and is invited again is let in
    again (an invite is a member's explicit decision) unless a key rotation revoked it.
    `signing_key` is the Ed25519 key it sent over the join channel, for its own rotations.
    """
    doc = group.doc
    device_id = device_id_for(public_key)
    signing = {"signing_key": signing_key.hex()} if signing_key else {}
    member_id = ""
    name = device_name.strip()
    if member_name.strip():
        wanted = member_name.strip().casefold()
        member = next((m for m in doc.members.all() if m.name.strip().casefold() == wanted), None)
        if member is None:
            member = doc.members.add(name=member_name.strip(), joined=date.today())
        member_id = member.id
        name = name or f"{member.name}'s device"
    existing = doc.devices.filter(device_id=device_id, include_archived=True)
    if existing:
        renamed = {"name": device_name.strip()} if device_name.strip() else {}  # else keep the name it has
        record = doc.devices.update(
            existing[0].id, revoked=False, public_key=public_key.hex(), member_id=member_id, **renamed, **signing
        )
        if record.archived:
            record = doc.devices.restore(record.id)
        return record.id
    return doc.devices.add(
        name=name,
        device_id=device_id,
        public_key=public_key.hex(),
        member_id=member_id,
        added_at=datetime.now(),
        **signing,
    ).id


def revoke_device(group: OpenGroup, device: Device) -> int | None:
    """Revoke `device` for good with a signed rotation to a new epoch; that epoch, or None when a
    rotation revoked it already.

    Only a coordinator's device may (MagnetError otherwise, naming whom to ask). The device's
    record is marked revoked too, so lists show it and devices running an earlier magnet refuse
    it; the rotation, with its fresh secret, reaches the remaining devices over their
    authenticated sessions. What the device already synced stays on it (SECURITY.md).
    """
    identity = group.home.device
    if device.device_id == identity.device_id:
        raise MagnetError("that is this device: revoke it from another device of the group")
    ring = ensure_keyring(group.path)
    if device.device_id in ring.revoked:
        if not device.revoked:
            group.doc.devices.update(device.id, revoked=True, revoked_at=datetime.now())
        return None
    require_coordinator(group, identity)
    record_signing_key(group, identity)  # before the rotation: the others check it against this
    if not device.revoked:
        group.doc.devices.update(device.id, revoked=True, revoked_at=datetime.now())
    with KeyRing.editing(group.path) as ring:
        return ring.rotate(identity, group_id=group.doc.group_id, revokes=[device.device_id]).epoch
