"""CLI start-up beside a bare Python process that loads and reads the same document, in one run.

Every figure is the median wall time of fresh processes, run interleaved (so a noisy moment on the
machine hits all alike) after one warm-up each that also leaves the bytecode cache a user has.
The bare process imports automerge, loads the group's document (a plain Automerge save of it) and
reads every value in it; magnet opens its own store in a data dir. The sample groups are the
"year" group (500 members, 2,000 items, 1,000 events, 20,000 small edits; bench/tui.py uses it
too) and the smaller `magnet demo` group, each built once in a cache dir.

    .venv/bin/python bench/cli_startup.py [--runs 15] [--size year|demo|both]

Target (issue 12): `magnet --version` and `magnet list members` within 1.3x the bare figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.3

# The bare process: nothing of magnet, only Automerge and the fastest plain walk of the document.
BARE = """
import sys
from automerge.core import ROOT, Document, ObjType

with open(sys.argv[1], "rb") as f:
    doc = Document.load(f.read())

def walk(obj, kind):
    if kind == ObjType.Text:
        return doc.text(obj)
    for value, child in doc.values(obj):
        if isinstance(value, ObjType):
            walk(child, value)

walk(ROOT, ObjType.Map)
"""

COMMANDS: list[tuple[str, list[str], bool]] = [
    ("magnet --version", ["--version"], True),
    ("magnet list members", ["list", "members"], True),
    ("magnet export --format json", ["export", "--format", "json"], False),
]


def build_group(home: Path, size: str) -> Path:
    """The sample group of `size` in `home` (built once), and a plain Automerge save of it beside."""
    from magnet.errors import MagnetError
    from magnet.home import Home
    from magnet.sample import create_demo_group

    saved = home / "document.automerge"
    if Home(home).groups() and saved.exists():
        try:
            Home(home).open_group(None).close()
            return saved
        except MagnetError as exc:  # a cache from an older store format: build it again
            print(f"the cached {size} group does not open ({exc}); rebuilding", flush=True)
    shutil.rmtree(home, ignore_errors=True)
    print(f"building the {size} group in {home} (once)…", flush=True)
    group = create_demo_group(Home(home), name=f"{size.title()} MAG", size=size)
    try:
        saved.write_bytes(group.doc.save())
    finally:
        group.close()
    return saved


def magnet_command() -> list[str]:
    """The installed `magnet` script beside this interpreter (what people run), else `python -m magnet`."""
    script = Path(sys.executable).parent / ("magnet.exe" if os.name == "nt" else "magnet")
    return [str(script)] if script.exists() else [sys.executable, "-m", "magnet"]


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def measure(home: Path, size: str, runs: int) -> list[str]:
    saved = build_group(home, size)
    env = {**os.environ, "MAGNET_HOME": str(home), "MAGNET_INTERFACES": "127.0.0.1"}
    env.pop("MAGNET_PASSPHRASE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # people's installs keep bytecode: measure what they see
    magnet = magnet_command()
    argvs = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "bare": [sys.executable, "-c", BARE, str(saved)],
        **{name: magnet + args for name, args, _ in COMMANDS},
    }
    times: dict[str, list[float]] = {name: [] for name in argvs}
    for run in range(runs + 1):
        for name, argv in argvs.items():
            seconds = timed(argv, env)
            if run:
                times[name].append(seconds)
    median = {name: statistics.median(values) for name, values in times.items()}
    store = next((home / "groups").iterdir()) / "store.mgn"
    bare = median["bare"]
    lines = [
        f"{size} group: store {store.stat().st_size:,} bytes, Automerge save {saved.stat().st_size:,} bytes; "
        f"Python {sys.version.split()[0]}; median of {runs} runs",
        f"  {'python -c pass (interpreter start-up)':<44} {median['python -c pass'] * 1000:7.0f} ms",
        f"  {'bare: import automerge, load, read it all':<44} {bare * 1000:7.0f} ms   1.00x",
    ]
    for name, _, targeted in COMMANDS:
        ratio = median[name] / bare
        verdict = f"   (target {TARGET}x: {'meets' if ratio <= TARGET else 'MISSES'})" if targeted else ""
        lines.append(f"  {name:<44} {median[name] * 1000:7.0f} ms   {ratio:.2f}x{verdict}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--size", choices=["year", "demo", "both"], default="both")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()), help="where the groups are kept")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sizes = ["year", "demo"] if args.size == "both" else [args.size]
    report: list[str] = []
    for size in sizes:
        report += measure(args.cache / f"magnet-bench-cli-{size}", size, args.runs)
    print("\n".join(report))


if __name__ == "__main__":
    main()
