"""Invites: codes people copy or type, the inviter's book, and joining over real loopback TCP."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import shutil
import stat
import subprocess
import sys
from asyncio import StreamReader, StreamWriter
from pathlib import Path

import pytest
import segno
from spake2 import SPAKE2_A

from magnet.device import DeviceIdentity
from magnet.errors import MagnetError
from security.loopback import Group, Handler, Listen
from sync.channel import (
    ChannelClosed,
    HandshakeFailed,
    HandshakeRefused,
    Hello,
    HelloKind,
    Refusal,
    SecureChannel,
    accept,
    admit_members,
    connect,
)
from sync.frames import HELLO, PAKE, U16, encode_frame
from sync.invite import (
    INVITER_ID,
    JOINER_ID,
    InviteBook,
    InviteCode,
    JoinRefused,
    JoinRequest,
    ShortCode,
    Welcome,
    admit_joins,
    join_group,
    offer_invite,
    render_qr,
)
from sync.invitebook import INVITES_FILE, KEEP_FINISHED, MAX_SHORT_CODE_FAILURES
from sync.invitecode import (
    InviteExpired,
    InviteLocked,
    InviteMalformed,
    InviteUnknown,
    InviteUsed,
    WrongCode,
)

T0 = 1_750_000_000.0


class Clock:
    """Time the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


# -- codes ---------------------------------------------------------------------------------


def test_long_code_round_trips_as_pasted() -> None:
    code = InviteCode.generate(T0 + 3600, ("192.168.1.20:7447", "[fe80::1]:7447", "pi.local:7447"))
    text = code.encode()
    assert text.startswith("MAGNET:") and re.fullmatch(r"MAGNET:[A-Z2-7]+", text)
    wrapped = "  " + text[:30].lower() + "\n" + text[30:] + "\n"
    assert InviteCode.decode(wrapped) == code
    assert code.endpoints == [("192.168.1.20", 7447), ("fe80::1", 7447), ("pi.local", 7447)]


def test_long_code_keeps_the_token_off_the_wire() -> None:
    code = InviteCode.generate(T0)
    hello = code.hello().encode()
    assert code.token not in hello and code.psk not in hello
    assert code.invite_id in hello
    assert code.token.hex() not in repr(code)
    assert len(code.token) * 8 >= 128


def test_mistyped_long_code_says_so() -> None:
    text = InviteCode.generate(T0).encode()
    wrong = text[:20] + ("A" if text[20] != "A" else "B") + text[21:]
    with pytest.raises(InviteMalformed, match="mistyped"):
        InviteCode.decode(wrong)
    with pytest.raises(InviteMalformed, match="mistyped or cut short"):
        InviteCode.decode(text[:-6])
    with pytest.raises(InviteMalformed, match="starts with MAGNET:"):
        InviteCode.decode("hello")
    with pytest.raises(InviteMalformed):
        InviteCode.decode("MAGNET:!!!!")


def test_invite_with_a_bad_address_is_refused() -> None:
    with pytest.raises(InviteMalformed):
        InviteCode.generate(T0, ("no-port",))
    with pytest.raises(InviteMalformed):
        InviteCode.generate(T0, ("host:99999",))


def test_short_code_forgives_how_people_type() -> None:
    code = ShortCode(7, "K4ZQ7M2P")
    assert str(code) == "07-K4ZQ-7M2P"
    assert ShortCode.parse("07-k4zq-7m2p") == code
    assert ShortCode.parse(" 07 K4ZQ 7M2P ") == code
    assert ShortCode.parse("O7K4ZQ7M2P") == code  # O for 0
    assert ShortCode.parse("12-1111-0000") == ShortCode.parse("12-ilLI-oOoO")
    assert "K4ZQ7M2P" not in repr(code)


@pytest.mark.parametrize("text", ["", "07-K4ZQ", "AB-K4ZQ-7M2P", "07-K4ZQ-7M2P-X", "07-K4ZQ-7M2U"])
def test_malformed_short_code_is_refused(text: str) -> None:
    with pytest.raises(InviteMalformed, match="42-K4ZQ-7M2P"):
        ShortCode.parse(text)


def test_short_codes_carry_forty_secret_bits() -> None:
    codes = {ShortCode.generate(1).secret for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 for c in codes)  # 8 x 5 bits


# -- the book ------------------------------------------------------------------------------


def test_issued_invite_is_stored_privately_and_seen_by_another_process_view(tmp_path: Path) -> None:
    book = InviteBook(tmp_path, clock=Clock())
    code = book.issue(ttl=3600, issued_by="dev-1", note="for Ana")
    assert stat.S_IMODE(os.stat(tmp_path / INVITES_FILE).st_mode) == 0o600
    assert code.token not in (tmp_path / INVITES_FILE).read_bytes()  # only derived keys kept
    other = InviteBook(tmp_path, clock=Clock())  # e.g. the running `magnet serve`
    found = other.find("code", code.invite_id)
    assert (found.issued_by, found.note, found.key) == ("dev-1", "for Ana", code.psk)


def test_invite_expires(tmp_path: Path) -> None:
    clock = Clock()
    book = InviteBook(tmp_path, clock=clock)
    code = book.issue(ttl=600)
    clock.now += 599
    book.find("code", code.invite_id)
    clock.now += 1
    with pytest.raises(InviteExpired, match="expired"):
        book.find("code", code.invite_id)
    with pytest.raises(InviteExpired):
        book.claim("code", code.invite_id, b"k" * 32)


def test_invite_is_used_once_but_the_same_device_may_retry(tmp_path: Path) -> None:
    book = InviteBook(tmp_path, clock=Clock())
    code = book.issue()
    first, second = os.urandom(32), os.urandom(32)
    assert book.claim("code", code.invite_id, first).used_by == first
    assert book.claim("code", code.invite_id, first).used_by == first  # its transfer broke off
    with pytest.raises(InviteUsed, match="already used"):
        book.claim("code", code.invite_id, second)
    with pytest.raises(InviteUsed):
        book.find("code", code.invite_id)


def test_unknown_invite(tmp_path: Path) -> None:
    book = InviteBook(tmp_path, clock=Clock())
    with pytest.raises(InviteUnknown, match="unknown invite"):
        book.find("code", InviteCode.generate(T0).invite_id)


def test_wrong_short_codes_retire_the_invite(tmp_path: Path) -> None:
    book = InviteBook(tmp_path, clock=Clock())
    code = book.issue_short()
    for _ in range(MAX_SHORT_CODE_FAILURES - 1):
        book.record_failure("short", code.ref)
    book.find("short", code.ref)
    book.record_failure("short", code.ref)
    with pytest.raises(InviteLocked, match="too many wrong codes"):
        book.find("short", code.ref)


def test_open_short_codes_get_distinct_nameplates(tmp_path: Path) -> None:
    book = InviteBook(tmp_path, clock=Clock())
    plates = {book.issue_short().nameplate for _ in range(30)}
    assert len(plates) == 30


def test_cancelled_invite_is_no_longer_open(tmp_path: Path) -> None:
    book = InviteBook(tmp_path, clock=Clock())
    code = book.issue()
    assert book.cancel(code.invite_id)
    with pytest.raises(InviteExpired):
        book.find("code", code.invite_id)
    assert not book.cancel(code.invite_id)


def test_discovery_hints_only_for_open_invites(tmp_path: Path) -> None:
    clock = Clock()
    book = InviteBook(tmp_path, clock=clock)
    code = book.issue(ttl=100)
    short = book.issue_short(ttl=1000)
    assert sorted(book.mdns_hints()) == sorted([code.mdns_hint, short.mdns_hint])
    clock.now += 200
    assert book.mdns_hints() == [short.mdns_hint]


def test_finished_invites_are_forgotten_after_a_while(tmp_path: Path) -> None:
    clock = Clock()
    book = InviteBook(tmp_path, clock=clock)
    old = book.issue(ttl=60)
    clock.now += 60 + KEEP_FINISHED + 1
    book.issue()
    assert old.invite_id not in {i.ref for i in book.invites()}


def _race_claim(directory: str, invite_id: bytes, start: object, results: object) -> None:
    key = os.urandom(32)
    start.wait()  # type: ignore[attr-defined]
    try:
        InviteBook(Path(directory)).claim("code", invite_id, key)
        results.put("won")  # type: ignore[attr-defined]
    except InviteUsed:
        results.put("used")  # type: ignore[attr-defined]


def test_two_processes_cannot_both_accept_one_invite(tmp_path: Path) -> None:
    code = InviteBook(tmp_path).issue()
    if sys.platform == "win32":
        ctx = multiprocessing.get_context("spawn")  # Windows has no fork
    else:
        ctx = multiprocessing.get_context("fork")
    start, results = ctx.Barrier(4), ctx.Queue()
    racers = [ctx.Process(target=_race_claim, args=(str(tmp_path), code.invite_id, start, results)) for _ in range(4)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(30)
        assert racer.exitcode == 0
    outcomes = sorted(results.get(timeout=5) for _ in racers)
    assert outcomes == ["used", "used", "used", "won"]


# -- joining over TCP ----------------------------------------------------------------------


def inviter(group: Group, book: InviteBook, *, refuse_names: tuple[str, ...] = ()) -> Handler:
    """The inviting device as the sync node will run it: one listener for members and joins."""

    def enroll(request: JoinRequest) -> bytes:
        if request.member_name in refuse_names:
            raise MagnetError(f"no member called {request.member_name}")
        group.members.add(request.device_public_key)
        return b"snapshot with " + request.member_name.encode()

    async def handler(reader: StreamReader, writer: StreamWriter) -> object:
        admit = admit_members(group.ring, group.is_active, joins=admit_joins(book))
        channel = await accept(reader, writer, identity=group.bob, admit=admit)
        async with channel:
            if channel.hello.kind is HelloKind.MEMBER:
                return channel
            return await offer_invite(channel, book=book, secret=group.ring.current, enroll=enroll)

    return handler


async def attempt_join(
    listen: Listen, handler: Handler, code: InviteCode | ShortCode, joiner: DeviceIdentity
) -> tuple[Welcome | MagnetError, object]:
    """Dial `handler` and join with `code`: what the joiner got, and what the inviter ended with."""
    listener = await listen(handler)
    reader, writer = await listener.dial()
    result: Welcome | MagnetError
    try:
        result = await join_group(reader, writer, identity=joiner, code=code, member_name="Dana")
    except MagnetError as exc:
        result = exc
    return result, await listener.outcome()


async def test_new_device_joins_with_a_long_code(listen: Listen, group_keys: Group, tmp_path: Path) -> None:
    book = InviteBook(tmp_path)
    code = book.issue(addresses=("127.0.0.1:7447",))
    dana = DeviceIdentity.generate()
    pasted = InviteCode.decode(code.encode())
    welcome, request = await attempt_join(listen, inviter(group_keys, book), pasted, dana)
    assert isinstance(welcome, Welcome)
    assert welcome.secret == group_keys.ring.current
    assert welcome.snapshot == b"snapshot with Dana"
    assert welcome.inviter_public_key == group_keys.bob.public_key
    assert isinstance(request, JoinRequest)
    assert request.device_public_key == dana.public_key and request.member_name == "Dana"
    assert request.device_id == dana.device_id
    assert book.invites()[0].used_by == dana.public_key
    assert group_keys.is_active(dana.public_key)


async def test_used_invite_is_refused_and_gives_nothing(listen: Listen, group_keys: Group, tmp_path: Path) -> None:
    book = InviteBook(tmp_path)
    code = book.issue()
    first, _ = await attempt_join(listen, inviter(group_keys, book), code, DeviceIdentity.generate())
    assert isinstance(first, Welcome)
    eve = DeviceIdentity.generate()
    second, outcome = await attempt_join(listen, inviter(group_keys, book), code, eve)
    assert isinstance(second, InviteUsed) and "already used" in str(second)
    assert isinstance(outcome, HandshakeRefused) and outcome.reason is Refusal.INVITE_USED
    assert not group_keys.is_active(eve.public_key)


async def test_expired_invite_is_refused(listen: Listen, group_keys: Group, tmp_path: Path) -> None:
    clock = Clock()
    book = InviteBook(tmp_path, clock=clock)
    code = book.issue(ttl=60)
    clock.now += 61
    error, outcome = await attempt_join(listen, inviter(group_keys, book), code, DeviceIdentity.generate())
    assert isinstance(error, InviteExpired) and "expired" in str(error)
    assert isinstance(outcome, HandshakeRefused) and outcome.reason is Refusal.INVITE_EXPIRED


async def test_invite_from_elsewhere_is_unknown(listen: Listen, group_keys: Group, tmp_path: Path) -> None:
    book = InviteBook(tmp_path / "here")
    elsewhere = InviteBook(tmp_path / "elsewhere").issue()
    error, _ = await attempt_join(listen, inviter(group_keys, book), elsewhere, DeviceIdentity.generate())
    assert isinstance(error, InviteUnknown)


async def test_invite_issued_by_another_process_is_honoured_by_a_running_listener(
    listen: Listen, group_keys: Group, tmp_path: Path
) -> None:
    book = InviteBook(tmp_path)
    listener_handler = inviter(group_keys, book)  # "magnet serve", already running
    script = (
        "import sys; from pathlib import Path; from sync.invitebook import InviteBook; "
        "print(InviteBook(Path(sys.argv[1])).issue(ttl=600).encode())"
    )
    issuer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, str(tmp_path), stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await issuer.communicate()
    assert issuer.returncode == 0
    code = InviteCode.decode(stdout.decode())
    welcome, _ = await attempt_join(listen, listener_handler, code, DeviceIdentity.generate())
    assert isinstance(welcome, Welcome) and welcome.secret == group_keys.ring.current


async def test_short_code_joins_with_the_right_code(listen: Listen, group_keys: Group, tmp_path: Path) -> None:
    book = InviteBook(tmp_path)
    code = book.issue_short()
    typed = ShortCode.parse(str(code).lower())
    welcome, _ = await attempt_join(listen, inviter(group_keys, book), typed, DeviceIdentity.generate())
    assert isinstance(welcome, Welcome) and welcome.secret == group_keys.ring.current


async def test_wrong_short_code_fails_and_three_retire_it(listen: Listen, group_keys: Group, tmp_path: Path) -> None:
    book = InviteBook(tmp_path)
    code = book.issue_short()
    guess = ShortCode(code.nameplate, "0000000" + ("1" if code.secret[-1] != "1" else "2"))
    handler = inviter(group_keys, book)
    for _ in range(MAX_SHORT_CODE_FAILURES):
        error, outcome = await attempt_join(listen, handler, guess, DeviceIdentity.generate())
        assert isinstance(error, WrongCode) and "did not match" in str(error)
        assert isinstance(outcome, HandshakeFailed)
    error, _ = await attempt_join(listen, handler, code, DeviceIdentity.generate())
    assert isinstance(error, InviteLocked)  # even the right code no longer works


async def test_walking_away_before_the_guess_does_not_burn_the_code(
    listen: Listen, group_keys: Group, tmp_path: Path
) -> None:
    book = InviteBook(tmp_path)
    code = book.issue_short()
    listener = await listen(inviter(group_keys, book))
    for _ in range(MAX_SHORT_CODE_FAILURES + 1):
        reader, writer = await listener.dial()
        pake = SPAKE2_A(b"a guess", idA=JOINER_ID, idB=INVITER_ID)
        hello = Hello(HelloKind.SHORT_CODE, ref=code.ref, pake=pake.start())
        writer.write(encode_frame(bytes([HELLO]) + hello.encode()))
        head = await reader.readexactly(2)
        assert (await reader.readexactly(U16.unpack(head)[0]))[0] == PAKE  # learned nothing yet
        writer.close()
        assert isinstance(await listener.outcome(), ChannelClosed)
    assert book.invites()[0].failures == 0
    welcome, _ = await attempt_join(listen, inviter(group_keys, book), code, DeviceIdentity.generate())
    assert isinstance(welcome, Welcome)


async def test_enrolment_refusal_reaches_the_joiner(listen: Listen, group_keys: Group, tmp_path: Path) -> None:
    book = InviteBook(tmp_path)
    code = book.issue()
    handler = inviter(group_keys, book, refuse_names=("Dana",))
    error, outcome = await attempt_join(listen, handler, code, DeviceIdentity.generate())
    assert isinstance(error, JoinRefused) and "no member called Dana" in str(error)
    assert isinstance(outcome, MagnetError)


async def test_joined_device_then_connects_as_a_member(listen: Listen, group_keys: Group, tmp_path: Path) -> None:
    book = InviteBook(tmp_path)
    dana = DeviceIdentity.generate()
    welcome, _ = await attempt_join(listen, inviter(group_keys, book), book.issue(), dana)
    assert isinstance(welcome, Welcome)
    listener = await listen(inviter(group_keys, book))
    reader, writer = await listener.dial()
    channel = await connect(reader, writer, identity=dana, secret=welcome.secret, authorize=group_keys.is_active)
    assert isinstance(await listener.outcome(), SecureChannel)
    channel.close()


# -- QR --------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_BITS = {"█": (1, 1), "▀": (1, 0), "▄": (0, 1), " ": (0, 0)}


def _matrix_from_terminal(text: str) -> list[list[int]]:
    rows: list[list[int]] = []
    for line in _ANSI.sub("", text).split("\n"):
        pairs = [_BITS[ch] for ch in line]
        rows.append([top for top, _ in pairs])
        rows.append([bottom for _, bottom in pairs])
    return rows


def test_terminal_qr_is_the_code_with_a_full_quiet_zone() -> None:
    text = InviteCode.generate(T0, ("192.168.1.20:7447",)).encode()
    rendered = render_qr(text)
    expected = [[1 if b else 0 for b in row] for row in segno.make(text, error="m").matrix_iter(border=4)]
    matrix = _matrix_from_terminal(rendered)
    assert matrix[: len(expected)] == expected
    assert all(not any(row) for row in matrix[len(expected) :])  # padding row is light
    assert all(row[:4] == [0, 0, 0, 0] and row[-4:] == [0, 0, 0, 0] for row in matrix)
    assert all(line.startswith("\x1b[30;107m") for line in rendered.split("\n"))  # black on white


def test_plain_qr_can_be_inverted_for_dark_terminals() -> None:
    plain = _matrix_from_terminal(render_qr("MAGNET:TEST", ansi=False))
    inverted = _matrix_from_terminal(render_qr("MAGNET:TEST", ansi=False, invert=True))
    assert inverted == [[1 - b for b in row] for row in plain]
    assert "\x1b" not in render_qr("MAGNET:TEST", ansi=False)


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (zbar-tools) not installed")
def test_terminal_qr_decodes_with_a_real_scanner(tmp_path: Path) -> None:
    text = InviteCode.generate(T0, ("192.168.1.20:7447",)).encode()
    matrix = _matrix_from_terminal(render_qr(text))
    scale = 8
    pgm = tmp_path / "qr.pgm"
    header = f"P5 {len(matrix[0]) * scale} {len(matrix) * scale} 255\n".encode()
    pixels = b"".join(bytes(0 if bit else 255 for bit in row for _ in range(scale)) * scale for row in matrix)
    pgm.write_bytes(header + pixels)
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(pgm)], capture_output=True, text=True, check=True)
    assert decoded.stdout.strip() == text
