"""The file work behind the app's "Data in and out": what can be written, where by default, and the reports.

No Textual here: the modals call these on worker threads (a USB stick or a 40 MB spreadsheet can
take seconds) and show what comes back. The formats themselves are the core's (`export_group`,
`import_file`), the same ones `magnet export` and `magnet import` use, so a file written from the
app and one written from the command line are the same file.
"""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from magnet.document import GroupDocument
from magnet.errors import MagnetError
from magnet.formats.bundle import MergeSummary
from magnet.formats.columns import CSV_KINDS
from magnet.formats.csv_import import CsvImportSummary, ImportPlan
from magnet.formats.export import export_group, slug, write_export
from magnet.formats.importing import open_file
from magnet.groupkey import GroupSecret, KeyRing

SENSITIVE_FIELDS = "addresses, emergency contacts, special needs, medical notes"


@dataclass(frozen=True)
class ExportChoice:
    """One thing the app can write: a format, which records, and how its file is named."""

    id: str
    title: str
    fmt: str
    stem: str  # the part of the default file name that says what it holds
    suffix: str
    about: str
    kind: str | None = None  # which records, for a CSV
    may_hold_sensitive: bool = False  # offer the "include sensitive fields" box
    holds_everything: bool = False  # sensitive fields always included: written owner-only, with a warning
    can_seal: bool = False  # offer sealing it for the group's devices only (on by default)


def _csv(kind: str, about: str, *, sensitive: bool = False) -> ExportChoice:
    return ExportChoice(
        f"csv-{kind}",
        f"{kind.capitalize()} (CSV spreadsheet)",
        "csv",
        kind,
        ".csv",
        about + " Headers that import back into any group.",
        kind=kind,
        may_hold_sensitive=sensitive,
    )


EXPORTS: tuple[ExportChoice, ...] = (
    ExportChoice(
        "binder-html",
        "Printable binder (HTML)",
        "html",
        "binder",
        ".html",
        "Roster, contacts, skills, PACE plan, call tree, rally points, inventory, partners, events: "
        "one page that prints well, stamped with the date and the document's version.",
        may_hold_sensitive=True,
    ),
    ExportChoice(
        "binder-md",
        "Printable binder (Markdown)",
        "md",
        "binder",
        ".md",
        "The same binder as plain text with Markdown tables.",
        may_hold_sensitive=True,
    ),
    _csv("members", "Every active member, one row each.", sensitive=True),
    _csv("households", "Every household with its zone and headcount.", sensitive=True),
    _csv("inventory", "Supplies with quantities, locations and expiry dates."),
    _csv("partners", "Partner organisations, contacts and follow-ups."),
    _csv("events", "Events past and upcoming."),
    ExportChoice(
        "vcard",
        "Contacts for phones (vCard)",
        "vcard",
        "contacts",
        ".vcf",
        "One card per member; phone and email only for those who agreed to share them.",
        may_hold_sensitive=True,
    ),
    ExportChoice(
        "ics", "Calendar (iCalendar)", "ics", "events", ".ics", "Every event, for a phone's or laptop's calendar."
    ),
    ExportChoice(
        "json",
        "Everything as JSON",
        "json",
        "group",
        ".json",
        "Every record, archived ones too, for scripts and safekeeping.",
        may_hold_sensitive=True,
    ),
    ExportChoice(
        "bundle",
        "Bundle for a USB stick",
        "bundle",
        "bundle",
        ".mgb",
        "The whole group document, to merge on a device that cannot sync over the network.",
        holds_everything=True,
        can_seal=True,
    ),
)
EXPORT_BY_ID = {choice.id: choice for choice in EXPORTS}
IMPORT_KINDS: tuple[str, ...] = tuple(CSV_KINDS)
SPREADSHEET_SUFFIXES = (".csv", ".tsv", ".txt", ".vcf")


def default_path(choice: ExportChoice, group_name: str, today: date, folder: Path | None = None) -> Path:
    """~/magnet-<group>-<what>-YYYY-MM-DD.<ext>: dated, so an old printout or copy is easy to tell."""
    folder = folder if folder is not None else Path.home()
    return folder / f"magnet-{slug(group_name)}-{choice.stem}-{today.isoformat()}{choice.suffix}"


def shown(path: Path) -> str:
    """A path as a person reads it: the home directory as ~."""
    home = Path.home()
    with contextlib.suppress(ValueError):
        return str(Path("~") / path.relative_to(home))
    return str(path)


def typed_path(text: str) -> Path:
    """What a person typed as a path: ~ expanded, a bare name in the home folder (where the
    paths shown start), blank refused."""
    text = text.strip()
    if not text:
        raise MagnetError("type where the file is (e.g. ~/roster.csv)")
    return Path.home() / Path(text).expanduser()


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    choice: ExportChoice


class FileExists(MagnetError):
    """The target is there already; the modal asks before replacing it."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{shown(path)} exists")
        self.path = path


def export_to(
    doc: GroupDocument,
    choice: ExportChoice,
    path: Path,
    *,
    sensitive: bool,
    overwrite: bool,
    today: date,
    seal: GroupSecret | None = None,
) -> Written:
    """Render `choice` and write it to `path` (a folder gets the dated file name inside it)."""
    if path.is_dir():
        path = default_path(choice, doc.profile.name, today, path)
    if path.exists() and not overwrite:
        raise FileExists(path)
    data = export_group(
        doc,
        choice.fmt,
        kind=choice.kind,
        sensitive=sensitive and choice.may_hold_sensitive,
        seal=seal if choice.can_seal else None,
    )
    return Written(path, write_export(path, data), choice)


# ---- importing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, with `pending`, will do once confirmed), in the app's words.

    `good_rows` > 0 offers importing just those; `duplicates` > 0 offers importing them too.
    """

    headline: str
    lines: tuple[str, ...] = ()
    changed: bool = False
    good_rows: int = 0
    ok: bool = True
    duplicates: int = 0
    pending: ImportPlan | None = None


def import_from(
    doc: GroupDocument,
    path: Path,
    *,
    kind: str | None,
    skip_invalid: bool,
    allow_duplicates: bool = False,
    keys: Callable[[], KeyRing] | None = None,
    confirm_changes: bool = False,
) -> ImportReport:
    """Import a spreadsheet or contacts, or merge a bundle (told apart by content, as `magnet import` does).

    With `confirm_changes`, a sheet that changes records already in the group (a magnet export brought
    back) is not applied: the report lists the changes and holds the plan for `apply_plan`.
    """
    found = open_file(doc, path, kind=kind, skip_invalid=skip_invalid, allow_duplicates=allow_duplicates, keys=keys)
    if isinstance(found, MergeSummary):
        lines = found.describe().splitlines()
        return ImportReport(lines[0], tuple(lines[1:]), changed=found.new_changes > 0)
    assert isinstance(found, ImportPlan)
    summary = found.summary
    if summary.refused or not (confirm_changes and (found.updates or summary.kept)):
        return csv_report(found.apply())
    lines = [line for line in summary.report()[1:]]
    return ImportReport(
        f"Nothing changed yet: {summary.source} edits {len(found.updates)} records already in the group",
        (*lines, "", "y applies these changes (and adds the new rows); Escape leaves everything as it is."),
        pending=found,
    )


def apply_plan(plan: ImportPlan) -> ImportReport:
    """Apply a plan the person has seen (decided again against the group as it is now)."""
    return csv_report(plan.apply())


def csv_report(summary: CsvImportSummary) -> ImportReport:
    read_as = (
        [f"Read as {summary.kind}, guessed from the headers: choose the kind if that is wrong."]
        if summary.guessed
        else []
    )
    duplicates = 0 if summary.allow_duplicates else len(summary.duplicates)
    if summary.refused:
        good = summary.rows - summary.bad_rows
        return ImportReport(
            f"Nothing imported: {summary.bad_rows} of {summary.rows} rows in {summary.source} have problems",
            (*read_as, *summary.read_as, *summary.failed),
            good_rows=good,
            ok=False,
            duplicates=duplicates,
        )
    lines = replace(summary, guessed=False).report()
    rest = [*read_as, *lines[1:], *summary.problems()]
    return ImportReport(
        lines[0],
        tuple(rest),
        changed=summary.imported + summary.updated + summary.filled > 0,
        ok=not summary.nothing_imported,
    )


def import_candidates(folders: list[Path], suffixes: tuple[str, ...], *, limit: int = 40) -> list[Path]:
    """Files ending in `suffixes` in the usual places, newest first: fewer paths to type by hand."""
    found: list[tuple[float, Path]] = []
    for folder in folders:
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                name = entry.name.lower()
                if entry.is_file() and not name.startswith(".") and name.endswith(suffixes):
                    found.append((entry.stat().st_mtime, Path(entry.path)))
    found.sort(key=lambda pair: pair[0], reverse=True)
    return [path for _, path in found[:limit]]


def usual_folders(home: Path | None = None) -> list[Path]:
    """The home folder, Downloads and Desktop, and the top of any mounted USB stick."""
    home = home if home is not None else Path.home()
    folders = [home, home / "Downloads", home / "Desktop"]
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        return folders
    for media in (Path("/media") / user, Path("/run/media") / user, Path("/Volumes")):
        with contextlib.suppress(OSError):
            folders += sorted(p for p in media.iterdir() if p.is_dir())
    return folders
