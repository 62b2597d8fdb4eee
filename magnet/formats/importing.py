"""`magnet import FILE`: a bundle from a USB stick, a phone's contacts (vCard) or a spreadsheet, told apart by content first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from magnet.document import GroupDocument
from magnet.errors import MagnetError, NotFound
from magnet.formats import bundle, sealed
from magnet.formats.contacts import is_vcard
from magnet.formats.csv_import import ImportPlan, plan_csv, plan_vcard
from magnet.groupkey import KeyRing

BUNDLE_SUFFIXES = (".mgb", ".automerge", ".am")
# Spreadsheets bigger than this are not rosters; refusing beats freezing the terminal.
MAX_CSV_BYTES = 50 * 1024 * 1024


class ImportSummary(Protocol):
    """What `magnet import` prints: `report()` on stdout, `problems()` on stderr."""

    failed: list[str]

    @property
    def refused(self) -> bool: ...

    @property
    def nothing_imported(self) -> bool: ...

    def describe(self) -> str: ...

    def report(self) -> list[str]: ...

    def problems(self) -> list[str]: ...


def import_file(
    doc: GroupDocument,
    path: Path,
    *,
    kind: str | None,
    skip_invalid: bool,
    allow_duplicates: bool = False,
    keys: Callable[[], KeyRing] | None = None,
) -> ImportSummary:
    """Merge a bundle (sealed or plain), or import contacts or a CSV; which one is decided by the
    bytes, then the extension. `keys` gives the group's key ring, read only when a sealed bundle needs it."""
    found = open_file(doc, path, kind=kind, skip_invalid=skip_invalid, allow_duplicates=allow_duplicates, keys=keys)
    return found.apply() if isinstance(found, ImportPlan) else found


def open_file(
    doc: GroupDocument,
    path: Path,
    *,
    kind: str | None,
    skip_invalid: bool,
    allow_duplicates: bool = False,
    keys: Callable[[], KeyRing] | None = None,
) -> ImportPlan | ImportSummary:
    """A plan for a spreadsheet or contacts file (nothing written yet), or a merged bundle's summary."""
    data = _read(path)
    if sealed.is_sealed(data):
        if kind is not None:
            raise MagnetError(f"{path.name} is a bundle (a whole group document); --kind is for CSV files")
        if keys is None:
            raise MagnetError(f"{path.name} is a sealed bundle; merge it on one of the group's devices")
        data = sealed.unseal(data, group_id=doc.group_id, group_name=doc.profile.name, keys=keys(), source=path.name)
        return bundle.merge_bundle(doc, data, path.name)
    if bundle.is_bundle(data):
        if kind is not None:
            raise MagnetError(f"{path.name} is a bundle (a whole group document); --kind is for CSV files")
        return bundle.merge_bundle(doc, data, path.name)
    if path.suffix.lower() in BUNDLE_SUFFIXES:
        raise MagnetError(f"{path.name} is not a magnet bundle (it does not start like an Automerge file)")
    if len(data) > MAX_CSV_BYTES:
        raise MagnetError(f"{path.name} is {len(data) // 1_000_000} MB; that is too big for a spreadsheet of records")
    if is_vcard(data):
        if kind not in (None, "members"):
            raise MagnetError(f"{path.name} holds contact cards (vCard): they import as members")
        return plan_vcard(doc, data, path.name, skip_invalid=skip_invalid, allow_duplicates=allow_duplicates)
    if path.suffix.lower() in (".vcf", ".vcard"):
        raise MagnetError(f"{path.name} is not a vCard file (it does not start with BEGIN:VCARD)")
    return plan_csv(doc, data, path.name, kind=kind, skip_invalid=skip_invalid, allow_duplicates=allow_duplicates)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"no file {str(path)!r}") from None
    except IsADirectoryError:
        raise MagnetError(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise MagnetError(f"cannot read {path}: {exc.strerror}") from None
