"""Helpers for the import/export tests: the real CLI, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys

from magnet.home import Home, OpenGroup


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m magnet ARGS` in a subprocess (exit code, stdout and stderr as a user sees them)."""
    return subprocess.run([sys.executable, "-m", "magnet", *args], capture_output=True, text=True, timeout=60)


def open_only(home: Home) -> OpenGroup:
    return home.open_group()
