"""The app while it syncs, on the year workload: keypress latency, absorbing a burst, idle CPU.

    .venv/bin/python bench/tui_sync.py [--size 1] [--edits 2000] [--samples 50] [--node process|thread]

The real app (MagnetApp, driven by Textual's Pilot at 80x24) runs on a copy of the cached
workload with its node on 127.0.0.1. A second device (a joined data dir with `magnet serve`)
is its peer. Figures, each beside its own floor in the same run:
- keypress-to-screen latency on the Roster (Pilot.press of a cursor key, 50 samples:
  median/p95/max) from the first screen until the node's process has opened the group, with
  nothing syncing, while the peer pushes N edits, and while a new device
  pulls the whole group (`magnet join`);
- how long the app takes to absorb the N edits, beside `magnet serve` absorbing the same;
- a remote edit until the open Roster shows it;
- the app's CPU while idle on the Dashboard for 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

assert sys.platform != "win32"  # POSIX-only bench (getrusage, /proc); mypy --platform win32 skips the rest
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "screens"))

os.environ["MAGNET_INTERFACES"] = "127.0.0.1"

from bench.workloads import ENV, copy_of, serve, stop  # noqa: E402
from magnet.home import Home  # noqa: E402
from screens.app import MagnetApp  # noqa: E402
from screens.roster import RosterScreen  # noqa: E402
from sync.events import NodeConfig  # noqa: E402
from sync.runfile import running_port  # noqa: E402

PUSH = """
import sys
from pathlib import Path
from magnet.home import Home
group = Home(Path(sys.argv[1])).open_group()
members = [m.id for m in group.doc.members.all()]
for n in range(int(sys.argv[2])):
    group.doc.members.update(members[n % len(members)], notes=f"burst {n}")
print(" ".join(head.hex() for head in group.doc.heads()), flush=True)
group.close()
"""


def cli(home: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "magnet", "--home", str(home), *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=600,
        env=ENV,
        cwd=ROOT,
    )
    if result.returncode:
        raise SystemExit(f"magnet {' '.join(args)}: {result.stderr[-1500:]}")
    return result.stdout


def join(inviter: Path, joiner: Path, name: str) -> None:
    """`joiner` becomes a device of the inviter's group (served for the occasion)."""
    code = cli(inviter, "invite", "--quiet").strip().splitlines()[-1]
    server = serve(inviter)
    try:
        port = running_port(next(inviter.glob("groups/*")))
        cli(joiner, "join", "-", "--name", name, "--address", f"127.0.0.1:{port}", stdin=code)
    finally:
        stop(server)


def factory(where: str) -> Callable[[Any, Any], Any]:
    config = NodeConfig(port=0, interfaces=["127.0.0.1"], discovery=False)
    if where == "thread":
        from sync.runner import NodeHandle

        return lambda group, hear: NodeHandle(group, config, hear)
    from sync.process_node import NodeProcess

    return lambda group, hear: NodeProcess(group, config, hear)


def stats(label: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"  {label:46} median {statistics.median(ms):6.1f} ms  p95 {p95:6.1f}  max {ms[-1]:6.1f}  (n={len(ms)})"


async def keypresses(pilot: Any, count: int, *, while_: Callable[[], bool] | None = None) -> list[float]:
    """Cursor keys on the Roster, one at a time: from the key reaching the app to the cursor moving.

    Sent as the terminal driver sends a key (not Pilot.press, which also waits for the app to be
    idle: during a burst it hardly ever is, and that wait is not what a person feels).
    """
    from textual import events

    app = pilot.app
    table = app.screen.members.table
    samples: list[float] = []
    while len(samples) < count and (while_ is None or while_()):
        key = "down" if len(samples) % 2 == 0 else "up"
        row = table.cursor_row
        started = time.perf_counter()
        app._driver.send_message(events.Key(key, None))
        while table.cursor_row == row and time.perf_counter() - started < 30:
            await asyncio.sleep(0.0005)
        samples.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)
    return samples


async def until(check: Callable[[], bool], within: float, what: str) -> float:
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > within:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


def holds(doc: Any, heads: list[bytes]) -> bool:
    """Whether the app has the changes up to `heads`: its own document has them, or, when it shows
    the group from its read model, the node's process has fed it up to exactly them."""
    if doc.reading_only:
        return set(heads) <= set(doc.heads())
    return bool(doc.has_heads(heads))


async def run(args: argparse.Namespace, tmp: Path) -> None:
    home = copy_of(args.size, tmp / "app")
    peer = tmp / "peer"
    join(home, peer, "bench-peer")
    Home(home).open_group().close()  # a read model for this copy, as the app leaves one when it quits
    app = MagnetApp(Home(home), None, node_factory=factory(args.node))
    if os.environ.get("BENCH_WATCHDOG"):
        sys.path.insert(0, os.environ["BENCH_WATCHDOG"])  # a directory holding watchdog.py (a stall reporter)
        import watchdog  # type: ignore[import-not-found]

        watchdog.install(asyncio.get_running_loop())
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: app.ready_at is not None, 300, "the app")
        # While the node's process opens the whole group (the app shows its read model meanwhile).
        await pilot.press("2")
        await until(lambda: isinstance(app.screen, RosterScreen) and app.screen.loaded_once, 120, "the roster")
        while_opening = await keypresses(pilot, args.samples, while_=lambda: not app.sync.running)
        await pilot.press("1")
        await until(lambda: app.sync.running and app.sync.port > 0, 60, "the app's node")
        assert app.session is not None
        forwarding = app.session.forwarding
        port = app.sync.port
        # Idle CPU on the Dashboard: this process and the node's, over 10 s.
        node_pid = getattr(getattr(app.session.node, "_process", None), "pid", None) if app.session else None
        cpu = _cpu(node_pid)
        await asyncio.sleep(10)
        idle = _cpu(node_pid)
        app_cpu = (idle[0] - cpu[0]) / 10 * 100
        node_cpu = (idle[1] - cpu[1]) / 10 * 100 if node_pid else 0.0

        await pilot.press("2")
        await until(lambda: isinstance(app.screen, RosterScreen) and app.screen.loaded_once, 120, "the roster")
        quiet = await keypresses(pilot, args.samples)

        peer_serve = serve(peer, "--peer", f"127.0.0.1:{port}")
        try:
            await until(lambda: app.sync.connected > 0, 60, "the peer to connect")
            doc = app.session.doc if app.session else None
            assert doc is not None
            # One remote edit until the open Roster shows it.
            target = doc.members.all()[0]
            marker = f"seen {time.time():.0f}"
            pushed = time.perf_counter()
            await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "magnet", "--home", str(peer), "set", "members", target.id, f"notes={marker}"],
                env=ENV,
                cwd=ROOT,
                capture_output=True,
            )
            roster = app.screen
            assert isinstance(roster, RosterScreen)
            await until(
                lambda: (
                    any(getattr(r, "notes", "") == marker for r in roster.members.rows)
                    or doc.members.get(target.id).notes == marker
                ),
                60,
                "the remote edit",
            )
            one_edit = time.perf_counter() - pushed

            # A burst: the peer's process commits N edits; its serve pushes them to the app.
            burst_started = time.perf_counter()
            pusher = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                PUSH,
                str(peer),
                str(args.edits),
                env=ENV,
                cwd=str(ROOT),
                stdout=asyncio.subprocess.PIPE,
            )
            final: list[list[bytes]] = []
            absorbed_at: list[float] = []

            async def absorbed() -> None:
                # Off the UI loop: the document's lock may be held by the app's poller while it
                # merges, and the bench must not make the screen wait for it.
                assert pusher.stdout is not None
                final.append(_heads((await pusher.stdout.readline()).decode()))
                while not await asyncio.to_thread(holds, doc, final[0]):
                    await asyncio.sleep(0.01)
                absorbed_at.append(time.perf_counter())

            absorbing = asyncio.create_task(absorbed())
            during_burst = await keypresses(pilot, args.samples, while_=lambda: not absorbing.done())
            await asyncio.wait_for(absorbing, 600)
            await pusher.wait()
            app_absorb = absorbed_at[0] - burst_started
        finally:
            stop(peer_serve)

        # While a new device pulls the whole group from the app's node.
        newcomer = tmp / "newcomer"
        code = cli(home, "invite", "--quiet").strip().splitlines()[-1]
        joining = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "magnet",
                "--home",
                str(newcomer),
                "join",
                "-",
                "--name",
                "new",
                "--address",
                f"127.0.0.1:{port}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
            env=ENV,
            cwd=ROOT,
        )
        assert joining.stdin is not None
        joining.stdin.write(code + "\n")
        joining.stdin.close()
        during_pull = await keypresses(pilot, args.samples, while_=lambda: joining.poll() is None)
        joining.wait(600)

    serve_absorb = await serve_burst(tmp, args)
    shows = "its read model, fed by the node" if forwarding else "its own whole document"
    print(f"x{args.size}, node on a {args.node}; {args.edits} edits in the burst; the app shows {shows}")
    print(stats("keypress, while the node's process opens the group", while_opening or [0.0]))
    print(stats("keypress, nothing syncing", quiet))
    print(stats(f"keypress, a peer pushes {args.edits} edits", during_burst))
    print(stats("keypress, a new device pulls the group", during_pull or [0.0]))
    print(
        f"  {'the burst absorbed: app / magnet serve':46} {app_absorb:6.2f} s / {serve_absorb:6.2f} s  ({app_absorb / serve_absorb:.2f}x)"
    )
    print(f"  {'a remote edit until the open Roster has it':46} {one_edit * 1000:6.0f} ms (through a CLI process)")
    print(f"  {'idle CPU on the Dashboard: app / its node':46} {app_cpu:5.2f}% / {node_cpu:5.2f}%")


async def serve_burst(tmp: Path, args: argparse.Namespace) -> float:
    """The floor: the same burst pushed to `magnet serve` instead of the app."""
    home = copy_of(args.size, tmp / "serve-app")
    peer = tmp / "serve-peer"
    join(home, peer, "bench-peer")
    receiver = serve(home)
    port = running_port(next(home.glob("groups/*")))
    sender = serve(peer, "--peer", f"127.0.0.1:{port}")
    try:
        await asyncio.sleep(3)
        group = Home(home).open_group()
        started = time.perf_counter()
        pushed = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", PUSH, str(peer), str(args.edits)],
            env=ENV,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        final = _heads(pushed.stdout)

        def arrived() -> bool:
            group.poll()
            return group.doc.has_heads(final)

        await until(arrived, 600, "serve to absorb the burst")
        took = time.perf_counter() - started
        group.close()
        return took
    finally:
        stop(sender)
        stop(receiver)


def _heads(text: str) -> list[bytes]:
    return [bytes.fromhex(word) for word in text.split() if len(word) == 64]


def _cpu(pid: int | None) -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    node = 0.0
    if pid:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            node = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            node = 0.0
    return own.ru_utime + own.ru_stime, node


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--size", type=int, default=1)
    parser.add_argument("--edits", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--node", choices=["process", "thread"], default="process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="magnet-tui-sync-") as name:
        asyncio.run(run(args, Path(name)))


if __name__ == "__main__":
    main()
