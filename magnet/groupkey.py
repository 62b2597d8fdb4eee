"""The group secret, its epochs, and the keys derived from it for the channel and for discovery.

Every device of a group holds the key of the current epoch. Removing a member rotates it: a
signed rotation (magnet/rotation.py) brings a fresh random secret, handed only to the devices
that remain, and the next epoch's key is derived from the previous one and the secrets of every
rotation to it. Each use gets its own key through HKDF-SHA256 with a distinct label, so the
Noise PSK, the mDNS tag key and any later use never share key material.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import msgpack

from magnet.device import DeviceIdentity
from magnet.errors import StoreError
from magnet.fileio import write_private
from magnet.rotation import MAX_STATEMENT, Rotation, RotationError
from magnet.secretfile import DamagedSecret, checked_body, locked, read_private, with_checksum

SECRET_LEN = 32
MAX_EPOCH = 2**32 - 1
# The mDNS tag changes every hour, so a stranger cannot follow a group from meeting to meeting.
TAG_WINDOW_SECONDS = 3600
TAG_LEN = 8
KEYRING_FILE = "group.keys"
KEYRING_LOCK = "group.keys.lock"
KEYRING_VERSION = 2  # with rotations
PLAIN_VERSION = 1  # epochs only, as magnet wrote before rotations were signed
DIGEST_LEN = 16
MAX_TAKEN = 256  # rotations taken from one message
MAX_PENDING = 32  # rotations kept while they wait for the group's rules to let them count
MAX_CHAIN = 64  # derived epochs kept before the oldest fold into a plain one
# Earlier epochs kept so a device that was offline during a rotation can still be recognised and
# told the new secret; see SECURITY.md for why old epochs never admit a revoked device.
KEEP_PREVIOUS_EPOCHS = 4

_LABEL = b"magnet/1 "


def _derive(secret: bytes, label: bytes, epoch: int, length: int = 32) -> bytes:
    from cryptography.hazmat.primitives import hashes  # imported here: most commands derive no key
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    info = _LABEL + label + b" epoch " + str(epoch).encode()
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


def _window(now: float) -> int:
    return int(now // TAG_WINDOW_SECONDS)


@dataclass(frozen=True)
class GroupSecret:
    """One epoch of the group secret. The secret never appears in a repr or a log."""

    epoch: int
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.epoch <= MAX_EPOCH:
            raise ValueError(f"epoch out of range: {self.epoch}")
        if len(self.secret) != SECRET_LEN:
            raise ValueError(f"group secret must be {SECRET_LEN} bytes")

    @classmethod
    def generate(cls, epoch: int = 0) -> GroupSecret:
        return cls(epoch, os.urandom(SECRET_LEN))

    def rotate(self) -> GroupSecret:
        """The next epoch: a fresh random secret, unrelated to this one.

        Fresh rather than derived, so a removed member who kept this secret learns nothing of
        the next.
        """
        return GroupSecret(self.epoch + 1, os.urandom(SECRET_LEN))

    def bundle_key(self) -> bytes:
        """The 32-byte AEAD key that seals bundles carried on USB sticks."""
        return _derive(self.secret, b"bundle", self.epoch)

    def channel_psk(self) -> bytes:
        """The 32-byte Noise PSK that keeps strangers out of the group's connections."""
        return _derive(self.secret, b"channel psk", self.epoch)

    def discovery_key(self) -> bytes:
        """The key behind the rotating mDNS tag."""
        return _derive(self.secret, b"discovery tag", self.epoch)

    def discovery_tag(self, now: float | None = None) -> str:
        """The tag this group advertises during the hour that holds `now` (default: the clock).

        An HMAC of the hour number: members recognise it, strangers see a random string that
        changes every hour and cannot link it to the group or to the previous hour.
        """
        return self._tag_for(_window(time.time() if now is None else now))

    def discovery_tags(self, now: float | None = None) -> frozenset[str]:
        """The tags accepted at `now`: this hour, the previous one and the next one.

        The previous covers a peer that has not re-advertised yet; the next covers a clock a
        little ahead (a Raspberry Pi without network time keeps its last saved time).
        """
        window = _window(time.time() if now is None else now)
        return frozenset(self._tag_for(w) for w in (window - 1, window, window + 1))

    def matches_discovery_tag(self, tag: str, now: float | None = None) -> bool:
        return any(hmac.compare_digest(tag, t) for t in self.discovery_tags(now))

    def _tag_for(self, window: int) -> str:
        mac = hmac.new(self.discovery_key(), b"window " + str(window).encode(), hashlib.sha256)
        return base64.b32encode(mac.digest()[:TAG_LEN]).decode().rstrip("=").lower()


@dataclass(frozen=True)
class HeldRotation:
    """A rotation this device holds, with its secret; `accepted` once the group's rules let it count."""

    rotation: Rotation
    secret: bytes = field(repr=False)
    accepted: bool


@dataclass(frozen=True)
class Taken:
    """What `KeyRing.take` made of rotations a peer sent."""

    accepted: tuple[Rotation, ...] = ()
    pending: tuple[Rotation, ...] = ()
    refused: tuple[str, ...] = ()  # why items were dropped
    sender_revoked: bool = False  # nothing was taken: they revoke the device that sent them

    @property
    def changed(self) -> bool:
        return bool(self.accepted)


Verify = Callable[[Rotation], str | None]
"""The group's rule for a rotation: None when it counts, else why it waits (sync/authority.py)."""


@dataclass
class KeyRing:
    """This device's group keys: plain epochs it was given, and the signed rotations since.

    A plain epoch is a secret this device received whole: the group's first, the one it joined
    with, or one an earlier magnet wrote. Every later epoch is derived from the one before and
    the fresh secrets of all accepted rotations to it (sorted by rotation id), so two rotations
    made apart both count and every device that holds both derives the same key. A device
    revoked by either lacks that rotation's secret, and so every key from that epoch on.

    Earlier epochs are kept (the current and four before are offered to handshakes) so a
    device that was offline during a rotation can still be recognised and told the new one.
    Stored 0600 in the group's data dir.
    """

    _secrets: dict[int, GroupSecret] = field(default_factory=dict)
    _rotations: dict[str, HeldRotation] = field(default_factory=dict)
    _folded: set[str] = field(default_factory=set)  # revocations of rotations folded into the base
    _chain: dict[int, GroupSecret] | None = field(default=None, repr=False)
    _summary: tuple[frozenset[str], bytes] | None = field(default=None, repr=False)  # (revoked, digest)

    @classmethod
    def found(cls) -> KeyRing:
        """The key ring of a new group: one random secret at epoch 0."""
        return cls.holding(GroupSecret.generate())

    @classmethod
    def holding(cls, secret: GroupSecret) -> KeyRing:
        """A key ring holding `secret`: what a device that joined from an earlier magnet starts with."""
        return cls({secret.epoch: secret})

    # ---- keys ----------------------------------------------------------------------------

    @property
    def current(self) -> GroupSecret:
        chain = self._keys()
        return chain[max(chain)]

    @property
    def epochs(self) -> list[int]:
        """The epochs offered to handshakes, newest first: the current one and a few before."""
        return sorted(self._keys(), reverse=True)[: KEEP_PREVIOUS_EPOCHS + 1]

    def get(self, epoch: int) -> GroupSecret | None:
        return self._keys().get(epoch) if epoch in self.epochs else None

    def previous(self) -> GroupSecret | None:
        """The epoch before the current one, if held: its tag lets a peer that moved on apart
        still find this device by mDNS."""
        epochs = self.epochs
        return self._keys()[epochs[1]] if len(epochs) > 1 else None

    def match_discovery_tag(self, tag: str, now: float | None = None) -> GroupSecret | None:
        """The epoch whose tag a peer advertises, newest first; None for a stranger's tag.

        Dial that peer with that epoch: a peer still on an old epoch then connects and can be
        told the new one.
        """
        chain = self._keys()
        for epoch in self.epochs:
            if chain[epoch].matches_discovery_tag(tag, now):
                return chain[epoch]
        return None

    def _keys(self) -> dict[int, GroupSecret]:
        if self._chain is not None:
            return self._chain
        if not self._secrets:
            raise StoreError("the group key ring is empty")
        chain = dict(self._secrets)
        base = max(chain)
        by_epoch: dict[int, list[HeldRotation]] = {}
        for held in self._rotations.values():
            if held.accepted and held.rotation.epoch > base:
                by_epoch.setdefault(held.rotation.epoch, []).append(held)
        epoch = base + 1
        while epoch in by_epoch:
            chain[epoch] = _next_epoch(chain[epoch - 1], by_epoch[epoch])
            epoch += 1
        self._chain = chain
        return chain

    # ---- rotations -----------------------------------------------------------------------

    def rotate(self, identity: DeviceIdentity, *, group_id: str, revokes: Sequence[str] = ()) -> Rotation:
        """Move the group to the next epoch, signed by `identity`, revoking `revokes`.

        The caller decides whether this device may rotate (sync/authority.py); the ring only
        records it. Returns the rotation to hand to the other devices.
        """
        rotation, secret = Rotation.make(
            identity, group_id=group_id, epoch=self.current.epoch + 1, revokes=tuple(revokes)
        )
        self._hold(HeldRotation(rotation, secret, accepted=True))
        return rotation

    @property
    def revoked(self) -> frozenset[str]:
        """Every device an accepted rotation revoked: the union, whoever rotated and in what order."""
        return self._summarise()[0]

    def revoked_by(self, device_id: str) -> Rotation | None:
        """The earliest accepted rotation that revoked `device_id`, if any."""
        found = [h.rotation for h in self._rotations.values() if h.accepted and device_id in h.rotation.revokes]
        return min(found, key=lambda r: (r.epoch, r.id)) if found else None

    def rotations(self) -> list[Rotation]:
        """The accepted rotations, oldest first."""
        held = [h.rotation for h in self._rotations.values() if h.accepted]
        return sorted(held, key=lambda r: (r.epoch, r.id))

    @property
    def digest(self) -> bytes:
        """A short hash of the accepted rotations: two devices with equal digests hold the same."""
        return self._summarise()[1]

    def _summarise(self) -> tuple[frozenset[str], bytes]:
        if self._summary is None:  # asked for every message the node sends: worked out once per change
            revoked = set(self._folded)
            ids = []
            for held in self._rotations.values():
                if held.accepted:
                    revoked.update(held.rotation.revokes)
                    ids.append(held.rotation.id)
            digest = hashlib.sha256("\n".join(sorted(ids)).encode()).digest()[:DIGEST_LEN]
            self._summary = (frozenset(revoked), digest)
        return self._summary

    def offer(self) -> list[tuple[bytes, bytes, bytes]]:
        """The accepted rotations with their secrets, for a device this one lets in."""
        return [(h.rotation.statement, h.rotation.signature, h.secret) for h in self._sorted(accepted=True)]

    def take(
        self,
        items: Sequence[tuple[bytes, bytes, bytes]],
        *,
        group_id: str,
        verify: Verify,
        sender: str | None = None,
    ) -> Taken:
        """Take in rotations a peer sent: each must be well signed, for this group, and carry the
        secret it commits to; then `verify` decides whether it counts now or waits.

        Nothing is taken from a `sender` that these rotations, or ones already held, revoke:
        a revoked device can never move this device to a key it knows.
        """
        refused: list[str] = []
        fresh: list[HeldRotation] = []
        for statement, signature, secret in items[:MAX_TAKEN]:
            try:
                rotation = Rotation.decode(statement, signature)
            except RotationError as exc:
                refused.append(str(exc))
                continue
            if rotation.group_id != group_id:
                refused.append("a rotation of another group")
            elif not rotation.opens(secret):
                refused.append("a rotation whose secret is not the one it commits to")
            else:
                fresh.append(HeldRotation(rotation, secret, accepted=False))
        if sender is not None and (sender in self.revoked or any(sender in h.rotation.revokes for h in fresh)):
            return Taken(refused=tuple(refused), sender_revoked=True)
        accepted: list[Rotation] = []
        pending: list[Rotation] = []
        for held in fresh:
            known = self._rotations.get(held.rotation.id)
            if known is not None and known.accepted:
                continue
            reason = verify(held.rotation)
            self._hold(HeldRotation(held.rotation, held.secret, accepted=reason is None))
            (accepted if reason is None else pending).append(held.rotation)
        return Taken(tuple(accepted), tuple(pending), tuple(refused))

    def recheck(self, verify: Verify) -> list[Rotation]:
        """Rotations that waited (say, for the author's record to arrive) and count now."""
        now_accepted = []
        for held in self._sorted(accepted=False):
            if verify(held.rotation) is None:
                self._hold(HeldRotation(held.rotation, held.secret, accepted=True))
                now_accepted.append(held.rotation)
        return now_accepted

    def for_new_device(self) -> KeyRing:
        """A copy without the rotations still waiting: what a device that joins through this one gets."""
        accepted = {k: h for k, h in self._rotations.items() if h.accepted}
        return KeyRing(dict(self._secrets), accepted, set(self._folded))

    def pending(self) -> list[Rotation]:
        return [h.rotation for h in self._sorted(accepted=False)]

    def _sorted(self, *, accepted: bool) -> list[HeldRotation]:
        held = [h for h in self._rotations.values() if h.accepted == accepted]
        return sorted(held, key=lambda h: (h.rotation.epoch, h.rotation.id))

    def _hold(self, held: HeldRotation) -> None:
        self._rotations[held.rotation.id] = held
        waiting = [k for k, h in self._rotations.items() if not h.accepted]
        for key in waiting[: max(0, len(waiting) - MAX_PENDING)]:
            del self._rotations[key]  # oldest first: a member cannot fill the file with junk
        self._chain = self._summary = None
        self._fold()

    def _fold(self) -> None:
        """Keep at most MAX_CHAIN derived epochs: older ones become the plain base, and the
        devices their rotations revoked stay revoked."""
        chain = self._keys()
        base = max(self._secrets)
        if max(chain) - base <= MAX_CHAIN:
            return
        new_base = max(chain) - KEEP_PREVIOUS_EPOCHS
        self._secrets = {new_base: chain[new_base]}
        for key, held in list(self._rotations.items()):
            if held.rotation.epoch <= new_base:
                if held.accepted:
                    self._folded.update(held.rotation.revokes)
                del self._rotations[key]
        self._chain = self._summary = None

    # -- persistence ----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The key ring's content (msgpack), the one place its format lives. A ring without
        rotations keeps the form magnet wrote before rotations were signed."""
        keep = set(self.epochs) | {max(self._secrets)}
        epochs = [[e, s.secret] for e, s in sorted(self._secrets.items()) if e in keep]
        doc: dict[str, object] = {"v": PLAIN_VERSION, "epochs": epochs}
        if self._rotations or self._folded:
            doc["v"] = KEYRING_VERSION
            doc["rotations"] = [
                [h.rotation.statement, h.rotation.signature, h.secret, h.accepted]
                for h in sorted(self._rotations.values(), key=lambda h: (h.rotation.epoch, h.rotation.id))
            ]
            doc["folded"] = sorted(self._folded)
        packed: bytes = msgpack.packb(doc, use_bin_type=True)
        return packed

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = "group keys") -> KeyRing:
        damaged = StoreError(f"{source}: the group key file is damaged")
        try:
            doc = msgpack.unpackb(
                data,
                raw=False,
                max_bin_len=MAX_STATEMENT,
                max_str_len=64,
                max_array_len=4096,
                max_map_len=8,
            )
        except Exception as exc:
            raise damaged from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("epochs"), list):
            raise damaged
        if doc.get("v") not in (PLAIN_VERSION, KEYRING_VERSION):
            raise StoreError(f"{source}: group keys written by another magnet version")
        ring = cls()
        try:
            for epoch, secret in doc["epochs"]:
                ring._secrets[epoch] = GroupSecret(epoch, secret)
            for statement, signature, secret, accepted in doc.get("rotations", []):
                rotation = Rotation.decode(statement, signature)
                if not (rotation.opens(secret) and isinstance(accepted, bool)):
                    raise damaged
                ring._rotations[rotation.id] = HeldRotation(rotation, secret, accepted)
            folded = doc.get("folded", [])
            if not all(isinstance(d, str) for d in folded):
                raise damaged
            ring._folded = set(folded)
        except (TypeError, ValueError, RotationError) as exc:
            raise damaged from exc
        if not ring._secrets:
            raise damaged
        return ring

    def save(self, directory: Path) -> None:
        """Write the ring to `directory` (0600, atomic), with a checksum."""
        write_private(directory / KEYRING_FILE, with_checksum(self.to_bytes()))

    @classmethod
    def load(cls, directory: Path) -> KeyRing:
        """Read the ring from `directory`; StoreError when it is missing, exposed or damaged.

        A damaged file is an error that says what to do, never a different secret: the file
        carries a checksum (files from before it load as they are and gain one when saved).
        """
        path = directory / KEYRING_FILE
        try:
            data = read_private(path, what="group key file")
        except FileNotFoundError as exc:
            raise StoreError(f"{path}: no group keys here; join or create a group first") from exc
        damaged = StoreError(
            f"{path}: the group key file is damaged. Put back a copy from a backup; without one, move the "
            f"folder {directory} out of {directory.parent} and join the group again ('magnet invite' on "
            "another device, then 'magnet join CODE' here)"
        )
        try:
            body, checked = checked_body(data)
        except DamagedSecret as exc:
            raise damaged from exc
        try:
            return cls.from_bytes(body, source=str(path))
        except StoreError as exc:
            if checked:
                raise  # intact, in a form this version does not read
            raise damaged from exc

    @classmethod
    @contextmanager
    def editing(cls, directory: Path) -> Iterator[KeyRing]:
        """Load, change and save the ring while holding its lock.

        Two processes on one data dir (the CLI and `magnet serve`) may both rotate or adopt;
        the lock keeps one from overwriting the other's epoch.
        """
        with locked(directory / KEYRING_LOCK):
            ring = cls.load(directory)
            before = ring.to_bytes()
            yield ring
            if ring.to_bytes() != before:
                ring.save(directory)


def _next_epoch(before: GroupSecret, rotations: Sequence[HeldRotation]) -> GroupSecret:
    """The key of the epoch after `before`, from the fresh secrets of every rotation to it."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    ordered = sorted(rotations, key=lambda h: h.rotation.id)
    info = _LABEL + b"epoch key epoch " + str(before.epoch + 1).encode()
    key = HKDF(algorithm=hashes.SHA256(), length=SECRET_LEN, salt=before.secret, info=info).derive(
        b"".join(h.secret for h in ordered)
    )
    return GroupSecret(before.epoch + 1, key)
