"""Encryption at rest for a group's store: a passphrase unlocks a data key that seals each chunk.

The passphrase goes through Argon2id (memory-hard, RFC 9106) to a key-encryption key; that key
wraps a random 32-byte data key with ChaCha20-Poly1305. Each chunk is sealed under the data key
with ChaCha20-Poly1305 and a random 96-bit nonce. The wrap doubles as the key check: a wrong
passphrase fails its tag and is reported as such, never as garbage. Changing the passphrase
rewraps the data key and leaves the chunks alone.

Random 96-bit nonces are safe up to about 2**32 chunks per key (collision chance below 2**-32);
a group's store writes thousands to a few million chunks in its life. pyca/cryptography has no
XChaCha20-Poly1305, and adding a library for a margin we do not need is not worth it.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from magnet.errors import MagnetError, StoreError

KDF_NAME = "argon2id"
AEAD_NAME = "chacha20-poly1305"
HEADER_VERSION = 1
CHUNK_VERSION = 1
KEY_LEN = 32
NONCE_LEN = 12
TAG_LEN = 16
SALT_LEN = 16
_WRAP_AD = b"magnet/1 sealing data key"


class WrongPassphrase(MagnetError):
    """The passphrase does not unlock this store."""

    def __init__(self) -> None:
        super().__init__("wrong passphrase")


class SealedDataDamaged(StoreError):
    """A sealed chunk failed authentication: damaged on disk, or altered."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. The default is RFC 9106's choice for memory-constrained machines.

    64 MiB, 3 passes, 4 lanes: 80 ms on the development machine (x86-64, 2 cores); about
    0.4-0.8 s expected on a Raspberry Pi 4, the slowest machine we aim at. Tests pass smaller
    values; `unlock` refuses values outside the bounds so a doctored header cannot make us
    allocate gigabytes or weaken the key silently.
    """

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    MIN_MEMORY_KIB = 8
    MAX_MEMORY_KIB = 1024 * 1024
    MAX_ITERATIONS = 16
    MAX_LANES = 16

    def __post_init__(self) -> None:
        if not 1 <= self.lanes <= self.MAX_LANES:
            raise ValueError(f"lanes out of range: {self.lanes}")
        if not 1 <= self.iterations <= self.MAX_ITERATIONS:
            raise ValueError(f"iterations out of range: {self.iterations}")
        if not max(self.MIN_MEMORY_KIB, 8 * self.lanes) <= self.memory_kib <= self.MAX_MEMORY_KIB:
            raise ValueError(f"memory out of range: {self.memory_kib} KiB")

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        kdf = Argon2id(
            salt=salt,
            length=KEY_LEN,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_kib,
        )
        return kdf.derive(_passphrase_bytes(passphrase))


def _passphrase_bytes(passphrase: str) -> bytes:
    # NFC so the same passphrase typed on two keyboards (composed or not) gives the same key.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _wrap_ad(params: KdfParams, salt: bytes) -> bytes:
    # Binds the header's parameters to the wrapped key: altering one fails like a wrong passphrase.
    fields = f"{KDF_NAME}:{params.memory_kib}:{params.iterations}:{params.lanes}:{AEAD_NAME}"
    return _WRAP_AD + b"|" + fields.encode() + b"|" + salt


class ChunkSealer:
    """Seals and opens the store's chunks under the group's data key."""

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != KEY_LEN:
            raise ValueError("data key must be 32 bytes")
        self._key = data_key
        self._aead = ChaCha20Poly1305(data_key)

    def __repr__(self) -> str:
        return "ChunkSealer(<key hidden>)"

    @property
    def data_key(self) -> bytes:
        """The key itself, for a process of our own that opens the same store (the app's node)."""
        return self._key

    @classmethod
    def create(cls, passphrase: str, params: KdfParams | None = None) -> tuple[ChunkSealer, dict[str, object]]:
        """A new random data key, and the header (to store beside the chunks) that unlocks it."""
        sealer = cls(os.urandom(KEY_LEN))
        return sealer, sealer.header_for(passphrase, params)

    @classmethod
    def unlock(cls, passphrase: str, header: Mapping[str, object]) -> ChunkSealer:
        """The sealer for a store, given its header; WrongPassphrase when it does not fit."""
        params, salt, wrapped = _parse_header(header)
        kek = params.derive(passphrase, salt)
        nonce, body = wrapped[:NONCE_LEN], wrapped[NONCE_LEN:]
        try:
            data_key = ChaCha20Poly1305(kek).decrypt(nonce, body, _wrap_ad(params, salt))
        except InvalidTag:
            raise WrongPassphrase() from None
        return cls(data_key)

    def header_for(self, passphrase: str, params: KdfParams | None = None) -> dict[str, object]:
        """A header that unlocks this sealer's data key with `passphrase` (to change it)."""
        if not passphrase:
            raise MagnetError("an empty passphrase protects nothing")
        params = params or KdfParams()
        salt = os.urandom(SALT_LEN)
        kek = params.derive(passphrase, salt)
        nonce = os.urandom(NONCE_LEN)
        wrapped = nonce + ChaCha20Poly1305(kek).encrypt(nonce, self._key, _wrap_ad(params, salt))
        return {
            "v": HEADER_VERSION,
            "kdf": KDF_NAME,
            "salt": salt,
            "memory_kib": params.memory_kib,
            "iterations": params.iterations,
            "lanes": params.lanes,
            "aead": AEAD_NAME,
            "wrapped_key": wrapped,
        }

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        """version | nonce | ciphertext+tag. `aad` (e.g. group id and chunk kind) is bound, not stored."""
        nonce = os.urandom(NONCE_LEN)
        return bytes([CHUNK_VERSION]) + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open(self, ciphertext: bytes, aad: bytes) -> bytes:
        """The plaintext of a sealed chunk; SealedDataDamaged if it was altered or truncated."""
        if len(ciphertext) < 1 + NONCE_LEN + TAG_LEN or ciphertext[0] != CHUNK_VERSION:
            raise SealedDataDamaged("an encrypted chunk is damaged (bad header)")
        nonce = ciphertext[1 : 1 + NONCE_LEN]
        try:
            return self._aead.decrypt(nonce, ciphertext[1 + NONCE_LEN :], aad)
        except InvalidTag:
            raise SealedDataDamaged(
                "an encrypted chunk failed its integrity check: damaged on disk or altered"
            ) from None


def _parse_header(header: Mapping[str, object]) -> tuple[KdfParams, bytes, bytes]:
    bad = StoreError("the store's encryption header is damaged")
    if header.get("v") != HEADER_VERSION:
        raise StoreError("the store's encryption header is from another magnet version")
    if header.get("kdf") != KDF_NAME or header.get("aead") != AEAD_NAME:
        raise StoreError("the store is encrypted with a method this magnet does not know")
    salt, wrapped = header.get("salt"), header.get("wrapped_key")
    memory, iterations, lanes = (header.get(k) for k in ("memory_kib", "iterations", "lanes"))
    if not (isinstance(salt, bytes) and len(salt) == SALT_LEN):
        raise bad
    if not (isinstance(wrapped, bytes) and len(wrapped) == NONCE_LEN + KEY_LEN + TAG_LEN):
        raise bad
    if not (isinstance(memory, int) and isinstance(iterations, int) and isinstance(lanes, int)):
        raise bad
    try:
        params = KdfParams(memory_kib=memory, iterations=iterations, lanes=lanes)
    except ValueError as exc:
        raise StoreError(f"the store's encryption header is damaged: {exc}") from exc
    return params, salt, wrapped
