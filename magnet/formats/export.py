"""`magnet export --format F`: one entry point for every output format."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from magnet.document import GroupDocument
from magnet.errors import MagnetError
from magnet.groupkey import GroupSecret

FORMATS = ("json", "csv", "vcard", "ics", "html", "md", "bundle")


def export_group(
    doc: GroupDocument,
    fmt: str,
    *,
    kind: str | None = None,
    sensitive: bool = False,
    seal: GroupSecret | None = None,
) -> str | bytes:
    """The group (or one collection of it) rendered as `fmt`; bytes for files with a fixed encoding.

    A bundle with `seal` (the group's current secret) opens only on the group's own devices.
    """
    if kind is not None and fmt != "csv":
        raise MagnetError(f"--kind is for csv; {fmt} always holds {_whole(fmt)}")
    if seal is not None and fmt != "bundle":
        raise MagnetError("only bundles are sealed; the other formats are for people and other programs")
    if fmt == "json":
        from magnet.formats import json_export

        return json_export.dumps(doc, sensitive=sensitive)
    if fmt == "csv":
        from magnet.formats.csv_export import export_csv

        return export_csv(doc, kind, sensitive=sensitive)
    if fmt == "vcard":
        from magnet.formats.vcard import export_vcard

        return export_vcard(doc, sensitive=sensitive)
    if fmt == "ics":
        from magnet.formats.ics import export_ics

        return export_ics(doc)
    if fmt in ("html", "md"):
        from magnet.formats.binder import build_binder

        binder = build_binder(doc, sensitive=sensitive)
        if fmt == "html":
            from magnet.formats.binder_html import render_html

            return render_html(binder)
        from magnet.formats.binder_md import render_markdown

        return render_markdown(binder)
    if fmt == "bundle":
        from magnet.formats.bundle import write_bundle

        if seal is None:
            return write_bundle(doc)
        from magnet.formats.sealed import seal as seal_bundle

        return seal_bundle(write_bundle(doc), group_id=doc.group_id, secret=seal)
    raise MagnetError(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")


def _whole(fmt: str) -> str:
    return {
        "vcard": "the roster",
        "ics": "the events",
        "html": "the whole binder",
        "md": "the whole binder",
        "bundle": "the whole group document",
    }.get(fmt, "the whole group")


def write_export(path: Path, data: str | bytes) -> int:
    """Write an export to `path`; the number of bytes.

    Written beside the target and renamed over it, so a USB stick pulled out mid-write leaves
    the old file (or none), never half a bundle that looks whole. Owner-only (0600) whatever it
    holds: a roster is neighbors' names and phones, and other accounts on this computer are not
    the group. (A stick's FAT ignores modes, which is why bundles come with a warning.)
    """
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    temp = path.with_name(f".{path.name}.part")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise MagnetError(f"cannot write {path}: {exc.strerror or exc}") from None
    return len(raw)
