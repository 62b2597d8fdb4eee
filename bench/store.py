"""Store benchmark on the sample "year" group, printed beside raw Automerge in the same run.

    .venv/bin/python bench/store.py [--edits N]

Figures: a durable edit (median, p99), load, load-to-records, file size before and after
compaction against save(), and peak RSS of a fresh process that opens the group.
Targets (issue 2): durable edit < 10 ms median; load within 1.5x raw load+extract; store within
1.5x save() after compaction.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from automerge.core import ROOT as AM_ROOT  # noqa: E402
from automerge.core import Document, ScalarType, extract  # noqa: E402

from magnet.durable import DISK  # noqa: E402
from magnet.home import Home  # noqa: E402
from magnet.sample import SIZES, SampleSize, populate  # noqa: E402


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def build(home: Home, size: SampleSize) -> float:
    start = time.perf_counter()
    group = home.create_group("Year")
    populate(group.doc, size, seed=11)
    group.doc.flush()
    group.store.close()
    group.doc.set_journal(None)
    return time.perf_counter() - start


def time_durable_edits(home: Home, count: int) -> list[float]:
    group = home.open_group()
    members = [m.id for m in group.doc.members.all()[:50]]
    times = []
    for n in range(count):
        start = time.perf_counter()
        group.doc.members.update(members[n % len(members)], notes=f"bench {n}")
        times.append(time.perf_counter() - start)
    group.close()
    return times


def time_raw_edits(saved: bytes, path: Path, count: int) -> tuple[list[float], list[float]]:
    """Raw Automerge: a one-field transaction; and the same plus appending the change + fsync."""
    doc = Document.load(saved)
    members = doc.get(AM_ROOT, "members")
    assert members is not None
    member_objs = [doc.get(members[1], key) for key in doc.keys(members[1])[:50]]
    in_memory, durable = [], []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for n in range(count):
            obj = member_objs[n % len(member_objs)]
            assert obj is not None
            start = time.perf_counter()
            heads = doc.get_heads()
            with doc.transaction() as tx:
                tx.put(obj[1], "notes", ScalarType.Str, f"raw {n}")
            in_memory.append(time.perf_counter() - start)
            change = b"".join(c.bytes for c in doc.get_changes(heads))
            os.write(fd, change)
            DISK.sync(fd)  # fdatasync on Linux
            durable.append(time.perf_counter() - start)
    finally:
        os.close(fd)
    return in_memory, durable


def best_of(runs: int, action: object) -> float:
    assert callable(action)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def open_records(home: Home) -> None:
    group = home.open_group()
    for collection in group.doc.collections():
        collection.all(include_archived=True)
    group.store.close()


def open_only(home: Home) -> None:
    home.open_group().store.close()


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) benchmark process.
HWM = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
RSS_OURS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from magnet.home import Home
    group = Home(Path(sys.argv[1])).open_group()
    total = sum(len(c.all(include_archived=True)) for c in group.doc.collections())
    print(HWM, total)
    """
).replace("HWM", HWM)
RSS_RAW = textwrap.dedent(
    """
    import sys
    from automerge.core import Document, extract
    doc = Document.load(open(sys.argv[1], "rb").read())
    extract(doc)
    print(HWM, 0)
    """
).replace("HWM", HWM)
RSS_BASE = f"import automerge.core, msgpack; print({HWM}, 0)"


def peak_rss(code: str, arg: str) -> int:
    result = subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True, cwd=ROOT, timeout=300)
    if result.returncode:
        raise SystemExit(result.stderr)
    return int(result.stdout.split()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=SIZES["year"].edits, help="small commits in the built history")
    parser.add_argument("--samples", type=int, default=500, help="durable edits timed")
    args = parser.parse_args()
    size = SampleSize(**{**SIZES["year"].__dict__, "edits": args.edits})
    with tempfile.TemporaryDirectory(prefix="magnet-bench-") as tmp:
        home = Home(Path(tmp) / "home")
        print(
            f"building the year group: {size.members} members, {size.items} items, {size.events} events, {size.goals} goals, {size.edits} edits ..."
        )
        built = build(home, size)
        group = home.open_group()
        store_path = group.store.path
        before = store_path.stat().st_size
        saved = group.doc.save()
        changes = group.doc.change_count()
        group.store.compact(group.doc)
        after = store_path.stat().st_size
        group.store.close()
        saved_path = Path(tmp) / "raw.automerge"
        saved_path.write_bytes(saved)
        print(f"built in {built:.1f} s; {changes:,} changes\n")

        ours = time_durable_edits(home, args.samples)
        raw_mem, raw_durable = time_raw_edits(saved, Path(tmp) / "raw.log", args.samples)
        raw_load = best_of(5, lambda: Document.load(saved))
        raw_extract = best_of(5, lambda: extract(Document.load(saved)))
        our_load = best_of(5, lambda: open_only(home))
        our_records = best_of(5, lambda: open_records(home))
        base_rss = peak_rss(RSS_BASE, "")
        raw_rss = peak_rss(RSS_RAW, str(saved_path))
        our_rss = peak_rss(RSS_OURS, str(home.root))

        print(f"{'':34}{'magnet':>14}{'raw automerge':>16}{'ratio':>8}")
        rows = [
            ("durable edit, median", statistics.median(ours), statistics.median(raw_durable)),
            ("durable edit, p99", percentile(ours, 0.99), percentile(raw_durable, 0.99)),
            ("in-memory edit, median (raw only)", None, statistics.median(raw_mem)),
            ("load (open store / Document.load)", our_load, raw_load),
            ("load to records / load+extract", our_records, raw_extract),
        ]
        for label, mine, theirs in rows:
            ratio = f"{mine / theirs:7.2f}x" if mine is not None else ""
            print(f"{label:34}{ms(mine) if mine is not None else '':>14}{ms(theirs):>16}{ratio:>8}")
        print(f"{'store size before compaction':34}{before:>11,} B{len(saved):>13,} B{before / len(saved):7.2f}x")
        print(f"{'store size after compaction':34}{after:>11,} B{len(saved):>13,} B{after / len(saved):7.2f}x")
        print(
            f"{'peak RSS of a fresh process':34}{our_rss / 1024:>10.1f} MB{raw_rss / 1024:>12.1f} MB{our_rss / raw_rss:7.2f}x"
        )
        print(f"{'  (interpreter + imports alone)':34}{'':>14}{base_rss / 1024:>12.1f} MB")
        print(
            "\ntargets: durable edit < 10 ms median; load to records <= 1.5x raw load+extract; size after compaction <= 1.5x save()"
        )


if __name__ == "__main__":
    main()
