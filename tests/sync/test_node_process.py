"""The app's node in a process of its own: it syncs, reports, takes commands, and ends with the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_sync_cli import group_dir, magnet, serve, wait_for

from magnet.home import Home
from sync.events import NodeConfig, NodeEvent
from sync.process_node import NodeProcess

pytestmark = pytest.mark.slow
assert sys.platform != "win32"  # POSIX-only tests (SIGKILL, /proc); mypy --platform win32 skips the rest


def joined_pair(tmp_path: Path, *init: str, env: dict[str, str] | None = None) -> tuple[Path, Path]:
    """Ann's data dir (the app's) and Ben's, which joined it and has synced once."""
    ann, ben = tmp_path / "ann", tmp_path / "ben"
    magnet(ann, "init", "Maple Street MAG", "--me", "Ann Lee", *init)
    with serve(ann, "--no-discovery") as served:
        code = magnet(ann, "invite", "--quiet").stdout.strip()
        subprocess.run(
            [sys.executable, "-m", "magnet", "--home", str(ben), "join", "-", "--me", "Ben Ortiz"],
            input=code,
            text=True,
            check=True,
            capture_output=True,
            timeout=90,
            env={**os.environ, **(env or {})},
        )
        assert served.process.poll() is None
    return ann, ben


def test_the_app_and_its_node_process_sync_both_ways_and_report(tmp_path: Path) -> None:
    ann, ben = joined_pair(tmp_path)
    events: list[NodeEvent] = []
    group = Home(ann).open_group()
    node = NodeProcess(group, NodeConfig(port=0, discovery=False), on_event=events.append)
    try:
        node.start()
        assert node.port > 0
        with serve(ben, "--no-discovery", "--peer", f"127.0.0.1:{node.port}"):
            wait_for(lambda: any(p.state in ("synced", "idle", "connected") for p in node.peers()), what="a peer")
            carla = group.doc.members.add(name="Carla Okafor").id  # the app's own edit reaches Ben
            wait_for(lambda: carla in magnet(ben, "list", "members", "--format", "tsv").stdout, what="Carla on Ben's")
            dora = magnet(ben, "add", "members", "name=Dora Finch").stdout.strip()  # Ben's reaches the app
            wait_for(lambda: group.poll() >= 0 and group.doc.members.find(dora) is not None, what="Dora here")
        assert any(e.kind in ("connected", "synced") for e in events)
    finally:
        node.stop()
        group.close()
    assert node._process is not None and node._process.returncode == 0


def test_an_encrypted_groups_node_gets_its_key_over_the_pipe_only(tmp_path: Path) -> None:
    secret = {"MAGNET_PASSPHRASE": "correct horse battery staple"}
    os.environ.update(secret)
    try:
        ann, _ben = joined_pair(tmp_path, "--encrypt", env=secret)
        from magnet.unlock import open_with_passphrase

        group = open_with_passphrase(Home(ann), None)
    finally:
        del os.environ["MAGNET_PASSPHRASE"]
    node = NodeProcess(group, NodeConfig(port=0, discovery=False))
    try:
        node.start()
        assert node._process is not None
        proc = Path(f"/proc/{node._process.pid}")
        if proc.exists():
            key = group.store.cipher.data_key.hex()  # type: ignore[union-attr]
            assert key not in (proc / "cmdline").read_bytes().decode(errors="replace")
            assert key.encode() not in (proc / "environ").read_bytes()
            assert b"correct horse" not in (proc / "environ").read_bytes()
    finally:
        node.stop()
        group.close()


def test_the_node_process_ends_when_the_app_dies(tmp_path: Path) -> None:
    ann, _ben = joined_pair(tmp_path)
    app = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from magnet.home import Home;"
            "from sync.events import NodeConfig; from sync.process_node import NodeProcess;"
            "g = Home(Path(sys.argv[1])).open_group(); n = NodeProcess(g, NodeConfig(port=0, discovery=False));"
            "n.start(); print(n._process.pid, flush=True); time.sleep(600)",
            str(ann),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert app.stdout is not None
    child = int(app.stdout.readline())
    app.send_signal(signal.SIGKILL)  # the app ends without a word: its pipe to the node closes
    app.wait(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the node process outlived the app")
    assert "stopped" in (group_dir(ann) / "node.log").read_text()


def test_a_hangup_does_not_end_the_node_before_the_app_does(tmp_path: Path) -> None:
    # Closing the app's terminal hangs up its session, the node's process too; it must save and
    # exit when the app's pipe closes, not die mid-save (its read model is the next start's).
    home = Home(tmp_path / "home")
    home.create_group("Maple Street MAG").close()
    group = home.open_group()
    node = NodeProcess(group, NodeConfig(port=0, interfaces=["127.0.0.1"], discovery=False))
    try:
        node.start()
        assert node._process is not None
        node._process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert node._process.poll() is None
    finally:
        node.stop()
        group.close()
    assert node._process.returncode == 0
