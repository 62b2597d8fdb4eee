"""The group secret, its epochs, and the keys derived from it for the channel and for discovery.

Every device of a group holds the secret of the current epoch. Removing a member rotates it: a
fresh random secret under the next epoch number, handed only to the devices that remain. Each
use gets its own key through HKDF-SHA256 with a distinct label, so the Noise PSK, the mDNS tag
key and any later use never share key material.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import msgpack

from magnet.errors import StoreError
from magnet.fileio import write_private
from magnet.secretfile import DamagedSecret, checked_body, locked, read_private, with_checksum

SECRET_LEN = 32
MAX_EPOCH = 2**32 - 1
# The mDNS tag changes every hour, so a stranger cannot follow a group from meeting to meeting.
TAG_WINDOW_SECONDS = 3600
TAG_LEN = 8
KEYRING_FILE = "group.keys"
KEYRING_LOCK = "group.keys.lock"
KEYRING_VERSION = 1
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

    def _tiebreak(self) -> bytes:
        return _derive(self.secret, b"tiebreak", self.epoch)


@dataclass
class KeyRing:
    """This device's group secrets: the current epoch and a few earlier ones.

    Earlier epochs let a device that was offline during a rotation still complete a handshake
    (on its old epoch) with a device that then tells it the new secret, provided the
    application finds it is still an active device. Stored 0600 in the group's data dir.
    """

    _secrets: dict[int, GroupSecret] = field(default_factory=dict)

    @classmethod
    def found(cls) -> KeyRing:
        """The key ring of a new group: one random secret at epoch 0."""
        return cls.holding(GroupSecret.generate())

    @classmethod
    def holding(cls, secret: GroupSecret) -> KeyRing:
        """A key ring holding `secret`: what a device that just joined starts with."""
        return cls({secret.epoch: secret})

    @property
    def current(self) -> GroupSecret:
        if not self._secrets:
            raise StoreError("the group key ring is empty")
        return self._secrets[max(self._secrets)]

    @property
    def epochs(self) -> list[int]:
        """The epochs held, newest first."""
        return sorted(self._secrets, reverse=True)

    def get(self, epoch: int) -> GroupSecret | None:
        return self._secrets.get(epoch)

    def rotate(self) -> GroupSecret:
        """Start the next epoch (after a revocation) and return its secret."""
        new = self.current.rotate()
        self._secrets[new.epoch] = new
        self.prune()
        return new

    def adopt(self, secret: GroupSecret) -> bool:
        """Take in a secret a group device sent us; True when the ring changed.

        Two coordinators who rotate while apart both create epoch N+1. Every device keeps the
        same one of the two (the larger tie-break value), so the group converges on one secret
        per epoch without anyone choosing.
        """
        held = self._secrets.get(secret.epoch)
        if held is not None and (
            hmac.compare_digest(held.secret, secret.secret) or held._tiebreak() >= secret._tiebreak()
        ):
            return False
        if held is None and self._secrets and secret.epoch < min(self._secrets):
            return False  # older than anything we keep: of no use
        self._secrets[secret.epoch] = secret
        self.prune()
        return True

    def prune(self, keep_previous: int = KEEP_PREVIOUS_EPOCHS) -> None:
        """Forget all but the current and `keep_previous` earlier epochs."""
        for epoch in self.epochs[keep_previous + 1 :]:
            del self._secrets[epoch]

    def match_discovery_tag(self, tag: str, now: float | None = None) -> GroupSecret | None:
        """The epoch whose tag a peer advertises, newest first; None for a stranger's tag.

        Dial that peer with that epoch: a peer still on an old epoch then connects and can be
        told the new one.
        """
        for epoch in self.epochs:
            if self._secrets[epoch].matches_discovery_tag(tag, now):
                return self._secrets[epoch]
        return None

    # -- persistence ----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        entries = [[s.epoch, s.secret] for s in sorted(self._secrets.values(), key=_epoch)]
        packed: bytes = msgpack.packb({"v": KEYRING_VERSION, "epochs": entries}, use_bin_type=True)
        return packed

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = "group keys") -> KeyRing:
        damaged = StoreError(f"{source}: the group key file is damaged")
        try:
            doc = msgpack.unpackb(data, raw=False, max_bin_len=64, max_str_len=64, max_array_len=1024, max_map_len=8)
        except Exception as exc:
            raise damaged from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("epochs"), list):
            raise damaged
        if doc.get("v") != KEYRING_VERSION:
            raise StoreError(f"{source}: group keys written by another magnet version")
        ring = cls()
        for entry in doc["epochs"]:
            if not (isinstance(entry, list) and len(entry) == 2):
                raise damaged
            epoch, secret = entry
            if not (isinstance(epoch, int) and isinstance(secret, bytes)):
                raise damaged
            try:
                ring._secrets[epoch] = GroupSecret(epoch, secret)
            except ValueError as exc:
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
            yield ring
            ring.save(directory)


def _epoch(secret: GroupSecret) -> int:
    return secret.epoch
