"""Writing one kind of record as a spreadsheet: the columns people keep, headers that import back.

Headers are the field labels, which `magnet import` recognises, so a file exported, edited in a
spreadsheet and imported into another group gives the same records. The last columns are magnet's:
the IDs (a record imported into a group that lacks it keeps its ID, so "Household ID" still links a
member to the right one of two "Lee" households) and the version each row was exported at, so that
importing the sheet back applies exactly the cells edited in the spreadsheet and never overwrites
what changed in magnet meanwhile (see roundtrip.py). UTF-8 with a BOM and CRLF line ends, because
that is what makes Excel show accents right; every other program copes with it.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from magnet.document import GroupDocument
from magnet.errors import MagnetError
from magnet.formats.columns import CSV_KINDS, VERSION_HEADER
from magnet.formats.roundtrip import stamp_cell
from magnet.record import Record
from magnet.records import COLLECTIONS, sheet_of
from magnet.values import FieldKind, format_value

ID_HEADER = "ID"
# What makes a spreadsheet treat a cell as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def columns_for(kind: str, *, sensitive: bool) -> list[str]:
    record_type = CSV_KINDS[kind]
    return [name for name in sheet_of(record_type).columns if sensitive or not record_type.spec(name).sensitive]


def ref_columns(kind: str) -> list[str]:
    """Reference fields written as a name, whose id also gets a column so a round trip links exactly."""
    record_type = CSV_KINDS[kind]
    return [name for name in sheet_of(record_type).columns if record_type.spec(name).kind is FieldKind.REF]


def headers_for(kind: str, *, sensitive: bool) -> list[str]:
    record_type = CSV_KINDS[kind]
    labels = [record_type.spec(name).label for name in columns_for(kind, sensitive=sensitive)]
    ids = [f"{record_type.spec(name).label} {ID_HEADER}" for name in ref_columns(kind)]
    return [*labels, *ids, ID_HEADER, VERSION_HEADER]


def export_csv(doc: GroupDocument, kind: str | None, *, sensitive: bool = False) -> bytes:
    """Active records of one kind as CSV bytes, sorted the way a person scans them."""
    if kind is None:
        raise MagnetError(f"a CSV holds one kind of record: add --kind {'|'.join(CSV_KINDS)}")
    if kind not in CSV_KINDS:
        raise MagnetError(f"cannot export {kind!r} as CSV; one of: {', '.join(CSV_KINDS)}")
    record_type = CSV_KINDS[kind]
    names = _names(doc, kind)
    columns = columns_for(kind, sensitive=sensitive)
    records = sorted(doc.collection(record_type).all(), key=lambda r: _order(kind, r))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers_for(kind, sensitive=sensitive))
    heads = doc.heads()
    for record in records:
        refs = [getattr(record, name) for name in ref_columns(kind)]
        version = stamp_cell(doc.group_id, record.id, heads)
        writer.writerow([cell(record, name, names) for name in columns] + refs + [record.id, version])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _order(kind: str, record: Record) -> tuple[Any, ...]:
    by = sheet_of(CSV_KINDS[kind]).order
    if by:
        return (getattr(record, by, None) or datetime.min, record.title.lower())
    return (record.title.lower(), record.id)


def _names(doc: GroupDocument, kind: str) -> dict[str, str]:
    """Id -> name for the records this kind refers to, so cells hold names people recognise.

    Names, not ids: a spreadsheet is read by people. Two households with one name import with a
    note instead of a link (see csv_import).
    """
    record_type = CSV_KINDS[kind]
    names: dict[str, str] = {}
    for name in ref_columns(kind):
        target = record_type.spec(name).ref
        if target:
            names.update((r.id, r.title) for r in doc.collection(COLLECTIONS[target]).all(include_archived=True))
    return names


def guard_formula(text: str) -> str:
    """ "=HYPERLINK(...)" typed as a name must stay text in Excel: an apostrophe keeps it inert.

    `magnet import` drops that apostrophe again, so the value survives a round trip.
    """
    return "'" + text if text.lstrip("'")[:1] in FORMULA_STARTS else text


def cell(record: Record, name: str, names: dict[str, str]) -> str:
    """One field as spreadsheet text that `magnet import` reads back to the same value."""
    spec = record.spec(name)
    text = cell_text(record, name, names)
    return text if spec.kind in (FieldKind.NUMBER, FieldKind.TALLY, FieldKind.INTEGER) else guard_formula(text)


def cell_text(record: Record, name: str, names: dict[str, str]) -> str:
    spec = record.spec(name)
    value = getattr(record, name)
    if spec.kind is FieldKind.REF:
        return names.get(value, value) if value else ""
    if name in sheet_of(type(record)).labelled:
        return "; ".join(f"{label}: {number}" for label, number in value.items())
    if spec.kind in (FieldKind.NUMBER, FieldKind.TALLY):
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    if spec.kind is FieldKind.TAGS:
        return "; ".join(sorted(value))
    if spec.kind is FieldKind.MAPPING:
        return "; ".join(f"{key}: {level}" if level else key for key, level in sorted(value.items()))
    if spec.kind is FieldKind.MOMENT and isinstance(value, datetime) and value.second:
        return value.isoformat(sep=" ")
    return format_value(spec, value)
