"""Inviting a device and joining a group with an invite, through the sync engine (no Textual here).

Joining runs `magnet join` in a child process: the command is the sync engine's stable contract,
and a join that hangs on the network can be abandoned without leaving a thread behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import segno

from magnet.datadir import STORE_FILE, GroupInfo
from magnet.errors import MagnetError
from magnet.home import Home, OpenGroup
from magnet.unlock import PASSPHRASE_ENV
from screens.sync_link import SyncUnavailable

if TYPE_CHECKING:
    from sync.invitebook import InviteBook

JOIN_TIMEOUT = 180.0
_HALF_BLOCKS = {(1, 1): "█", (1, 0): "▀", (0, 1): "▄", (0, 0): " "}


@dataclass(frozen=True)
class InviteView:
    code: str
    expires_at: float
    addresses: tuple[str, ...]
    qr: str


def qr_text(text: str, *, border: int = 1) -> str:
    """`text` as a QR code of half blocks: dark modules drawn in the foreground colour."""
    qr = segno.make(text, error="l", micro=False)
    rows = [[1 if bit else 0 for bit in row] for row in qr.matrix_iter(scale=1, border=border)]
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    return "\n".join(
        "".join(_HALF_BLOCKS[pair] for pair in zip(top, bottom, strict=True))
        for top, bottom in zip(rows[0::2], rows[1::2], strict=True)
    )


@dataclass(frozen=True)
class ShortInviteView:
    code: str  # 42-K4ZQ-7M2P: a nameplate and a secret a person can read out and type
    expires_at: float


def _invite_book(group: OpenGroup) -> InviteBook:
    """The group's invite book, with the keys a new device will be given (made when missing)."""
    try:
        from sync.invitebook import InviteBook
    except ImportError as exc:
        raise SyncUnavailable("invites need the sync engine, which is not in this build yet") from exc
    try:
        from sync.secure import ensure_keyring
    except ImportError:
        pass
    else:
        ensure_keyring(group.path)  # a group made before keys existed gets its first one
    return InviteBook(group.path)


def create_invite(group: OpenGroup, *, addresses: tuple[str, ...], hours: float = 24) -> InviteView:
    """A one-time invite kept in the group's invite book, which the running node honours."""
    book = _invite_book(group)
    code = book.issue(ttl=hours * 3600, addresses=addresses, issued_by=group.home.device.device_id)
    text = code.encode()
    return InviteView(text, float(code.expires_at), tuple(addresses), qr_text(text))


def create_short_invite(group: OpenGroup, *, replacing: ShortInviteView | None = None) -> ShortInviteView:
    """A short typed code (SPAKE2, as `magnet invite --short`): one use, 15 minutes, same network.

    The running node reads the book every second and advertises the code's nameplate by mDNS, so
    the new device finds this one without an address. The code it replaces stops working.
    """
    from sync.invitecode import ShortCode

    book = _invite_book(group)
    if replacing is not None:
        book.cancel(ShortCode.parse(replacing.code).ref)
    code = book.issue_short(issued_by=group.home.device.device_id)
    issued = book.find("short", code.ref)
    return ShortInviteView(str(code), float(issued.expires_at))


@dataclass(frozen=True)
class JoinResult:
    group_id: str
    message: str


def join_with_code(
    home: Home,
    code: str,
    *,
    address: str = "",
    me: str = "",
    passphrase: str = "",
    timeout: float = JOIN_TIMEOUT,
) -> JoinResult:
    """Run `magnet join` (encrypting the new copy when given a passphrase); the group joined is
    the one whose store is new in the data dir (a damaged copy that joining replaced counts)."""
    code = "".join(code.split())
    if not code:
        raise MagnetError("paste or type the invite code first")
    before = _stores(home)
    # The code goes to the child on its standard input: arguments are visible to every user (ps).
    args = [sys.executable, "-m", "magnet", "--home", str(home.root), "join", "-"]
    if address.strip():
        args += ["--address", address.strip()]
    if me.strip():
        args += ["--me", me.strip()]
    env = {**os.environ, "PYTHONPATH": _import_root()}
    if passphrase:
        args.append("--encrypt")
        env[PASSPHRASE_ENV] = passphrase  # the child's environment only, never its arguments
    started = time.monotonic()
    try:
        result = subprocess.run(  # noqa: S603 - this interpreter, our own arguments, no shell
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            input=code + "\n",
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise MagnetError(f"no answer from the inviting device after {timeout:.0f} s: is it running magnet?") from exc
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        reason = lines[-1].removeprefix("magnet: error: ") if lines else f"join failed (exit {result.returncode})"
        raise MagnetError(reason)
    new = [g for g in home.groups() if _store_of(g) != before.get(g.group_id)]
    if not new:
        raise MagnetError("the join finished but no new group appeared in this data dir")
    took = time.monotonic() - started
    return JoinResult(new[0].group_id, f"Joined {new[0].label!r} in {took:.1f} s")  # an encrypted one by id


def _stores(home: Home) -> dict[str, tuple[int, int] | None]:
    return {g.group_id: _store_of(g) for g in home.groups()}


def _store_of(group: GroupInfo) -> tuple[int, int] | None:
    """Which file holds the group's store (device, inode): a rejoin replaces it."""
    try:
        found = os.stat(group.path / STORE_FILE)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _import_root() -> str:
    """Make the child import this same magnet, even when run from a source tree."""
    root = str(Path(__file__).resolve().parent.parent)
    existing = os.environ.get("PYTHONPATH", "")
    return root + (os.pathsep + existing if existing else "")
