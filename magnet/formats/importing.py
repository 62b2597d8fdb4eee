"""`magnet import FILE`: spreadsheets (CSV) and bundles."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from magnet.document import GroupDocument
from magnet.errors import MagnetError


@dataclass
class ImportSummary:
    imported: int = 0
    failed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"Imported {self.imported} records."


def import_file(doc: GroupDocument, path: Path, *, kind: str | None, skip_invalid: bool) -> ImportSummary:
    raise MagnetError(f"importing {path.name} is not available in this version")
