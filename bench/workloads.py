"""The "year" workload and its multiples (x1, x3, x10), built once and cached for every benchmark.

    .venv/bin/python bench/workloads.py 1 3 10     # build (or reuse) and print where they are

A workload is a data dir holding one group: the year's records times N and N times its ~19k small
commits. Building x10 takes minutes, so the data dir is kept under $MAGNET_BENCH_CACHE (default
~/.cache/magnet-bench) and copied before a benchmark writes to it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from magnet.home import Home  # noqa: E402
from magnet.sample import SIZES, SampleSize, populate  # noqa: E402
from sync.runfile import running_port  # noqa: E402

CACHE = Path(os.environ.get("MAGNET_BENCH_CACHE", Path.home() / ".cache" / "magnet-bench"))
# Bump when the workload's shape or magnet's store format changes, so stale caches are rebuilt.
VERSION = 1


def scaled(factor: int) -> SampleSize:
    year = SIZES["year"]
    return replace(
        year,
        members=year.members * factor,
        households=year.households * factor,
        items=year.items * factor,
        events=year.events * factor,
        goals=year.goals * factor,
        edits=year.edits * factor,
    )


def workload(factor: int) -> Path:
    """The cached data dir of the year workload times `factor` (built on first use)."""
    target = CACHE / f"v{VERSION}-x{factor}"
    if (target / ".complete").exists():
        return target
    if target.exists():
        shutil.rmtree(target)
    started = time.perf_counter()
    print(f"building workload x{factor} (once; cached in {target}) ...", file=sys.stderr, flush=True)
    home = Home(target)
    group = home.create_group("Year")
    populate(group.doc, scaled(factor), seed=11)
    group.doc.flush()
    group.store.compact(group.doc)
    group.close()
    (target / ".complete").write_text(f"{time.perf_counter() - started:.1f} s\n")
    print(f"built x{factor} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return target


def copy_of(factor: int, into: Path) -> Path:
    """A private copy of the workload's data dir to write to."""
    source = workload(factor)
    shutil.copytree(source, into, ignore=shutil.ignore_patterns(".complete", "*.lock"))
    return into


def store_of(home: Path) -> Path:
    return next(home.glob("groups/*/store.mgn"))


# Every process a benchmark starts stays on loopback and runs this checkout.
ENV = {**os.environ, "MAGNET_INTERFACES": "127.0.0.1", "PYTHONPATH": str(ROOT)}


def serve(home: Path, *extra: str) -> subprocess.Popen[str]:
    """`magnet serve` on `home`, on a free port of 127.0.0.1 without mDNS, once it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "magnet", "--home", str(home), "serve", "--port", "0", "--no-discovery", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env=ENV,
        cwd=ROOT,
    )
    group = next(home.glob("groups/*"))
    deadline = time.monotonic() + 300
    while running_port(group) is None:
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"serve on {home} did not start")
        time.sleep(0.05)
    return process


def stop(process: subprocess.Popen[str]) -> None:
    """Stop a served peer the way a person does (SIGTERM), and make sure it is gone."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["1"]:
        print(workload(int(arg)))
