"""Invite codes as people see them: a long code (text or terminal QR) and a short typed code.

Long: "MAGNET:" + base32 of [version, 128-bit token, expiry, addresses] + a 4-byte checksum, so
a code cut short or mistyped says so instead of failing obscurely. Uppercase base32 and ':' are
all QR alphanumeric characters, which keeps the QR small. The token never goes on the wire: the
hello names the invite by a hash of it, and the join PSK is another hash of it.

Short: "NN-XXXX-XXXX", a public two-digit nameplate (which of the open short codes) and eight
Crockford base32 characters (40 bits). They are a SPAKE2 password, never a key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from dataclasses import dataclass, field

import msgpack
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from magnet.errors import MagnetError
from sync.channel import HandshakeRefused, Hello, HelloKind, Refusal

PREFIX = "MAGNET:"
CODE_VERSION = 1
TOKEN_LEN = 16
INVITE_ID_LEN = 16
CHECKSUM_LEN = 4
MAX_ADDRESSES = 8
MAX_CODE_CHARS = 1024
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT_SECRET_LEN = 8
NAMEPLATES = 100
# Crockford base32 reads these the way people type them.
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1"})
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}$")


class InviteError(MagnetError):
    """An invite that cannot be used; `reason` is what the inviter tells the joiner."""

    reason = Refusal.INVITE_UNKNOWN
    default = "the invite cannot be used"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default)


class InviteMalformed(InviteError):
    """Text that is not an invite code, or one mistyped or cut short."""

    default = "not a magnet invite code"


class InviteUnknown(InviteError):
    default = "unknown invite: check the code, or ask for a new invite"


class InviteExpired(InviteError):
    reason = Refusal.INVITE_EXPIRED
    default = "the invite has expired: ask for a new invite"


class InviteUsed(InviteError):
    reason = Refusal.INVITE_USED
    default = "the invite was already used: ask for a new invite"


class InviteLocked(InviteError):
    reason = Refusal.INVITE_LOCKED
    default = "too many wrong codes for this invite: ask for a new invite"


class WrongCode(InviteError):
    reason = Refusal.KEY_MISMATCH
    default = "the code did not match: check it and try again"


class TooManyGuesses(InviteError):
    """This address made its share of wrong guesses at the code; others may still use it."""

    reason = Refusal.TOO_MANY_GUESSES
    default = "too many wrong codes from this address: check the code, or ask for a new one"


_BY_REASON: dict[Refusal, type[InviteError]] = {
    cls.reason: cls for cls in (InviteUnknown, InviteExpired, InviteUsed, InviteLocked, WrongCode, TooManyGuesses)
}


def invite_error(refused: HandshakeRefused) -> InviteError | None:
    """The error a joiner shows for the inviter's refusal, when the refusal is about the invite."""
    cls = _BY_REASON.get(refused.reason)
    return cls() if cls is not None else None


def _derive(token: bytes, label: bytes, length: int) -> bytes:
    info = b"magnet/1 invite " + label
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(token)


def parse_address(text: str) -> tuple[str, int]:
    """'host:port' or '[v6]:port' -> (host, port); InviteMalformed when it is neither."""
    host, sep, port_text = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise InviteMalformed(f"bad address in invite: {text!r}") from exc
    elif not _HOST.match(host):
        raise InviteMalformed(f"bad address in invite: {text!r}")
    if not (sep and port_text.isdigit() and 0 < int(port_text) < 65536):
        raise InviteMalformed(f"bad port in invite address: {text!r}")
    return host, int(port_text)


@dataclass(frozen=True)
class InviteCode:
    """A long invite: what the new device holds. The token is secret; the rest is not."""

    token: bytes = field(repr=False)
    expires_at: int
    addresses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.token) != TOKEN_LEN:
            raise ValueError("invite token must be 16 bytes")
        if len(self.addresses) > MAX_ADDRESSES:
            raise ValueError("too many addresses in one invite")
        for address in self.addresses:
            parse_address(address)

    @classmethod
    def generate(cls, expires_at: float, addresses: tuple[str, ...] = ()) -> InviteCode:
        return cls(os.urandom(TOKEN_LEN), int(expires_at), addresses)

    @property
    def invite_id(self) -> bytes:
        """Names the invite in the cleartext hello without revealing the token."""
        return _derive(self.token, b"id", INVITE_ID_LEN)

    @property
    def psk(self) -> bytes:
        """The join handshake's Noise PSK: only holders of the token can complete it."""
        return _derive(self.token, b"psk", 32)

    @property
    def mdns_hint(self) -> str:
        """What the inviter's node may advertise while the invite is open, to be found by it."""
        return self.invite_id[:4].hex()

    @property
    def endpoints(self) -> list[tuple[str, int]]:
        return [parse_address(a) for a in self.addresses]

    def hello(self) -> Hello:
        return Hello(HelloKind.INVITE, ref=self.invite_id)

    def encode(self) -> str:
        payload = msgpack.packb([CODE_VERSION, self.token, self.expires_at, list(self.addresses)], use_bin_type=True)
        checksum = hashlib.sha256(b"magnet invite " + payload).digest()[:CHECKSUM_LEN]
        return PREFIX + base64.b32encode(payload + checksum).decode().rstrip("=")

    def __str__(self) -> str:
        return self.encode()

    @classmethod
    def decode(cls, text: str) -> InviteCode:
        """Parse a long code as pasted (any case, spaces and line breaks ignored)."""
        compact = "".join(text.split()).upper()
        if len(compact) > MAX_CODE_CHARS or not compact.startswith(PREFIX):
            raise InviteMalformed("not a magnet invite code (it starts with MAGNET:)")
        body = compact[len(PREFIX) :]
        try:
            raw = base64.b32decode(body + "=" * (-len(body) % 8))
        except ValueError as exc:
            raise InviteMalformed("the invite code is mistyped (bad characters)") from exc
        payload, checksum = raw[:-CHECKSUM_LEN], raw[-CHECKSUM_LEN:]
        expected = hashlib.sha256(b"magnet invite " + payload).digest()[:CHECKSUM_LEN]
        if len(raw) <= CHECKSUM_LEN or not hmac.compare_digest(checksum, expected):
            raise InviteMalformed("the invite code is mistyped or cut short")
        try:
            fields = msgpack.unpackb(payload, raw=False, max_bin_len=64, max_str_len=300, max_array_len=16)
            version, token, expires_at, addresses = fields
        except Exception as exc:
            raise InviteMalformed("the invite code is damaged") from exc
        if version != CODE_VERSION:
            raise InviteMalformed("the invite code is from another magnet version: update magnet")
        if not (
            isinstance(token, bytes)
            and isinstance(expires_at, int)
            and isinstance(addresses, list)
            and all(isinstance(a, str) for a in addresses)
        ):
            raise InviteMalformed("the invite code is damaged")
        try:
            return cls(token, expires_at, tuple(addresses))
        except ValueError as exc:
            raise InviteMalformed(f"the invite code is damaged: {exc}") from exc


@dataclass(frozen=True)
class ShortCode:
    """A typed invite code: `nameplate` picks the invite, `secret` is the PAKE password."""

    nameplate: int
    secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.nameplate < NAMEPLATES:
            raise ValueError("nameplate out of range")
        if len(self.secret) != SHORT_SECRET_LEN or any(c not in CROCKFORD for c in self.secret):
            raise ValueError("short code secret must be 8 Crockford base32 characters")

    @classmethod
    def generate(cls, nameplate: int) -> ShortCode:
        return cls(nameplate, "".join(secrets.choice(CROCKFORD) for _ in range(SHORT_SECRET_LEN)))

    @classmethod
    def parse(cls, text: str) -> ShortCode:
        """Read a typed code: case, spaces, dashes, and O/I/L for 0/1 are forgiven."""
        compact = "".join(c for c in text.upper() if c not in " -_\t").translate(_TYPO)
        if (
            len(compact) != 2 + SHORT_SECRET_LEN
            or not compact[:2].isdigit()
            or any(c not in CROCKFORD for c in compact[2:])
        ):
            raise InviteMalformed("not a short invite code (it looks like 42-K4ZQ-7M2P)")
        return cls(int(compact[:2]), compact[2:])

    def __str__(self) -> str:
        return f"{self.nameplate:02d}-{self.secret[:4]}-{self.secret[4:]}"

    @property
    def ref(self) -> bytes:
        return f"{self.nameplate:02d}".encode()

    @property
    def mdns_hint(self) -> str:
        return f"n{self.nameplate:02d}"

    def password(self) -> bytes:
        """The SPAKE2 password, bound to the protocol and the nameplate."""
        return b"magnet/1 short code " + self.ref + b" " + self.secret.encode()


def pake_psk(pake_key: bytes) -> bytes:
    """The join PSK from a SPAKE2 key: a separate key per use, never the raw PAKE output."""
    return _derive(pake_key, b"short code psk", 32)


_HALF_BLOCKS = {(1, 1): "█", (1, 0): "▀", (0, 1): "▄", (0, 0): " "}
_ANSI_ON = "\x1b[30;107m"  # black on bright white, whatever the terminal's own colours
_ANSI_OFF = "\x1b[0m"


def render_qr(text: str, *, ansi: bool = True, invert: bool = False, border: int = 4) -> str:
    """`text` as a QR code for a terminal, two modules per character cell.

    With `ansi` the code is drawn black on white whatever the terminal's theme, which phone
    scanners need; `border` is the quiet zone (4 modules, as the standard asks). Without
    `ansi`, `invert` draws light modules as blocks for a dark terminal.
    """
    import segno  # only to draw a code: joining and serving never need it (nor its memory)

    qr = segno.make(text, error="m", micro=False)
    rows = [[1 if bit else 0 for bit in row] for row in qr.matrix_iter(scale=1, border=border)]
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))
    if invert and not ansi:
        rows = [[1 - bit for bit in row] for row in rows]
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
        line = "".join(_HALF_BLOCKS[pair] for pair in zip(top, bottom, strict=True))
        lines.append(f"{_ANSI_ON}{line}{_ANSI_OFF}" if ansi else line)
    return "\n".join(lines)
