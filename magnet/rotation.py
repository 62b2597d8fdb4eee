"""Signed rotations of the group key: which device moved the group to a new epoch, and whom it shut out.

A rotation is a statement, signed with the rotating device's Ed25519 key: group, new epoch,
author, the devices it revokes, and a commitment to the fresh secret it brings. The secret itself
travels only over the secure channel, always beside its statement, so whoever holds it also
knows whom the rotation revoked. Statements are public in the sense that any device can check
them; whether the author may rotate is the group's decision (sync/authority.py).

Each device's signing key is derived (HKDF) from its X25519 device key, so no new key file is
needed and the device can always rebuild it; its public half is recorded in the device's record.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeGuard

import msgpack

from magnet.device import DeviceIdentity
from magnet.errors import MagnetError

if TYPE_CHECKING:  # cryptography loads only where a key is made or checked (CLI start-up)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

STATEMENT_VERSION = 1
SECRET_LEN = 32
KEY_LEN = 32
SIGNATURE_LEN = 64
MAX_STATEMENT = 8192
MAX_REVOKES = 128
MAX_EPOCH = 2**32 - 1
_SIGNED = b"magnet/1 rotation\x00"


class RotationError(MagnetError):
    """Bytes that are not a well-signed rotation, or a secret that is not the one it commits to."""


def signing_key(identity: DeviceIdentity) -> Ed25519PrivateKey:
    """This device's Ed25519 signing key, derived from its X25519 device key (never stored)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"magnet/1 device signing key").derive(
        identity.private_key
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def signing_public_key(identity: DeviceIdentity) -> bytes:
    """The public half people's devices record, so they can check this device's rotations."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return signing_key(identity).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def commitment(secret: bytes, epoch: int) -> bytes:
    """A one-way commitment to a rotation's fresh secret: the statement names it without showing it."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    info = b"magnet/1 rotation commitment epoch " + str(epoch).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


@dataclass(frozen=True)
class Rotation:
    """One signed rotation. Build with `make`, read with `decode`; both check the signature."""

    group_id: str
    epoch: int
    author: str  # the rotating device's id
    author_key: bytes  # its Ed25519 public key
    revokes: tuple[str, ...]
    commits: bytes
    made_at: int  # seconds since the epoch, as the author's clock said: for people, never for rules
    statement: bytes = field(repr=False)
    signature: bytes = field(repr=False)

    @property
    def id(self) -> str:
        """A stable name for the rotation: a hash of its signed statement."""
        return hashlib.sha256(self.statement).hexdigest()[:32]

    def opens(self, secret: bytes) -> bool:
        """Is `secret` the one this rotation committed to?"""
        return len(secret) == SECRET_LEN and hmac.compare_digest(commitment(secret, self.epoch), self.commits)

    @classmethod
    def make(
        cls,
        identity: DeviceIdentity,
        *,
        group_id: str,
        epoch: int,
        revokes: tuple[str, ...] | list[str] = (),
        secret: bytes | None = None,
        now: float | None = None,
    ) -> tuple[Rotation, bytes]:
        """A rotation signed by `identity`, and its fresh random secret."""
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        fresh = os.urandom(SECRET_LEN) if secret is None else secret
        key = signing_key(identity)
        body = {
            "v": STATEMENT_VERSION,
            "g": group_id,
            "e": epoch,
            "a": identity.device_id,
            "k": key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
            "r": sorted(set(revokes)),
            "c": commitment(fresh, epoch),
            "t": int(time.time() if now is None else now),
        }
        statement: bytes = msgpack.packb(body, use_bin_type=True)
        return cls.decode(statement, key.sign(_SIGNED + statement)), fresh

    @classmethod
    def decode(cls, statement: bytes, signature: bytes) -> Rotation:
        """Read a statement and check its signature under the key it names; RotationError if not."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        if not isinstance(statement, bytes) or not 0 < len(statement) <= MAX_STATEMENT:
            raise RotationError("a rotation statement of a wrong size")
        if not isinstance(signature, bytes) or len(signature) != SIGNATURE_LEN:
            raise RotationError("a rotation signature of a wrong size")
        try:
            body = msgpack.unpackb(
                statement, raw=False, max_str_len=256, max_bin_len=64, max_array_len=MAX_REVOKES, max_map_len=16
            )
        except Exception as exc:  # msgpack raises several types
            raise RotationError("an unreadable rotation statement") from exc
        if not isinstance(body, dict) or body.get("v") != STATEMENT_VERSION:
            raise RotationError("a rotation statement of another version")
        group, epoch, author, key = body.get("g"), body.get("e"), body.get("a"), body.get("k")
        revokes, commits, made = body.get("r"), body.get("c"), body.get("t", 0)
        if not (
            isinstance(group, str)
            and _is_int(epoch)
            and 0 < epoch <= MAX_EPOCH
            and isinstance(author, str)
            and isinstance(key, bytes)
            and len(key) == KEY_LEN
            and isinstance(revokes, list)
            and all(isinstance(r, str) and len(r) <= 64 for r in revokes)
            and isinstance(commits, bytes)
            and len(commits) == 32
            and _is_int(made)
        ):
            raise RotationError("a malformed rotation statement")
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(signature, _SIGNED + statement)
        except (InvalidSignature, ValueError) as exc:
            raise RotationError("a rotation whose signature does not match") from exc
        return cls(group, epoch, author, key, tuple(revokes), commits, made, statement, signature)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
