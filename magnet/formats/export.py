"""`magnet export --format F`: one entry point for every output format."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import unicodedata
from datetime import date
from pathlib import Path

from magnet.document import GroupDocument
from magnet.errors import MagnetError
from magnet.fileio import fsync_dir
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


_SUFFIXES = {
    "json": ".json",
    "csv": ".csv",
    "vcard": ".vcf",
    "ics": ".ics",
    "html": ".html",
    "md": ".md",
    "bundle": ".mgb",
}
_TEMP_TRIES = 16
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def slug(name: str) -> str:
    """'Sample Street MAG' -> 'sample-street-mag': safe in a file name on any stick (FAT included)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "group"


def file_name(group_name: str, fmt: str, *, kind: str | None = None, today: date | None = None) -> str:
    """magnet-<group>-<what>-YYYY-MM-DD.<ext>: the name an export gets in a folder given as -o."""
    what = kind or {"html": "binder", "md": "binder", "vcard": "contacts", "ics": "events"}.get(fmt, fmt)
    stamp = (today or date.today()).isoformat()
    return f"magnet-{slug(group_name)}-{what}-{stamp}{_SUFFIXES.get(fmt, '')}"


def export_target(path: Path, name_in_folder: str) -> Path:
    """Where an export given `-o path` goes: `path` itself, or `name_in_folder` inside it when it is a folder."""
    try:
        if stat.S_ISDIR(os.stat(path).st_mode):
            return path / name_in_folder
    except OSError:
        pass  # not there (yet): the file is created; anything else is write_export's to refuse
    return path


def _refusal(path: Path) -> str | None:
    """Why an export must not replace what is at `path` (None: nothing there, or a regular file).

    Renaming over a FIFO, a device (/dev/full, as root) or a symlink would replace it, not
    write to it: only a plain file a person chose is ever replaced.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    if stat.S_ISREG(mode):
        return None
    what = next((word for test, word in _KINDS if test(mode)), "not a regular file")
    return f"it is {what}; an export replaces only a regular file (or give a folder to write into)"


def _create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """A new, empty, owner-only file beside the target: created exclusively (O_EXCL), never
    through a symlink (O_NOFOLLOW), under a random name no one can plant in advance."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(_TEMP_TRIES):
        temp = folder / f".{name}.{secrets.token_hex(6)}.part"
        try:
            return os.open(temp, flags, 0o600), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def write_export(path: Path, data: str | bytes) -> int:
    """Write an export to `path`; the number of bytes.

    Written beside the target and renamed over it, so a USB stick pulled out mid-write leaves
    the old file (or none), never half a bundle that looks whole. Owner-only (0600) whatever it
    holds: a roster is neighbors' names and phones, and other accounts on this computer are not
    the group. (A stick's FAT ignores modes, which is why bundles come with a warning.) Only a
    regular file is ever replaced; see `_refusal`.
    """
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    problem = _refusal(path)
    if problem is not None:
        raise MagnetError(f"cannot write {path}: {problem}")
    temp: Path | None = None
    try:
        fd, temp = _create_temp(path.parent, path.name)
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        problem = _refusal(path)  # swapped for something else while we wrote?
        if problem is not None:
            raise MagnetError(f"cannot write {path}: {problem}")
        os.replace(temp, path)
        temp = None
        with contextlib.suppress(OSError):
            fsync_dir(path.parent)
    except OSError as exc:
        raise MagnetError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                temp.unlink()
    return len(raw)
