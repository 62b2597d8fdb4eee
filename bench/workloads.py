"""The "year" workload and its multiples (x1, x3, x10), built once and cached for every benchmark.

    .venv/bin/python bench/workloads.py 1 3 10     # build (or reuse) and print where they are

A workload is a data dir holding one group: the year's records times N and N times its ~19k small
commits. Building x10 takes minutes, so the data dir is kept under $MAGNET_BENCH_CACHE (default
~/.cache/magnet-bench) and copied before a benchmark writes to it.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from magnet.home import Home  # noqa: E402
from magnet.sample import SIZES, SampleSize, populate  # noqa: E402

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


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["1"]:
        print(workload(int(arg)))
