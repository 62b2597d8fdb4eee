"""This device's screen preferences (theme, sidebar, check-in window), kept beside the data dir."""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

PREFS_FILE = "tui.json"
DEFAULT_THEME = "textual-dark"
# How far back a welfare report still counts, in hours (0: every report ever made).
CHECKIN_WINDOWS = (24, 72, 168, 0)


@dataclass(frozen=True)
class Prefs:
    theme: str = DEFAULT_THEME
    sidebar: bool = True
    checkin_window: int = 24
    last_group: str = ""

    def edit(self, **changes: Any) -> Prefs:
        return replace(self, **changes)


def load_prefs(root: Path) -> Prefs:
    """Read the preferences; anything missing or odd falls back to the default."""
    try:
        raw = json.loads((root / PREFS_FILE).read_text())
    except (OSError, ValueError):
        return Prefs()
    if not isinstance(raw, dict):
        return Prefs()
    defaults = Prefs()
    values: dict[str, Any] = {}
    for f in fields(Prefs):
        value = raw.get(f.name)
        if isinstance(value, type(getattr(defaults, f.name))):
            values[f.name] = value
    return Prefs(**values)


def save_prefs(root: Path, prefs: Prefs) -> None:
    """Best effort: a read-only data dir must not stop anyone working."""
    with contextlib.suppress(OSError):
        root.mkdir(parents=True, exist_ok=True)
        (root / PREFS_FILE).write_text(json.dumps(asdict(prefs), indent=2))
