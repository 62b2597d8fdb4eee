"""Importing a spreadsheet: every row checked first, then all of them stored in one commit.

A roster arrives from a group chat with a bad date on line 7; importing the other 40 rows and
quietly dropping one person is how a neighbor goes missing from a welfare sweep. So a file is
imported whole or not at all (unless the person asks for --skip-invalid), and every problem is
reported with its line, field and reason. Nothing in a cell is dropped: unknown columns land in
the record's notes as "Header: value". A row whose ID the group already has is left alone: the
spreadsheet may be older than the group's records, and a stale copy must never overwrite them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from magnet.checks import from_a_spreadsheet
from magnet.collection import Collection, new_id
from magnet.document import GroupDocument
from magnet.errors import MagnetError
from magnet.formats.columns import CSV_KINDS, ColumnMap, guess_kind, map_columns, notes_field
from magnet.formats.csv_rows import BuiltRow, RowBuilder, cell
from magnet.formats.spreadsheet import Sheet, read_sheet
from magnet.record import Record


@dataclass
class CsvImportSummary:
    """What an import did, or why it did nothing; `describe()` is what the person reads."""

    source: str
    kind: str
    guessed: bool = False
    rows: int = 0
    imported: int = 0
    already_here: int = 0
    bad_rows: int = 0
    households_created: int = 0
    skip_invalid: bool = False
    failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        how = f" (read as {self.kind}, guessed from the headers; use --kind to choose)" if self.guessed else ""
        if self.failed and not self.skip_invalid:
            good = self.rows - self.bad_rows - self.already_here
            return "\n".join(
                [
                    f"nothing imported: {self.bad_rows} of {self.rows} rows in {self.source} have problems{how}:",
                    *(f"  {problem}" for problem in self.failed),
                    "Fix them and import again"
                    + (f", or add --skip-invalid to import the {good} good rows." if good else "."),
                ]
            )
        noun = CSV_KINDS[self.kind].NOUN + ("" if self.imported == 1 else "s")
        lines = [f"Imported {self.imported} {noun} from {self.source}{how}."]
        if self.households_created:
            lines.append(f"Created {self.households_created} households named in the household column.")
        if self.already_here:
            lines.append(
                f"Left {self.already_here} rows as they are: their ID is already in the group "
                "(change those records in magnet)."
            )
        lines.extend(self.notes)
        if self.failed:
            lines.append(f"Skipped {self.bad_rows} rows with problems:")
            lines.extend(f"  {problem}" for problem in self.failed)
        return "\n".join(lines)


def import_csv(
    doc: GroupDocument, data: bytes, source: str, *, kind: str | None, skip_invalid: bool
) -> CsvImportSummary:
    """Validate every row of a CSV file, then store the good ones (all of them, or none)."""
    with from_a_spreadsheet():
        return _import_csv(doc, data, source, kind=kind, skip_invalid=skip_invalid)


def _import_csv(
    doc: GroupDocument, data: bytes, source: str, *, kind: str | None, skip_invalid: bool
) -> CsvImportSummary:
    sheet = read_sheet(data, source)
    guessed = kind is None
    kind = kind or guess_kind(sheet.headers, source)
    columns = map_columns(kind, sheet.headers)
    _require_columns(columns, source)
    summary = CsvImportSummary(source, kind, guessed=guessed, skip_invalid=skip_invalid)
    summary.notes.extend(_column_notes(columns, sheet))
    existing_ids = {r.id for r in doc.collection(CSV_KINDS[kind]).all(include_archived=True)}
    builder = RowBuilder(doc, kind, columns)
    good: list[BuiltRow] = []
    ids_in_file: set[str] = set()
    for sheet_row in sheet.rows:
        summary.rows += 1
        given = builder.first_of_role(sheet_row, "id").lower()
        if given and given in existing_ids:
            summary.already_here += 1
            continue
        row, problems = builder.build(sheet_row)
        if problems:
            summary.bad_rows += 1
            summary.failed.extend(f"line {sheet_row.line}: {p}" for p in problems)
            continue
        if row.record_id in ids_in_file:
            row.record_id = ""  # a copied row: a record of its own, not a clash
        ids_in_file.add(row.record_id)
        good.append(row)
    summary.notes.extend(builder.warnings())
    if not sheet.rows:
        summary.notes.append(f"{source} has a header row but no rows.")
    if summary.failed and not skip_invalid:
        return summary
    _store(doc, kind, good, summary)
    return summary


def _require_columns(columns: ColumnMap, source: str) -> None:
    """A file with no column for a required field fails once, not once per row."""
    for name, spec in CSV_KINDS[columns.kind].specs().items():
        if not spec.required or name in columns.fields() or (name == "name" and columns.has_name()):
            continue
        looked = ", ".join(repr(h) for h in [spec.label, *spec.aliases][:6])
        extra = " or 'First name' and 'Last name'" if columns.kind == "members" and name == "name" else ""
        raise MagnetError(
            f"{source} has no column for {spec.label.lower()} (looked for {looked}{extra}); "
            f"rename that header, or check that the file holds {columns.kind}"
        )


def _column_notes(columns: ColumnMap, sheet: Sheet) -> list[str]:
    notes = list(columns.notes)
    extra = [c.header for c in columns.of("extra") if any(cell(r, c.index) for r in sheet.rows)]
    if extra:
        notes.append(f"Kept in {notes_field(columns.kind)}: {', '.join(repr(h) for h in extra)} (no matching field).")
    return notes


def add_with_ids(
    doc: GroupDocument, collection: Collection[Any], rows: Sequence[tuple[str, Mapping[str, Any]]]
) -> list[Record]:
    """Like `Collection.add_many` (validate all, one commit), keeping the ids the file gave.

    Keeping ids makes a file imported twice, or on two devices before they sync, end up as one
    record each instead of two.
    """
    parsed = [(record_id or new_id(), collection.validate_new(values)) for record_id, values in rows]
    if not parsed:
        return []
    with doc.change(collection.name, *(record_id for record_id, _ in parsed)) as tx:
        for record_id, values in parsed:
            collection.write_new(tx, record_id, values)
    return [collection.get(record_id) for record_id, _ in parsed]


def _store(doc: GroupDocument, kind: str, rows: Sequence[BuiltRow], summary: CsvImportSummary) -> None:
    """Households a roster names first, then the rows themselves in one commit."""
    if not rows:
        return
    new_households: dict[str, tuple[str, dict[str, Any]]] = {}
    for row in rows:
        home = row.new_household
        if home is not None and home.key not in new_households:
            new_households[home.key] = (home.record_id, {"name": home.name, "zone": row.values.get("zone", "")})
    if new_households:
        created = add_with_ids(doc, doc.households, list(new_households.values()))
        ids = {key: record.id for key, record in zip(new_households, created, strict=True)}
        for row in rows:
            if row.new_household is not None:
                row.values["household_id"] = ids[row.new_household.key]
        summary.households_created = len(created)
    stored = add_with_ids(doc, doc.collection(CSV_KINDS[kind]), [(row.record_id, row.values) for row in rows])
    summary.imported = len(stored)
