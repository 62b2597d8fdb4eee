"""This installation's identity: a static X25519 key pair and the device id derived from it."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from magnet.errors import StoreError
from magnet.fileio import write_private
from magnet.secretfile import read_private

KEY_FILE = "device.key"


def device_id_for(public_key: bytes) -> str:
    """The device id people compare: a hash of the public key, so it cannot be forged."""
    return hashlib.sha256(b"magnet-device-id\x00" + public_key).hexdigest()[:32]


def readable_id(device_id: str) -> str:
    """Show an id in short groups people can read aloud: 'K4ZQ-7M2P-...'."""
    raw = bytes.fromhex(device_id)
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
        copied it can pose as this device until it is revoked.
        """
        path = directory / KEY_FILE
        try:
            data = read_private(path, what="device key")
        except FileNotFoundError:
            data = None
        if data is not None:
            if len(data) != 32:
                raise StoreError(f"{path}: device key is damaged ({len(data)} bytes, expected 32)")
            return cls.from_private(data)
        identity = cls.generate()
        write_private(path, identity.private_key)
        return identity
