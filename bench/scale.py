"""Scale benchmark: the year workload x1, x3, x10, each figure beside its floor, in one run.

    .venv/bin/python bench/scale.py [--sizes 1 3 10] [--commits 20]

Every magnet figure is a real process on a copy of the cached workload (bench/workloads.py);
every floor is a bare Python process doing the least the same answer needs with automerge alone.
Rows (issue 15): `magnet list members` and `magnet info` (read model warm, and cold right after
another process changed the group), the first sync to a new device (`magnet join` against
`magnet serve` on 127.0.0.1) with the receiver's peak memory and store size, and a commit by
another process until it is durable on a peer. The app's rows are printed by bench/tui.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workloads import ENV, copy_of, serve, stop, store_of  # noqa: E402
from magnet.store import read_header  # noqa: E402
from sync.runfile import running_port  # noqa: E402

HWM = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
# A magnet command that reports its own peak memory (VmHWM, KiB) on stderr as it exits.
MAGNET = textwrap.dedent(
    f"""
    import atexit, sys
    atexit.register(lambda: print("HWM", {HWM}, file=sys.stderr))
    from magnet.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)
# The floor: load the saved document and read every collection's plain values.
BARE_READ = textwrap.dedent(
    f"""
    import sys, time
    from automerge.core import Document, extract
    data = open(sys.argv[1], "rb").read()
    doc = Document.load(data)
    extract(doc)
    print("HWM", {HWM}, file=sys.stderr)
    """
)
# The floor of a first sync: the sender saves, the receiver loads, merges into an empty doc, saves.
BARE_SYNC = textwrap.dedent(
    f"""
    import sys, time
    from automerge.core import Document
    started = time.perf_counter()
    sender = Document.load(open(sys.argv[1], "rb").read())
    sent = sender.save()
    began = time.perf_counter()
    receiver = Document()
    receiver.merge(Document.load(sent))
    receiver.save()
    print("TIME", time.perf_counter() - began, file=sys.stderr)
    print("HWM", {HWM}, file=sys.stderr)
    """
)


def run(argv: list[str], *, timeout: float = 600) -> tuple[float, int, str]:
    """Wall time, peak memory (KiB) and stdout of one process."""
    started = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=ENV, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(f"{' '.join(argv[:6])} failed: {result.stderr[-2000:]}")
    hwm = next((int(line.split()[1]) for line in result.stderr.splitlines() if line.startswith("HWM")), 0)
    reported = next((float(line.split()[1]) for line in result.stderr.splitlines() if line.startswith("TIME")), 0.0)
    return (reported or elapsed), hwm, result.stdout


def magnet(home: Path, *args: str) -> tuple[float, int, str]:
    return run([sys.executable, "-c", MAGNET, "--home", str(home), *args])


def median_of(times: int, action: Callable[[], tuple[float, int, str]]) -> tuple[float, int]:
    results = [action() for _ in range(times)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def saved_document(home: Path, into: Path) -> Path:
    """The workload's document as Automerge's own file (the store's snapshot chunk)."""
    store = store_of(home)
    header = read_header(store)
    data = store.read_bytes()[header.size + 9 :]  # one snapshot chunk after a compaction: kind, length, crc
    into.write_bytes(data)
    return into


def row(label: str, ours: float, floor: float, unit: str = "s", extra: str = "") -> None:
    print(f"  {label:44}{_shown(ours, unit):>11}{_shown(floor, unit):>11}{ours / floor:>8.2f}x  {extra}")


def _shown(value: float, unit: str) -> str:
    return f"{value:.2f} s" if unit == "s" else f"{value / 1024:.0f} MB"


def reading(home: Path, saved: Path) -> None:
    floor, floor_hwm = median_of(3, lambda: run([sys.executable, "-c", BARE_READ, str(saved)]))
    magnet(home, "list", "members")  # the first read after the build writes the read model
    warm, warm_hwm = median_of(3, lambda: magnet(home, "list", "members"))
    row("magnet list members (read model)", warm, floor, extra=f"{warm_hwm / 1024:.0f} MB peak")
    cold = []
    for n in range(2):
        magnet(home, "add", "members", f"name=Bench {n}")  # another process changed the group
        os.utime(store_of(home))  # and anything else of the store's state may have moved too
        (next(home.glob("groups/*")) / "records.mgr").unlink(missing_ok=True)
        cold.append(magnet(home, "list", "members"))
    row("magnet list members (no read model)", statistics.median(c[0] for c in cold), floor)
    info, info_hwm = median_of(3, lambda: magnet(home, "info"))
    row("magnet info (read model)", info, floor, extra=f"{info_hwm / 1024:.0f} MB peak")
    row("peak memory, list members / bare load+extract", warm_hwm, floor_hwm, unit="MB")


def first_sync(home: Path, saved: Path, tmp: Path) -> None:
    floor, _ = median_of(1, lambda: run([sys.executable, "-c", BARE_SYNC, str(saved)]))
    _, _, code = magnet(home, "invite", "--quiet")
    server = serve(home)
    try:
        port = running_port(next(home.glob("groups/*")))
        joiner = tmp / "joiner"
        took, hwm, _ = run(
            [
                sys.executable,
                "-c",
                MAGNET,
                "--home",
                str(joiner),
                "join",
                code.strip().splitlines()[-1],
                "--name",
                "bench-pi",
                "--address",
                f"127.0.0.1:{port}",
            ]
        )
    finally:
        stop(server)
    row("first sync to a new device (magnet join)", took, floor)
    _, bare_load = run([sys.executable, "-c", BARE_READ, str(saved)])[:2]
    row("peak memory of the receiving device / bare load", hwm, bare_load, unit="MB")
    stored = store_of(joiner).stat().st_size
    print(
        f"  {'receiver store before compaction / save()':44}{stored:>11,}{saved.stat().st_size:>11,}{stored / saved.stat().st_size:>8.2f}x"
    )


def commit_to_peer(home: Path, tmp: Path, commits: int) -> None:
    """A commit by another process (the CLI) until a peer has it on its disk (file times: ~4 ms grain)."""
    _, _, code = magnet(home, "invite", "--quiet")
    first = serve(home)
    peer = tmp / "peer"
    try:
        port = running_port(next(home.glob("groups/*")))
        magnet(peer, "join", code.strip().splitlines()[-1], "--name", "peer", "--address", f"127.0.0.1:{port}")
        second = serve(peer, "--peer", f"127.0.0.1:{port}")
        try:
            time.sleep(3)  # connected and idle
            peer_store, own_store = store_of(peer), store_of(home)
            delays = []
            for n in range(commits):
                before = peer_store.stat().st_size
                magnet(home, "add", "members", f"name=Commit {n}")
                # From the commit's append (the store's modification time) to the peer's append:
                # the CLI process itself may still be closing when the peer already has it.
                committed = own_store.stat().st_mtime_ns
                deadline = time.monotonic() + 30
                while peer_store.stat().st_size == before and time.monotonic() < deadline:
                    time.sleep(0.001)
                delays.append(max(0, peer_store.stat().st_mtime_ns - committed) / 1e9)
        finally:
            stop(second)
    finally:
        stop(first)
    delays.sort()
    p95 = delays[min(len(delays) - 1, int(len(delays) * 0.95))]
    print(
        f"  {'commit by another process -> durable on a peer':44}  p50 {statistics.median(delays) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms  (target p95 <= 50 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 3, 10])
    parser.add_argument("--commits", type=int, default=20)
    args = parser.parse_args()
    print(f"  {'':44}{'magnet':>11}{'floor':>11}{'ratio':>9}")
    for factor in args.sizes:
        print(f"x{factor}")
        with tempfile.TemporaryDirectory(prefix="magnet-scale-") as name:
            tmp = Path(name)
            home = copy_of(factor, tmp / "home")
            saved = saved_document(home, tmp / "saved.automerge")
            reading(home, saved)
            first_sync(copy_of(factor, tmp / "home2"), saved, tmp)
            if factor == args.sizes[0]:
                commit_to_peer(copy_of(factor, tmp / "home3"), tmp, args.commits)


if __name__ == "__main__":
    main()
