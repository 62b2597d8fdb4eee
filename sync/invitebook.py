"""The inviter's record of its invites: issued by whom, until when, used by which device.

One msgpack file (0600) in the group's data dir, so the CLI can issue an invite that a running
`magnet serve` or TUI honours: every check reads the file again. Using an invite (`claim`) and
counting a wrong short code take an exclusive `flock`, so two processes can never both accept
one invite.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import msgpack

from magnet.errors import MagnetError, StoreError
from magnet.fileio import write_private
from magnet.secretfile import locked, read_private
from sync.invitecode import (
    NAMEPLATES,
    InviteCode,
    InviteExpired,
    InviteLocked,
    InviteUnknown,
    InviteUsed,
    ShortCode,
)

INVITES_FILE = "invites.mgn"
INVITES_LOCK = "invites.lock"
BOOK_VERSION = 1
DEFAULT_INVITE_TTL = 24 * 3600.0
DEFAULT_SHORT_TTL = 15 * 60.0
# Wrong guesses are paced one per half second per code (sync/guesses.py), so a code cannot see
# this many in its fifteen minutes: a backstop should pacing ever be bypassed, not a way for
# strangers to retire a code.
MAX_SHORT_CODE_FAILURES = 2000
# Finished invites stay this long so a late joiner hears "already used" rather than "unknown".
KEEP_FINISHED = 7 * 24 * 3600.0
MAX_INVITES = 1000

Kind = Literal["code", "short"]


@dataclass
class Invite:
    """One issued invite. `key` is the join PSK (long code) or the short code's secret."""

    kind: Kind
    ref: bytes
    key: bytes = field(repr=False)
    created_at: float
    expires_at: float
    issued_by: str = ""
    note: str = ""
    used_by: bytes | None = None
    used_at: float | None = None
    failures: int = 0

    def status(self, now: float) -> Literal["open", "used", "expired", "locked"]:
        if self.used_by is not None:
            return "used"
        if self.failures >= MAX_SHORT_CODE_FAILURES:
            return "locked"
        if now >= self.expires_at:
            return "expired"
        return "open"

    def check(self, now: float, device_key: bytes | None = None) -> None:
        """Raise the invite error a joiner should hear, or return if it may be used now.

        A device that already claimed it may come back (its transfer broke off): same token,
        same device key.
        """
        status = self.status(now)
        if status == "used" and device_key is not None and self.used_by == device_key:
            return
        if status == "used":
            raise InviteUsed()
        if status == "locked":
            raise InviteLocked()
        if status == "expired":
            raise InviteExpired()

    def short_code(self) -> ShortCode:
        return ShortCode(int(self.ref.decode()), self.key.decode())


class InviteBook:
    """Invites issued from this data dir. `clock` is injectable so tests can move time."""

    def __init__(self, directory: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self.path = directory / INVITES_FILE
        self._clock = clock

    def issue(
        self,
        *,
        ttl: float = DEFAULT_INVITE_TTL,
        addresses: tuple[str, ...] = (),
        issued_by: str = "",
        note: str = "",
    ) -> InviteCode:
        """A new long invite code; only its PSK and id are kept here."""
        now = self._clock()
        code = InviteCode.generate(now + ttl, addresses)
        invite = Invite("code", code.invite_id, code.psk, now, float(code.expires_at), issued_by, note)
        with self._editing() as invites:
            invites.append(invite)
        return code

    def issue_short(self, *, ttl: float = DEFAULT_SHORT_TTL, issued_by: str = "", note: str = "") -> ShortCode:
        """A new short code, on a nameplate no other open short code of this book uses; it lives
        at most DEFAULT_SHORT_TTL (the pacing of guesses is sized for that)."""
        now = self._clock()
        ttl = min(ttl, DEFAULT_SHORT_TTL)
        with self._editing() as invites:
            taken = {i.ref for i in invites if i.kind == "short" and i.status(now) == "open"}
            free = [n for n in range(NAMEPLATES) if f"{n:02d}".encode() not in taken]
            if not free:
                raise MagnetError("too many open short codes: let some expire or cancel them")
            code = ShortCode.generate(random.SystemRandom().choice(free))
            invites[:] = [i for i in invites if not (i.kind == "short" and i.ref == code.ref)]
            invites.append(Invite("short", code.ref, code.secret.encode(), now, now + ttl, issued_by, note))
        return code

    def invites(self) -> list[Invite]:
        """All invites as the file holds them now (another process may have changed it)."""
        return self._read()

    def find(self, kind: Kind, ref: bytes, *, claimed_too: bool = False) -> Invite:
        """The open invite `ref`; InviteUnknown / InviteExpired / InviteUsed / InviteLocked.

        `claimed_too`: a claimed invite is returned as well, for a join hello, where the device
        that claimed it is not known yet and may be the same one coming back (`claim` decides).
        """
        invite = _lookup(self._read(), kind, ref)
        if not (claimed_too and invite.used_by is not None):
            invite.check(self._clock())
        return invite

    def claim(self, kind: Kind, ref: bytes, device_key: bytes) -> Invite:
        """Mark the invite used by `device_key`, atomically across processes; raises if it
        cannot be used. Claiming again with the same device key succeeds (a retried join)."""
        with self._editing() as invites:
            invite = _lookup(invites, kind, ref)
            invite.check(self._clock(), device_key)
            if invite.used_by is None:
                invite.used_by = device_key
                invite.used_at = self._clock()
            return invite

    def record_failure(self, kind: Kind, ref: bytes) -> None:
        """Count a failed attempt (a wrong short code); enough of them retire the invite."""
        with self._editing() as invites:
            for invite in invites:
                if invite.kind == kind and invite.ref == ref and invite.used_by is None:
                    invite.failures += 1

    def cancel(self, ref: bytes) -> bool:
        """Withdraw an open invite now; False when there was none."""
        now = self._clock()
        with self._editing() as invites:
            for invite in invites:
                if invite.ref == ref and invite.status(now) == "open":
                    invite.expires_at = now
                    return True
        return False

    def mdns_hints(self) -> list[str]:
        """Hints for discovery to advertise while invites are open."""
        now = self._clock()
        hints = []
        for invite in self._read():
            if invite.status(now) == "open":
                hints.append(invite.ref.hex()[:8] if invite.kind == "code" else f"n{invite.ref.decode()}")
        return hints

    # -- the file --------------------------------------------------------------------------

    def _read(self) -> list[Invite]:
        try:
            data = read_private(self.path, what="invite book")
        except FileNotFoundError:
            return []
        return _decode(data, self.path)

    @contextmanager
    def _editing(self) -> Iterator[list[Invite]]:
        """Read-modify-write under the lock; long-finished invites are dropped on the way."""
        with locked(self.directory / INVITES_LOCK):
            invites = self._read()
            yield invites
            now = self._clock()
            keep = [i for i in invites if now < _finished_at(i) + KEEP_FINISHED]
            if len(keep) > MAX_INVITES:
                raise MagnetError("too many invites: cancel some first")
            write_private(self.path, _encode(keep))


def _finished_at(invite: Invite) -> float:
    return invite.used_at if invite.used_at is not None else invite.expires_at


def _lookup(invites: list[Invite], kind: Kind, ref: bytes) -> Invite:
    for invite in invites:
        if invite.kind == kind and invite.ref == ref:
            return invite
    raise InviteUnknown()


def _encode(invites: list[Invite]) -> bytes:
    packed: bytes = msgpack.packb({"v": BOOK_VERSION, "invites": [asdict(i) for i in invites]}, use_bin_type=True)
    return packed


def _decode(data: bytes, path: Path) -> list[Invite]:
    damaged = StoreError(f"{path}: the invite book is damaged")
    try:
        doc = msgpack.unpackb(data, raw=False, max_bin_len=64, max_str_len=1000)
        if doc.get("v") != BOOK_VERSION:
            raise StoreError(f"{path}: invite book from another magnet version")
        invites = [Invite(**entry) for entry in doc["invites"]]
    except StoreError:
        raise
    except Exception as exc:
        raise damaged from exc
    for invite in invites:
        if not (
            invite.kind in ("code", "short")
            and isinstance(invite.ref, bytes)
            and isinstance(invite.key, bytes)
            and isinstance(invite.expires_at, int | float)
            and isinstance(invite.failures, int)
        ):
            raise damaged
    return invites
