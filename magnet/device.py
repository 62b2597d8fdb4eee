"""This installation's identity: a static X25519 key pair and the device id derived from it."""

from __future__ import annotations

import base64
import contextlib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from magnet.errors import StoreError
from magnet.fileio import write_private
from magnet.secretfile import DamagedSecret, checked_body, read_private, with_checksum

KEY_FILE = "device.key"


def device_id_for(public_key: bytes) -> str:
    """The device id people compare: a hash of the public key, so it cannot be forged."""
    return hashlib.sha256(b"magnet-device-id\x00" + public_key).hexdigest()[:32]


def readable_id(device_id: str) -> str:
    """Show an id in short groups people can read aloud: 'K4ZQ-7M2P-...'.

    A device record is document data, which any member's copy can carry: an id that is not hex
    is shown as it is (cut short), never a crash of `magnet devices` or of a log filter.
    """
    try:
        raw = bytes.fromhex(device_id)
    except ValueError:
        return device_id[:24]
    text = base64.b32encode(raw).decode().rstrip("=")[:20]
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


@dataclass(frozen=True)
class DeviceIdentity:
    """The static key pair that authenticates this device to its group."""

    private_key: bytes = field(repr=False)  # never in a log line or a traceback
    public_key: bytes

    @property
    def device_id(self) -> str:
        return device_id_for(self.public_key)

    @property
    def readable_id(self) -> str:
        return readable_id(self.device_id)

    @classmethod
    def generate(cls) -> DeviceIdentity:
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # only when keys are made

        key = X25519PrivateKey.generate()
        return cls(key.private_bytes_raw(), key.public_key().public_bytes_raw())

    @classmethod
    def from_private(cls, private: bytes) -> DeviceIdentity:
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        key = X25519PrivateKey.from_private_bytes(private)
        return cls(private, key.public_key().public_bytes_raw())

    @classmethod
    def load_or_create(cls, directory: Path) -> DeviceIdentity:
        """Read the device key from `directory`, creating it (0600) on first use.

        A key file other users can read is refused (StoreError) rather than used: whoever
        copied it can pose as this device until it is revoked. A damaged one is refused too:
        a new identity made in its place would be a stranger to every group.
        """
        path = directory / KEY_FILE
        try:
            data = read_private(path, what="device key")
        except FileNotFoundError:
            identity = cls.generate()
            write_private(path, with_checksum(identity.private_key))
            return identity
        try:
            private, checked = checked_body(data)
        except DamagedSecret:
            raise _damaged(path, "its checksum does not match") from None
        if len(private) != 32:
            raise _damaged(path, f"{len(private)} bytes, expected 32")
        if not checked:
            with contextlib.suppress(OSError):  # a key from before checksums gains one
                write_private(path, with_checksum(private))
        return cls.from_private(private)


def _damaged(path: Path, why: str) -> StoreError:
    return StoreError(
        f"{path}: the device key is damaged ({why}). Put back a copy from a backup; without one, move "
        f"it out of {path.parent} and join your groups again as a new device ('magnet invite' on "
        "another device, then 'magnet join CODE' here), and revoke the old one there"
    )
