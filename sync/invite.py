"""Joining a group: the join handshake and the exchange that follows it, for both invite forms.

The new device (joiner) dials the inviter with a hello naming the invite. The handshake's PSK
comes from the invite (the long code's token, or SPAKE2 over the short code), so completing it
proves the invite; the inviter then marks it used, atomically. Over the channel the joiner sends
the member name it joins as, or for a device that speaks for no member (a Pi at the rally point)
an empty member and the device's name (its device key is the Noise static key, already proven),
and the inviter sends the group secret and a snapshot of the document:

    joiner -> inviter   {"t": "join", "member": name, "device": name or "", "sign": its signing key}
    inviter -> joiner   {"t": "welcome", "epoch": n, "secret": 32 bytes, "snapshot": bytes,
                         "keys": the inviter's key ring (its epochs and signed rotations)}
                     or {"t": "refused", "message": text}
    joiner -> inviter   {"t": "joined"}

Dialing and finding the inviter belong to the sync node; these helpers work on any stream.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgpack
from spake2 import SPAKE2_A, SPAKE2_B

from magnet.device import DeviceIdentity, device_id_for
from magnet.errors import MagnetError
from magnet.groupkey import SECRET_LEN, GroupSecret
from magnet.rotation import signing_public_key
from sync.channel import (
    DEFAULT_HANDSHAKE_TIMEOUT,
    DEFAULT_MAX_MESSAGE,
    Admission,
    Admit,
    ChannelError,
    Handshake,
    HandshakeRefused,
    Hello,
    HelloKind,
    Refusal,
    SecureChannel,
    run_handshake,
)
from sync.channel import refusal as refuse
from sync.guesses import GuessGate
from sync.invitebook import Invite, InviteBook, Kind
from sync.invitecode import (
    InviteCode,
    InviteError,
    ShortCode,
    invite_error,
    pake_psk,
    render_qr,
)

__all__ = [
    "InviteBook",
    "InviteCode",
    "InviteError",
    "JoinRefused",
    "JoinRequest",
    "ShortCode",
    "Welcome",
    "admit_joins",
    "join_group",
    "offer_invite",
    "open_join_channel",
    "redeem_invite",
    "render_qr",
]

# SPAKE2 roles are fixed so a message cannot be reflected back at its sender.
JOINER_ID = b"magnet joiner"
INVITER_ID = b"magnet inviter"
MAX_MEMBER_NAME = 200
DEFAULT_TRANSFER_TIMEOUT = 120.0


class JoinRefused(InviteError):
    """The inviter proved the invite but would not enroll this device (its reason follows)."""


@dataclass(frozen=True)
class JoinRequest:
    """What the inviter learns from a joiner: its proven device key, its member and device names.

    An empty member name is a shared device (a Pi), which then has a device name.
    """

    device_public_key: bytes
    member_name: str
    invite: Invite
    device_name: str = ""
    signing_key: bytes = b""  # its Ed25519 key for rotations; proven by the channel it came over

    @property
    def device_id(self) -> str:
        return device_id_for(self.device_public_key)


@dataclass(frozen=True)
class Welcome:
    """What a joiner receives: the group secret, the document snapshot and who let it in.

    `keys` is the inviter's key ring (KeyRing bytes), empty from an earlier magnet.
    """

    secret: GroupSecret
    snapshot: bytes
    inviter_public_key: bytes
    keys: bytes = b""


def _kind(hello: Hello) -> Kind:
    return "code" if hello.kind is HelloKind.INVITE else "short"


def admit_joins(book: InviteBook, *, guesses: GuessGate | None = None, source: str = "") -> Admit:
    """The inviter's policy for join hellos: the invite must be open (or already claimed: the
    claim then decides); its PSK is expected; the device that completes the handshake claims it
    (once, across processes), and the same device may claim it again after a broken transfer.

    With `guesses`, guesses at a short code from `source` (the peer's address) wait their turn.
    """

    def admit(hello: Hello) -> Admission:
        if hello.kind is HelloKind.MEMBER:
            raise refuse(Refusal.BAD_HELLO)
        kind = _kind(hello)
        try:
            invite = book.find(kind, hello.ref, claimed_too=True)
        except InviteError as exc:
            raise refuse(exc.reason) from exc

        def authorize(device_key: bytes) -> bool:
            try:
                book.claim(kind, hello.ref, device_key)
            except InviteError as exc:
                raise HandshakeRefused(exc.reason) from exc
            return True

        if kind == "code":
            return Admission(psk=invite.key, authorize=authorize)
        pake = SPAKE2_B(invite.short_code().password(), idA=JOINER_ID, idB=INVITER_ID)
        reply = pake.start()
        try:
            key = pake.finish(hello.pake)
        except Exception as exc:  # spake2 raises ValueError or SPAKEError for a bad element
            raise refuse(Refusal.BAD_HELLO) from exc
        guess = guesses.guess(hello.ref, source) if guesses is not None else None

        def wrong() -> None:
            book.record_failure(kind, hello.ref)
            if guess is not None:
                guess.mark_wrong()

        return Admission(
            psk=pake_psk(key),
            authorize=authorize,
            pake_reply=reply,
            on_failure=wrong,
            turn=guess,
            turn_window=guesses.window if guesses is not None else 0.0,
        )

    return admit


async def open_join_channel(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    identity: DeviceIdentity,
    code: InviteCode | ShortCode,
    handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
    max_message: int = DEFAULT_MAX_MESSAGE,
) -> SecureChannel:
    """The joiner's handshake. Invite problems come back as InviteError with a clear message
    (expired, already used, unknown, wrong code); other failures as ChannelError."""
    hello: Hello
    psk: bytes | Callable[[bytes], bytes]
    if isinstance(code, InviteCode):
        hello, psk = code.hello(), code.psk
    else:
        pake = SPAKE2_A(code.password(), idA=JOINER_ID, idB=INVITER_ID)
        hello = Hello(HelloKind.SHORT_CODE, ref=code.ref, pake=pake.start())

        def psk(reply: bytes) -> bytes:
            return pake_psk(pake.finish(reply))

    # Any inviter will do: the PSK, proven by its confirmation, shows it issued this invite.
    handshake = Handshake.initiator(identity, hello, psk, lambda _key: True, max_message=max_message)
    try:
        return await run_handshake(reader, writer, handshake, handshake_timeout=handshake_timeout)
    except HandshakeRefused as exc:
        error = invite_error(exc) if exc.by_peer else None
        if error is None:
            raise
        raise error from exc


async def redeem_invite(
    channel: SecureChannel,
    *,
    member_name: str,
    device_name: str = "",
    signing_key: bytes = b"",
    transfer_timeout: float = DEFAULT_TRANSFER_TIMEOUT,
) -> Welcome:
    """The joiner's side after the handshake: ask to join as `member_name`, receive the group."""
    await channel.send(_pack({"t": "join", "member": member_name, "device": device_name, "sign": signing_key}))
    async with asyncio.timeout(transfer_timeout):
        reply = _unpack(await channel.recv())
    if reply.get("t") == "refused":
        raise JoinRefused(f"the inviter refused: {_text(reply.get('message'), 500)}")
    epoch, secret, snapshot = reply.get("epoch"), reply.get("secret"), reply.get("snapshot")
    keys = reply.get("keys", b"")
    if not (
        isinstance(keys, bytes)
        and reply.get("t") == "welcome"
        and isinstance(epoch, int)
        and isinstance(secret, bytes)
        and len(secret) == SECRET_LEN
        and isinstance(snapshot, bytes)
    ):
        raise ChannelError("malformed welcome from the inviter")
    try:
        group_secret = GroupSecret(epoch, secret)
    except ValueError as exc:
        raise ChannelError(f"malformed welcome from the inviter: {exc}") from exc
    await channel.send(_pack({"t": "joined"}))
    return Welcome(group_secret, snapshot, channel.peer_public_key, keys)


async def offer_invite(
    channel: SecureChannel,
    *,
    book: InviteBook,
    secret: GroupSecret,
    enroll: Callable[[JoinRequest], Awaitable[bytes] | bytes],
    keys: bytes = b"",
    transfer_timeout: float = DEFAULT_TRANSFER_TIMEOUT,
) -> JoinRequest:
    """The inviter's side, on a channel `accept` opened for a join hello.

    `enroll` records the device in the document (linked to the member) and returns the snapshot
    to send, taken after that change so the new device already knows itself. A MagnetError from
    it is passed to the joiner as the refusal's message.
    """
    if channel.hello.kind is HelloKind.MEMBER:
        raise ValueError("not a join channel")
    async with asyncio.timeout(transfer_timeout):
        message = _unpack(await channel.recv())
        name, device, sign = message.get("member"), message.get("device", ""), message.get("sign", b"")
        if (
            message.get("t") != "join"
            or not isinstance(name, str)
            or not isinstance(device, str)
            or not (isinstance(sign, bytes) and len(sign) in (0, 32))
        ):
            raise ChannelError("malformed join request")
        name, device = name.strip(), device.strip()
        if not (name or device) or not all(_fair_name(n) for n in (name, device)):
            await channel.send(_pack({"t": "refused", "message": "member name is empty or odd"}))
            raise JoinRefused(f"refused join: bad member or device name {(name or device)[:40]!r}")
        invite = _lookup_claimed(book, _kind(channel.hello), channel.hello.ref)
        request = JoinRequest(channel.peer_public_key, name, invite, device, sign)
        try:
            result = enroll(request)
            snapshot = await result if inspect.isawaitable(result) else result
        except MagnetError as exc:
            await channel.send(_pack({"t": "refused", "message": str(exc)}))
            raise
        welcome = {"t": "welcome", "epoch": secret.epoch, "secret": secret.secret, "snapshot": snapshot}
        await channel.send(_pack({**welcome, "keys": keys} if keys else welcome))
        if _unpack(await channel.recv()).get("t") != "joined":
            raise ChannelError("the joiner did not confirm")
    return request


async def join_group(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    identity: DeviceIdentity,
    code: InviteCode | ShortCode,
    member_name: str,
    device_name: str = "",
    handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
) -> Welcome:
    """`magnet join CODE` over one connection: the handshake, then the exchange."""
    channel = await open_join_channel(reader, writer, identity=identity, code=code, handshake_timeout=handshake_timeout)
    async with channel:
        return await redeem_invite(
            channel, member_name=member_name, device_name=device_name, signing_key=signing_public_key(identity)
        )


def _fair_name(name: str) -> bool:
    return len(name) <= MAX_MEMBER_NAME and name.isprintable()


def _lookup_claimed(book: InviteBook, kind: Kind, ref: bytes) -> Invite:
    for invite in book.invites():
        if invite.kind == kind and invite.ref == ref:
            return invite
    raise ChannelError("the invite vanished after it was claimed")


def _pack(message: dict[str, Any]) -> bytes:
    packed: bytes = msgpack.packb(message, use_bin_type=True)
    return packed


def _unpack(data: bytes) -> dict[str, Any]:
    """A join message, with msgpack's limits so a hostile peer cannot make us allocate much."""
    try:
        message = msgpack.unpackb(
            data,
            raw=False,
            max_str_len=4096,
            max_bin_len=DEFAULT_MAX_MESSAGE,
            max_array_len=16,
            max_map_len=16,
            max_ext_len=0,
        )
    except Exception as exc:
        raise ChannelError("malformed join message") from exc
    if not isinstance(message, dict):
        raise ChannelError("malformed join message")
    return message


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else "no reason given"
