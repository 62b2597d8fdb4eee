"""Sealed bundles: a bundle that only the group's own devices can open.

A USB stick gets lost. Sealed, the group document on it is ChaCha20-Poly1305 under a key derived
from the group secret (HKDF, label "bundle", per epoch), so a finder learns only that it is a magnet
bundle and the (random) id of its group, and nobody without the secret can forge one. Layout:

    MAGNET\\0B | u16 header length | msgpack {v, group, epoch, nonce} | ciphertext + tag

The header is authenticated as associated data. The group id in it lets a device say "this is
another group's stick" without trying keys; the epoch says which of its secrets to use. Inside is
exactly the plain bundle (an Automerge file).
"""

from __future__ import annotations

import os
import struct
from typing import Any

import msgpack
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from magnet.document import WrongGroup
from magnet.errors import MagnetError
from magnet.groupkey import GroupSecret, KeyRing

SEALED_MAGIC = b"MAGNET\x00B"
SEALED_VERSION = 1
_NONCE_LEN = 12
_MAX_HEADER = 512


def is_sealed(data: bytes) -> bool:
    return data[: len(SEALED_MAGIC)] == SEALED_MAGIC


def seal(bundle: bytes, *, group_id: str, secret: GroupSecret) -> bytes:
    """`bundle` (an Automerge file) sealed for the group's devices under `secret`."""
    nonce = os.urandom(_NONCE_LEN)
    header: bytes = msgpack.packb(
        {"v": SEALED_VERSION, "group": group_id, "epoch": secret.epoch, "nonce": nonce}, use_bin_type=True
    )
    framed = SEALED_MAGIC + struct.pack(">H", len(header)) + header
    return framed + ChaCha20Poly1305(secret.bundle_key()).encrypt(nonce, bundle, framed)


def unseal(data: bytes, *, group_id: str, group_name: str, keys: KeyRing, source: str) -> bytes:
    """The Automerge file inside a sealed bundle; a clear MagnetError for anything else."""
    damaged = MagnetError(f"{source} is damaged or incomplete (its sealed header is unreadable); nothing was merged")
    start = len(SEALED_MAGIC) + 2
    if len(data) < start:
        raise damaged
    (length,) = struct.unpack(">H", data[len(SEALED_MAGIC) : start])
    if length > _MAX_HEADER or len(data) < start + length:
        raise damaged
    header = _header(data[start : start + length])
    if header is None:
        raise damaged
    if header["v"] != SEALED_VERSION:
        raise MagnetError(f"{source} was sealed by a newer version of magnet; update magnet to merge it")
    if header["group"] != group_id:
        raise WrongGroup(
            f"{source} is sealed for another group ({header['group'][:8]}), not for {group_name} "
            f"({group_id[:8]}); nothing was changed"
        )
    secret = keys.get(header["epoch"])
    if secret is None:
        held = ", ".join(str(e) for e in keys.epochs)
        raise MagnetError(
            f"{source} was sealed with the group key of epoch {header['epoch']}, which this device does not "
            f"hold (it holds {held}): sync with the group to get newer keys, or ask for a fresh bundle"
        )
    try:
        return ChaCha20Poly1305(secret.bundle_key()).decrypt(
            header["nonce"], data[start + length :], data[: start + length]
        )
    except InvalidTag:
        raise MagnetError(
            f"{source} did not pass its integrity check: it was damaged, or changed after it was sealed; "
            "nothing was merged"
        ) from None


def _header(raw: bytes) -> dict[str, Any] | None:
    try:
        header = msgpack.unpackb(raw, raw=False, max_bin_len=64, max_str_len=128, max_map_len=8, max_array_len=8)
    except Exception:
        return None
    if not (
        isinstance(header, dict)
        and isinstance(header.get("v"), int)
        and isinstance(header.get("group"), str)
        and isinstance(header.get("epoch"), int)
        and isinstance(header.get("nonce"), bytes)
        and len(header["nonce"]) == _NONCE_LEN
    ):
        return None
    return header
