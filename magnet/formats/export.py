"""`magnet export --format F`: one entry point for every output format."""

from __future__ import annotations

from magnet.document import GroupDocument
from magnet.errors import MagnetError


def export_group(doc: GroupDocument, fmt: str, *, kind: str | None = None, sensitive: bool = False) -> str | bytes:
    """The group (or one collection of it) rendered as `fmt`."""
    if fmt == "json":
        from magnet.formats import json_export

        if kind is not None:
            raise MagnetError("--kind is for csv; json always holds the whole group")
        return json_export.dumps(doc)
    raise MagnetError(f"export as {fmt} is not available in this version")
