"""Text from the document or a peer is data, never terminal control: typed, imported, synced or
carried on a stick, a name with escape sequences is refused at the door or shown harmlessly.

The CLI's raw output bytes are read from real `magnet` processes; the app's from a pty it runs in.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.content import Content

from magnet.errors import ValidationError
from magnet.groupkey import KeyRing
from magnet.home import Home, OpenGroup
from magnet.safelog import SafeFormatter
from magnet.safetext import control_problem, shown
from screens.app import MagnetApp
from screens.markup import escape
from security.hostile import EVIL_DEVICE, EVIL_NAME, SHOWN_ESCAPE, obeyed, poison, write_raw
from security.loopback import magnet_serve, wait_for
from sync.secure import enroll_device

assert sys.platform != "win32"  # POSIX-only tests (FIFOs, ptys, /proc); mypy --platform win32 skips the rest

ROOT = Path(__file__).resolve().parent.parent.parent


def magnet(home: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """A real `magnet` process; its output as the raw bytes a terminal would be sent."""
    return subprocess.run(
        [sys.executable, "-m", "magnet", "--home", str(home), *args],
        capture_output=True,
        input=stdin,
        timeout=60,
        cwd=ROOT,
    )


def poisoned(home: Home) -> str:
    group = home.create_group("Maple Street MAG", member_name="Ann Lee")
    try:
        return poison(group.doc)
    finally:
        group.close()


# ---- the module ------------------------------------------------------------------------------


def test_shown_makes_every_control_visible_and_leaves_plain_text_alone() -> None:
    plain = "Ann Lee — Zoë, 李, عربي\u200f, 👩\u200d👩\u200d👧"  # an RLM mark and zero-width joiners stay
    assert shown(plain) == plain
    assert shown("a\x1b]0;x\x07b") == "a␛]0;x␇b"
    assert shown("\x00\x7f\x9b\x85") == "␀␡\\x9b\\x85"
    assert shown("a\u202eb\u2066c\u2028d\ud800") == "a\\u202eb\\u2066c\\u2028d\\ud800"
    assert shown("one\ntwo\tthree\r") == "one␊two␉three␍"
    assert shown("one\ntwo\tthree\r", multiline=True) == "one\ntwo\tthree␍"
    everything = "".join(map(chr, range(0x30000)))
    for multiline in (False, True):
        visible = shown(everything, multiline=multiline)
        assert all(control_problem(c, multiline=multiline) is None for c in visible)
        visible.encode("utf-8")  # no lone surrogate left to crash a print


def test_log_lines_show_a_peers_text_on_one_line() -> None:
    formatter = SafeFormatter(logging.Formatter("%(levelname)s %(message)s"))
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "refused %s: %s", ("1.2.3.4", EVIL_NAME), None)
    line = formatter.format(record)
    assert "\n" not in line and not obeyed(line.encode()) and "␛]52" in line
    try:
        raise ValueError(f"peer said {EVIL_DEVICE}\nsecond line")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = formatter.format(record)
    assert "Traceback" in text and "second line" in text and not obeyed(text.encode())


# ---- on the way in -----------------------------------------------------------------------------


def test_names_refuse_control_characters_and_notes_keep_only_breaks_and_tabs(group: OpenGroup) -> None:
    members = group.doc.members
    for bad in (EVIL_NAME, "Ann\nLee", "Ann\tLee", "Ann\u202eLee", "Ann\x9bLee", "Ann\x7f"):
        with pytest.raises(ValidationError, match=r"^name: contains"):
            members.add(name=bad)
    with pytest.raises(ValidationError, match=r"escape character \(U\+001B\)"):
        members.add(name="Ann", languages="English, Sp\x1b[2Janish")
    with pytest.raises(ValidationError, match="skills"):
        members.add(name="Ann", skills={"radio\x1b]0;x\x07": "basic"})
    with pytest.raises(ValidationError, match="notes: contains an escape"):
        members.add(name="Ann", notes="fine\n\x1b[2J")
    ann = members.add(name="Ann", notes="Line one\r\n\tindented\rthird")
    assert ann.notes == "Line one\n\tindented\nthird"  # one kind of line end; tabs kept
    assert len(members) == 1


def test_the_command_line_refuses_an_escape_in_a_typed_name_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert magnet(home, "init", "Maple Street MAG").returncode == 0
    refused = magnet(home, "add", "members", f"name={EVIL_NAME}")
    assert refused.returncode == 1
    assert refused.stderr.count(b"\n") == 1 and b"name: contains an escape character" in refused.stderr
    assert not obeyed(refused.stdout + refused.stderr)
    again = magnet(home, "init", "Oak\x1b]0;x\x07 Lane")
    assert again.returncode == 1 and b"escape character" in again.stderr and b"\x1b" not in again.stderr


def test_a_joining_device_cannot_bring_an_escape_in_its_name(tmp_path: Path, group: OpenGroup) -> None:
    from sync.invitebook import InviteBook

    code = InviteBook(group.path).issue(ttl=60, addresses=("127.0.0.1:9",), issued_by=group.home.device.device_id)
    refused = magnet(tmp_path / "joiner", "join", "-", "--me", EVIL_NAME, stdin=code.encode().encode() + b"\n")
    assert refused.returncode == 1 and refused.stderr.count(b"\n") == 1
    assert b"--me: contains an escape character" in refused.stderr and not obeyed(refused.stderr)
    # A joiner that skips that check meets the inviter's: nothing is recorded.
    with pytest.raises(ValidationError, match="name: contains an escape character"):
        enroll_device(group, Home(tmp_path / "joiner").device.public_key, EVIL_NAME)
    with pytest.raises(ValidationError, match="name: contains a bidirectional control"):
        enroll_device(group, Home(tmp_path / "joiner").device.public_key, "", "pi\u202e")
    assert len(group.doc.members) == 0 and len(group.doc.devices) == 1, "only this device"


def test_a_spreadsheet_with_escapes_is_refused_by_line_and_the_report_obeys_none(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert magnet(home, "init", "Maple Street MAG").returncode == 0
    sheet = tmp_path / "roster.csv"
    good = "".join(f'Neighbor {n},B,"two\nlines"\n' for n in range(40))  # a few controls in a real sheet
    sheet.write_text(f"Name,Zone,Notes\n{good}{EVIL_NAME},\x1b[31mC,x\n", encoding="utf-8")
    refused = magnet(home, "import", str(sheet), "--kind", "members")
    assert refused.returncode == 1 and b"line 82: name: contains an escape character" in refused.stderr
    assert not obeyed(refused.stdout + refused.stderr)
    some = magnet(home, "import", str(sheet), "--kind", "members", "--skip-invalid")
    assert some.returncode == 0 and b"Imported 40" in some.stdout
    assert not obeyed(some.stdout + some.stderr)
    listing = magnet(home, "list", "members")
    assert b"Neighbor 7" in listing.stdout and b"\x1b" not in listing.stdout


# ---- on the way out: the CLI -----------------------------------------------------------------


def test_names_a_peer_wrote_are_shown_never_obeyed_by_the_command_line(home: Home) -> None:
    poisoned(home)
    root = home.root
    for args in (("list", "members"), ("devices",), ("groups",), ("info",)):
        result = magnet(root, *args)
        assert result.returncode == 0, result.stderr
        assert not obeyed(result.stdout + result.stderr), args
    listing = magnet(root, "list", "members").stdout  # a table escapes as scripts read it: \x1b
    assert b"Eve \\x1b]52;c;SGVsbG8=" in listing and b"\x1b" not in listing
    for fmt in ("tsv", "json"):
        assert not obeyed(magnet(root, "list", "members", "--format", fmt).stdout), fmt
    assert SHOWN_ESCAPE + b"]0;OWNED-TITLE" in magnet(root, "devices").stdout
    revoked = magnet(root, "revoke", "eeee")
    assert b"Revoked lap" + SHOWN_ESCAPE in revoked.stdout and not obeyed(revoked.stdout)
    again = magnet(root, "revoke", "eeee")
    assert b"already revoked" in again.stdout and not obeyed(again.stdout)


def test_an_export_keeps_the_data_exact_for_programs_and_shows_it_on_a_terminal(home: Home) -> None:
    poisoned(home)
    piped = magnet(home.root, "export", "--format", "csv", "--kind", "members")
    assert EVIL_NAME.replace('"', '""').encode() in piped.stdout, "a pipe gets the data as it is"
    main, sub = os.openpty()
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "magnet",
                "--home",
                str(home.root),
                "export",
                "--format",
                "csv",
                "--kind",
                "members",
            ],
            stdout=sub,
            stderr=sub,
            cwd=ROOT,
        )
        os.close(sub)
        output = _read_until_exit(main, process)
    finally:
        os.close(main)
    assert process.returncode == 0 and SHOWN_ESCAPE in output and not obeyed(output)


def test_a_bundle_brings_escapes_in_but_never_to_the_terminal(tmp_path: Path, home: Home) -> None:
    source = home.create_group("Maple Street MAG", member_name="Ann Lee")
    other = Home(tmp_path / "other")
    enroll_device(source, other.device.public_key, "Bob")
    target = other.adopt_group(source.doc.save())
    KeyRing.load(source.path).save(target.path)
    target.close()
    try:
        poison(source.doc)
    finally:
        source.close()
    for seal in ((), ("--seal",)):
        stick = tmp_path / f"stick{len(seal)}.mgb"
        assert magnet(home.root, "export", "--format", "bundle", *seal, "-o", str(stick)).returncode == 0
        merged = magnet(other.root, "import", str(stick))
        assert merged.returncode == 0, merged.stderr
        assert not obeyed(merged.stdout + merged.stderr)
    listing = magnet(other.root, "list", "members")
    assert b"Eve \\x1b]52" in listing.stdout and not obeyed(listing.stdout)
    assert not obeyed(magnet(other.root, "devices").stdout)


# ---- a peer over the network -----------------------------------------------------------------


@pytest.mark.slow
def test_names_from_a_peer_over_the_network_never_reach_the_terminal_or_the_log(tmp_path: Path) -> None:
    ann_home, bob_home = Home(tmp_path / "ann"), Home(tmp_path / "bob")
    ann = ann_home.create_group("Maple Street MAG", member_name="Ann Lee")
    bob_device = enroll_device(ann, bob_home.device.public_key, "Bob")
    bob = bob_home.adopt_group(ann.doc.save())
    KeyRing.load(ann.path).save(bob.path)
    # Ann's copy already calls Bob's device something hostile (a peer told it so earlier), and
    # Bob's copy holds a hostile member and group name that reach Ann over the network.
    write_raw(ann.doc, "devices", bob_device, name=EVIL_DEVICE)
    poison(bob.doc)
    ann.close()
    bob.close()
    with magnet_serve(ann_home.root, "--port", "0", "-v") as (_, ann_log):
        wait_for(lambda: b"listening on port" in ann_log.read_bytes(), what="Ann's node")
        port = int(ann_log.read_bytes().split(b"listening on port ")[1].split()[0])
        with magnet_serve(bob_home.root, "--port", "0", "--peer", f"127.0.0.1:{port}", "-v") as (_, bob_log):
            wait_for(
                lambda: b"Eve \\x1b]52" in magnet(ann_home.root, "list", "members").stdout,
                what="Bob's hostile member on Ann's device",
            )
    ann_text, bob_text = ann_log.read_bytes(), bob_log.read_bytes()
    assert b"lap" + SHOWN_ESCAPE + b"]0;OWNED-TITLE" in ann_text, "the log names the device, harmlessly"
    assert not obeyed(ann_text) and not obeyed(bob_text)
    assert b"\x1b" not in ann_text + bob_text
    assert not obeyed(magnet(ann_home.root, "devices").stdout + magnet(ann_home.root, "info").stdout)


# ---- the app, in a real pty ------------------------------------------------------------------


def _read_until_exit(fd: int, process: subprocess.Popen[bytes], within: float = 30.0) -> bytes:
    out = bytearray()
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif process.poll() is not None:
            break
    process.wait(5)
    return bytes(out)


class Terminal:
    """The real app in a pseudo-terminal: keys in, every byte it writes kept."""

    def __init__(self, home: Path, columns: int = 120, rows: int = 32) -> None:
        self.main, sub = os.openpty()
        import fcntl

        fcntl.ioctl(sub, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(rows)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "magnet", "--home", str(home)],
            stdin=sub,
            stdout=sub,
            stderr=sub,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        os.close(sub)
        self.output = bytearray()

    def read(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.main], [], [], 0.05)
            if ready:
                try:
                    self.output += os.read(self.main, 65536)
                except OSError:
                    return

    def wait_for(self, text: bytes, within: float = 20.0) -> None:
        deadline = time.monotonic() + within
        while text not in self.output:
            assert time.monotonic() < deadline, f"the app never showed {text!r}"
            self.read(0.1)

    def press(self, keys: bytes, settle: float = 1.0) -> None:
        os.write(self.main, keys)
        self.read(settle)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.main, b"\x11")  # ctrl+q
        self.read(2)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(10)
        os.close(self.main)


@pytest.mark.slow
def test_the_app_shows_hostile_names_in_a_real_terminal_without_obeying_them(home: Home) -> None:
    poisoned(home)
    terminal = Terminal(home.root)
    try:
        terminal.wait_for(b"Dashboard")
        terminal.press(b"2", settle=2)  # the roster
        terminal.wait_for(b"Eve " + SHOWN_ESCAPE)
        terminal.press(b"\x1b[B", settle=0.5)  # down to Eve
        terminal.press(b"\r", settle=2)  # her details, the whole name
        terminal.wait_for(b"[bold]Mallory[/bold]")
        terminal.press(b"\x1b", settle=1)
        terminal.press(b"6", settle=2)  # peers: the devices
        terminal.press(b"7", settle=2)  # settings: groups and this device
    finally:
        terminal.close()
    output = bytes(terminal.output)
    # (Rich drops BEL itself; ESC, C1 and bidi controls it passes on, and those the app shows.)
    assert "Maple␛]0;GROUP-TITLE".encode() in output, "the group's name in the top bar, harmless"
    assert obeyed(output) == []
    assert "[bold]Mallory[/bold] — core team".encode() in output, "markup in a name shows as typed"


# ---- markup ----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("[]/\\@#=\"' bx2\x1b\n")) | st.characters(), max_size=24))
def test_any_name_inside_the_apps_markup_reads_as_the_document_holds_it(name: str) -> None:
    """Rich's escape() let `[/x#` through to crash a screen; the app's escape round-trips anything."""
    assert (
        Content.from_markup(f"[b]Member[/] {escape(name)} · zone").plain
        == f"Member {shown(name, multiline=True)} · zone"
    )


async def test_notifications_quote_names_as_plain_text_and_show_controls(home: Home) -> None:
    poisoned(home)
    app = MagnetApp(home, None, node_factory=None)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        app.notify("[/x# and [b]Eve[/b] seen today", title="Check-in [/b]")
        app.notify(f"{EVIL_DEVICE} connected")  # plain text: only the app's line filter stands between
        await pilot.pause()
        await pilot.pause()
        screen = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
    assert "[/x# and [b]Eve[/b] seen today" in screen and "Check-in [/b]" in screen
    assert "lap␛]0;OWNED-TITLE" in screen and not obeyed(screen.encode())
