"""An invite code never sits in a process's arguments, where every local user can read it (`ps`).

`magnet join` asks for it, or reads it from standard input or a file; a code given as an argument
still works, with a warning. The app hands it to its `magnet join` child on standard input.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from magnet.home import Home
from screens.invites import join_with_code
from security.loopback import magnet_serve
from sync.runfile import running_port

assert sys.platform != "win32"  # POSIX-only tests (FIFOs, ptys, /proc); mypy --platform win32 skips the rest

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.slow


def magnet(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "magnet", "--home", str(home), *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=90,
        cwd=ROOT,
    )


@contextlib.contextmanager
def inviter(home: Path) -> Iterator[str]:
    """Ann's device running `magnet serve` on 127.0.0.1; yields its address."""
    assert magnet(home, "init", "Maple Street MAG", "--me", "Ann Lee").returncode == 0
    with magnet_serve(home, "--port", "0") as (process, log):
        [info] = Home(home).groups()
        deadline = time.monotonic() + 30
        while (port := running_port(info.path)) is None:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield f"127.0.0.1:{port}"


def invite(home: Path) -> str:
    result = magnet(home, "invite", "--quiet")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def joined(home: Path) -> bool:
    return [g.name for g in Home(home).groups()] == ["Maple Street MAG"]


def test_join_asks_for_the_code_or_reads_it_from_stdin_or_a_file(tmp_path: Path) -> None:
    with inviter(tmp_path / "ann") as address:
        piped = magnet(tmp_path / "bob", "join", "-", "--me", "Bob", stdin=invite(tmp_path / "ann") + "\n")
        assert piped.returncode == 0 and "warning" not in piped.stderr and joined(tmp_path / "bob")

        code_file = tmp_path / "code.txt"
        code_file.write_text(invite(tmp_path / "ann") + "\n")
        from_file = magnet(tmp_path / "cy", "join", "--code-file", str(code_file), "--me", "Cy")
        assert from_file.returncode == 0 and "warning" not in from_file.stderr and joined(tmp_path / "cy")

        prompted = _join_at_a_prompt(tmp_path / "dee", invite(tmp_path / "ann"), address)
        assert b"Invite code" in prompted and b"Joined 'Maple Street MAG' as Dee" in prompted
        assert joined(tmp_path / "dee")

        argv = magnet(tmp_path / "eve", "join", invite(tmp_path / "ann"), "--me", "Eve")
        assert argv.returncode == 0 and joined(tmp_path / "eve"), "the old form still works"
        assert "warning: other users of this computer can see a code given on the command line" in argv.stderr

        nothing = magnet(tmp_path / "fay", "join", "-", "--me", "Fay", stdin="")
        assert nothing.returncode == 1 and "no invite code on standard input" in nothing.stderr


def _join_at_a_prompt(home: Path, code: str, address: str) -> bytes:
    """`magnet join` in a terminal: it asks, the person pastes the code."""
    main, sub = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "magnet", "--home", str(home), "join", "--me", "Dee", "--address", address],
        stdin=sub,
        stdout=sub,
        stderr=sub,
        cwd=ROOT,
    )
    os.close(sub)
    output = bytearray()
    typed = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(main, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
            if not typed and b"Invite code" in output:
                os.write(main, code.encode() + b"\n")
                typed = True
            if process.poll() is not None and not ready:
                break
    finally:
        os.close(main)
        process.wait(10)
    assert process.returncode == 0, output.decode(errors="replace")
    return bytes(output)


def test_the_apps_join_hands_the_code_to_its_child_on_stdin_never_in_argv(tmp_path: Path) -> None:
    joiner = Home(tmp_path / "joiner")
    seen: list[tuple[bytes, bytes]] = []
    done = threading.Event()

    def watch() -> None:
        """Every process started for this join, as `ps` (and /proc) shows it to any local user."""
        marker = str(joiner.root).encode()
        while not done.is_set():
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                with contextlib.suppress(OSError):
                    cmdline = Path(entry.path, "cmdline").read_bytes()
                    if marker in cmdline and b"join" in cmdline:
                        seen.append((cmdline, Path(entry.path, "environ").read_bytes()))
            time.sleep(0.002)

    with inviter(tmp_path / "ann") as address:
        code = invite(tmp_path / "ann")
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            result = join_with_code(joiner, code, address=address, me="Gus")
        finally:
            done.set()
            watcher.join(5)
    assert result.group_id == Home(tmp_path / "ann").groups()[0].group_id and joined(joiner.root)
    assert seen, "the child was seen running"
    token = code.removeprefix("MAGNET:").encode()
    for cmdline, environ in seen:
        assert b"join\x00-" in cmdline
        assert token not in cmdline and token not in environ
