"""Fixtures for the sync tests: the real `sync` package first on the path."""

from __future__ import annotations

import sys
from pathlib import Path

# tests/ is on sys.path for the shared helpers, and tests/sync would otherwise shadow the real
# `sync` package as an empty namespace package when this folder's tests run on their own.
ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
