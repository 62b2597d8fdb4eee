"""Drafts: what someone typed in a form and has not saved yet, kept across a crash or a restart.

One small file per group, beside its store, readable by its owner only (0600), written a moment
after typing pauses and removed when the form is saved or its typing discarded. A group encrypted
at rest keeps drafts in memory only: a draft holds what the store encrypts (an address, medical
notes), and writing it in the clear would undo that. No Textual here.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from magnet.fileio import write_private

DRAFTS_FILE = "drafts.json"
Raw = str | bool


@dataclass(frozen=True)
class Draft:
    """The fields typed in one form (by field name), and when."""

    title: str
    values: dict[str, Raw]
    at: datetime


class Drafts:
    """Drafts of one group's forms, keyed by what the form edits ('members:new', 'events:<id>')."""

    def __init__(self, folder: Path | None) -> None:
        self.path = folder / DRAFTS_FILE if folder is not None else None
        self._lock = threading.Lock()
        self._drafts: dict[str, Draft] = self._read()

    @property
    def on_disk(self) -> bool:
        return self.path is not None

    def _read(self) -> dict[str, Draft]:
        if self.path is None:
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        found: dict[str, Draft] = {}
        if not isinstance(raw, dict):
            return found
        for key, item in raw.items():
            with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError):
                values = {str(k): v for k, v in item["values"].items() if isinstance(v, str | bool)}
                found[str(key)] = Draft(str(item["title"]), values, datetime.fromisoformat(item["at"]))
        return found

    def _write(self) -> None:
        if self.path is None:
            return
        data = {
            key: {"title": d.title, "values": d.values, "at": d.at.isoformat(timespec="seconds")}
            for key, d in self._drafts.items()
        }
        if not data:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            return
        with contextlib.suppress(OSError):  # a full disk must not stop anyone typing
            write_private(self.path, json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"))

    def get(self, key: str) -> Draft | None:
        with self._lock:
            return self._drafts.get(key)

    def all(self) -> dict[str, Draft]:
        with self._lock:
            return dict(self._drafts)

    def put(self, key: str, title: str, values: dict[str, Raw], at: datetime) -> None:
        """Keep what is typed now (nothing typed: drop the draft)."""
        with self._lock:
            if values:
                self._drafts[key] = Draft(title, dict(values), at.replace(microsecond=0))
            else:
                self._drafts.pop(key, None)
            self._write()

    def drop(self, key: str) -> None:
        with self._lock:
            if self._drafts.pop(key, None) is not None:
                self._write()


def drafts_for(folder: Path, *, encrypted: bool) -> Drafts:
    """The drafts of the group in `folder`; in memory only when its store is encrypted at rest."""
    return Drafts(None if encrypted else folder)
