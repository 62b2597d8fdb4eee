"""Opening and creating groups whose store may be encrypted with a passphrase."""

from __future__ import annotations

import getpass
import os
import sys

from magnet.datadir import GroupInfo
from magnet.errors import MagnetError
from magnet.home import Home, OpenGroup
from magnet.safetext import shown
from magnet.store import ChunkCipher, read_header

PASSPHRASE_ENV = "MAGNET_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
SEALING_KEY = "sealing"


def ask_passphrase(prompt: str, *, confirm: bool = False) -> str:
    """The passphrase from $MAGNET_PASSPHRASE (for scripts and services) or the terminal."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given
    if not sys.stdin.isatty():
        raise MagnetError(f"this group is encrypted: set {PASSPHRASE_ENV} or run in a terminal")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != first:
        raise MagnetError("the passphrases differ")
    if not first:
        raise MagnetError("an empty passphrase protects nothing")
    return first


def unlock(home: Home, ref: str | None, passphrase: str | None = None) -> tuple[GroupInfo, ChunkCipher | None]:
    """The group `ref` names and, when its store is encrypted, the cipher the passphrase unlocks."""
    info = home.find(ref)
    header = read_header(info.store_path)
    if not header.sealed:
        return info, None
    from magnet.sealing import ChunkSealer

    secret = passphrase if passphrase is not None else ask_passphrase(f"Passphrase for {shown(info.label)}: ")
    return info, ChunkSealer.unlock(secret, header.meta[SEALING_KEY])


def open_with_passphrase(home: Home, ref: str | None, passphrase: str | None = None) -> OpenGroup:
    info, cipher = unlock(home, ref, passphrase)
    return home.open_group(info, cipher=cipher)


def create_group(
    home: Home, name: str, *, member_name: str | None = None, encrypt: bool = False, passphrase: str | None = None
) -> OpenGroup:
    if not encrypt:
        return home.create_group(name, member_name=member_name)
    from magnet.sealing import ChunkSealer

    secret = passphrase if passphrase is not None else ask_passphrase("New passphrase: ", confirm=True)
    sealer, sealing_header = ChunkSealer.create(secret)
    return home.create_group(name, member_name=member_name, cipher=sealer, store_meta={SEALING_KEY: sealing_header})
