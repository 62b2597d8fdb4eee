"""Importing a spreadsheet: every row checked first, then all of them stored together, or none.

A roster arrives from a group chat with a bad date on line 7; importing the other 40 rows and
quietly dropping one person is how a neighbor goes missing from a welfare sweep. So a file is
imported whole or not at all (unless the person asks for --skip-invalid), and every problem is
reported with its line, field and reason. Nothing in a cell is dropped unless it means nothing to
a group (and then the summary names the column). Rows come in three sorts:
- new rows (no ID, or an ID the group has never had) are added, unless they look like a record
  already here (same name and phone or e-mail): those are listed and need --allow-duplicates;
- rows of a magnet export brought back (see roundtrip.py) apply the cells edited in the sheet,
  and leave alone the fields changed in magnet since the export;
- rows whose ID is here but whose version is not (another group's export, or no version column)
  only fill fields that are empty here, such as the households a roster created by name.
`plan_*` works all of that out without writing; `ImportPlan.apply` writes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from magnet.checks import from_a_spreadsheet
from magnet.collection import Collection, new_id
from magnet.document import GroupDocument
from magnet.errors import MagnetError, ValidationError
from magnet.fields import parse_value
from magnet.formats.columns import CSV_KINDS, ColumnMap, guess_kind, map_columns, norm, notes_field
from magnet.formats.contacts import Adapted, adapt, read_vcards
from magnet.formats.csv_export import cell_text
from magnet.formats.csv_rows import DATE_KINDS, NUMBER_KINDS, BuiltRow, NewHousehold, RowBuilder, cell, is_record_id
from magnet.formats.locales import Readings
from magnet.formats.roundtrip import APPLY, KEPT, SAME, Stamp, Versions, merge_cell, parse_stamp
from magnet.formats.spreadsheet import Sheet, read_sheet
from magnet.record import Record
from magnet.records import COLLECTIONS, sheet_of
from magnet.values import FieldKind, decode_scalar, format_value

ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with a BOM)",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32": "UTF-32",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}


@dataclass
class RowChange:
    """Cells of one existing record the sheet has different: (value at export, value in sheet)."""

    line: int
    record_id: str
    title: str
    edits: dict[str, tuple[Any, Any]]
    fill: bool = False  # no version to merge against: only fields empty here are filled
    new_household: NewHousehold | None = None


@dataclass
class CsvImportSummary:
    """What an import did (or will do), or why it does nothing; `describe()` is what the person reads."""

    source: str
    kind: str
    guessed: bool = False
    rows: int = 0
    imported: int = 0
    updated: int = 0
    filled: int = 0
    unchanged: int = 0
    bad_rows: int = 0
    households_created: int = 0
    skip_invalid: bool = False
    allow_duplicates: bool = False
    applied: bool = False
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # problems of rows left out with --skip-invalid
    duplicates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    read_as: list[str] = field(default_factory=list)  # encoding, separator, date orders, decimal marks
    changes: list[str] = field(default_factory=list)  # cells the sheet changed, one line each
    kept: list[str] = field(default_factory=list)  # cells changed in the sheet and in magnet: magnet's kept
    layout: str = ""
    dropped: list[str] = field(default_factory=list)

    @property
    def already_here(self) -> int:
        """Rows about records the group has (changed, filled or not)."""
        return self.updated + self.filled + self.unchanged

    @property
    def refused(self) -> bool:
        return bool(self.failed) and not self.skip_invalid

    @property
    def nothing_imported(self) -> bool:
        """No row was taken: every row failed, or there were none (the command exits 1)."""
        return self.refused or (self.imported + self.already_here == 0)

    @property
    def good_rows(self) -> int:
        return self.rows - self.bad_rows

    def describe(self) -> str:
        return "\n".join([*self.report(), *self.problems()])

    def report(self) -> list[str]:
        """What was (or would be) done: for stdout."""
        how = f" (read as {self.kind}, guessed from the headers; use --kind to choose)" if self.guessed else ""
        if self.refused:
            return []
        noun = CSV_KINDS[self.kind].NOUN
        verb = "Imported" if self.applied else "Would import"
        lines = [f"{verb} {self.imported} {noun}{'' if self.imported == 1 else 's'} from {self.source}{how}."]
        if self.layout:
            lines.append(f"Read as a {self.layout} file.")
        lines.extend(self.read_as)
        if self.dropped:
            lines.append(
                f"Dropped {len(self.dropped)} columns that mean nothing to the group: {', '.join(self.dropped)}."
            )
        if self.households_created:
            lines.append(f"Created {self.households_created} households named in the household column.")
        if self.changes:
            lines.append(
                f"{'Changed' if self.applied else 'Will change'} {len(self.changes)} cells edited in the sheet:"
            )
            lines.extend(f"  {line}" for line in self.changes)
        if self.kept:
            lines.append(
                f"Kept {len(self.kept)} cells changed in magnet since the export (the sheet's edit is not applied):"
            )
            lines.extend(f"  {line}" for line in self.kept)
        if self.unchanged:
            lines.append(f"{self.unchanged} rows are already in the group as they are.")
        if self.duplicates and self.allow_duplicates:
            lines.append(
                f"Imported {len(self.duplicates)} rows that look like records already here (--allow-duplicates):"
            )
            lines.extend(f"  {line}" for line in self.duplicates)
        lines.extend(self.notes)
        return lines

    def problems(self) -> list[str]:
        """Why rows were refused or left out: for stderr."""
        if self.refused:
            good = self.rows - self.bad_rows
            what = "rows" if self.rows != 1 else "row"
            how = f" (read as {self.kind}, guessed from the headers; use --kind to choose)" if self.guessed else ""
            advice = "Fix them and import again"
            if good:
                advice += f", or add --skip-invalid to import the {good} good rows"
            if self.duplicates and not self.allow_duplicates:
                advice += ", or add --allow-duplicates to import the rows that look like duplicates"
            return [
                f"nothing imported: {self.bad_rows} of {self.rows} {what} in {self.source} have problems{how}:",
                *(f"  {problem}" for problem in self.failed),
                advice + ".",
            ]
        if not self.skipped:
            return []
        return [f"Skipped {self.bad_rows} rows with problems:", *(f"  {problem}" for problem in self.skipped)]


@dataclass
class ImportPlan:
    """What importing one file will do; nothing is written until `apply()`."""

    doc: GroupDocument
    summary: CsvImportSummary
    new_rows: list[BuiltRow] = field(default_factory=list)
    updates: list[RowChange] = field(default_factory=list)

    def apply(self) -> CsvImportSummary:
        summary = self.summary
        if summary.refused or summary.applied:
            return summary
        # Decided again now: the group may have changed since the plan was shown.
        summary.changes, summary.kept = [], []
        _describe_updates(self.doc, CSV_KINDS[summary.kind], self.updates, summary)
        with from_a_spreadsheet():  # the file's levels and roles come with it (magnet.checks)
            _store(self.doc, summary.kind, self.new_rows, self.updates, summary)
        summary.applied = True
        return summary


# ---- entry points ------------------------------------------------------------------------------


def import_csv(
    doc: GroupDocument,
    data: bytes,
    source: str,
    *,
    kind: str | None,
    skip_invalid: bool,
    allow_duplicates: bool = False,
) -> CsvImportSummary:
    """Validate every row of a CSV file, then store the good ones (all of them, or none)."""
    return plan_csv(doc, data, source, kind=kind, skip_invalid=skip_invalid, allow_duplicates=allow_duplicates).apply()


def plan_csv(
    doc: GroupDocument,
    data: bytes,
    source: str,
    *,
    kind: str | None,
    skip_invalid: bool,
    allow_duplicates: bool = False,
) -> ImportPlan:
    sheet = read_sheet(data, source)
    adapted = adapt(sheet)
    return plan_sheet(
        doc, sheet, source, kind=kind, skip_invalid=skip_invalid, allow_duplicates=allow_duplicates, adapted=adapted
    )


def plan_vcard(
    doc: GroupDocument, data: bytes, source: str, *, skip_invalid: bool, allow_duplicates: bool = False
) -> ImportPlan:
    adapted, problems = read_vcards(data, source, doc.group_id)
    return plan_sheet(
        doc,
        adapted.sheet,
        source,
        kind="members",
        skip_invalid=skip_invalid,
        allow_duplicates=allow_duplicates,
        adapted=adapted,
        unreadable=problems,
    )


def plan_sheet(
    doc: GroupDocument,
    sheet: Sheet,
    source: str,
    *,
    kind: str | None,
    skip_invalid: bool,
    allow_duplicates: bool,
    adapted: Adapted | None = None,
    unreadable: Sequence[str] = (),
) -> ImportPlan:
    guessed = kind is None
    if adapted is not None:
        if kind not in (None, "members"):
            raise MagnetError(f"{source} is a {adapted.layout} file: it holds people, so it imports as members")
        sheet, kind, guessed = adapted.sheet, "members", False
    kind = kind or guess_kind(sheet.headers, source)
    columns = map_columns(kind, sheet.headers)
    _require_columns(columns, source)
    record_type = CSV_KINDS[kind]
    summary = CsvImportSummary(
        source, kind, guessed=guessed, skip_invalid=skip_invalid, allow_duplicates=allow_duplicates
    )
    plan = ImportPlan(doc, summary)
    if adapted is not None:
        summary.layout = adapted.layout
    summary.dropped = [*(adapted.dropped if adapted else []), *_dropped(columns, sheet)]
    summary.notes.extend(_column_notes(columns, sheet))
    if sheet.delimiter:
        summary.read_as.append(
            f"Read as {ENCODINGS.get(sheet.encoding, sheet.encoding)}, cells separated by "
            f"{DELIMITERS.get(sheet.delimiter, repr(sheet.delimiter))}."
        )
    for problem in unreadable:
        summary.rows += 1
        _refuse_row(summary, [problem], skip_invalid)

    versions = Versions(doc)
    collection = doc.collection(record_type)
    existing = {r.id: r for r in collection.all(include_archived=True)}
    builder_probe = RowBuilder(doc, kind, columns)
    rows: list[tuple[Any, str, Stamp | None, Record | None]] = []
    for sheet_row in sheet.rows:
        stamp = parse_stamp(builder_probe.first_of_role(sheet_row, "version"))
        given = builder_probe.first_of_role(sheet_row, "id").lower()
        record_id = stamp.record_id if stamp is not None else (given if is_record_id(given) else "")
        base = versions.record_at(record_type, record_id, stamp.heads) if stamp and versions.usable(stamp) else None
        rows.append((sheet_row, record_id, stamp, base))

    readings = _readings(sheet, columns, rows)
    summary.read_as.extend(s.describe() for s in readings.settled())

    def title_at(target: str, record_id: str, heads: tuple[bytes, ...]) -> str | None:
        found = versions.record_at(COLLECTIONS[target], record_id, heads)
        return found.title if found is not None else None

    builder = RowBuilder(doc, kind, columns, readings, title_at)
    in_file = _fields_in_file(columns)
    claimed: set[str] = set()
    bare = _bare_records(kind, existing.values())
    purged: list[int] = []
    for sheet_row, given_id, stamp, exported in rows:
        record_id, base = given_id, exported
        summary.rows += 1
        built, problems = builder.build(sheet_row, base, stamp.heads if base is not None and stamp else ())
        if problems:
            _refuse_row(summary, [f"line {sheet_row.line}: {p}" for p in problems], skip_invalid)
            continue
        if record_id in claimed:
            record_id = ""  # a copied row: a record of its own, not a clash
            base = None
        claimed.add(record_id)
        built.record_id = record_id
        if record_id and record_id in existing:
            change = _compare(record_type, in_file, built, base, existing[record_id])
            if change is None:
                summary.unchanged += 1
            else:
                plan.updates.append(change)
            continue
        if record_id and stamp is not None and versions.usable(stamp) and base is not None:
            purged.append(sheet_row.line)  # it was in the group at the export, and was purged since
            continue
        target = bare.get(norm(str(built.values.get("name", "")))) if not record_id else None
        if target is not None and len(target) == 1:
            change = _compare(record_type, in_file, built, None, target[0])
            if change is not None:
                plan.updates.append(change)
            else:
                summary.unchanged += 1
            continue
        plan.new_rows.append(built)
    builder_notes = builder.warnings()
    summary.notes.extend(builder_notes)
    if purged:
        summary.notes.append(
            f"Not added again: lines {', '.join(map(str, purged))} are records deleted for good since the export."
        )
    plan.new_rows = _without_duplicates(doc, kind, plan.new_rows, summary)
    _describe_updates(doc, record_type, plan.updates, summary)
    summary.imported = len(plan.new_rows)
    _removed_rows(versions, record_type, rows, existing, summary)
    if not sheet.rows and not unreadable:
        summary.notes.append(f"{source} has a header row but no rows.")
    return plan


# ---- planning helpers ---------------------------------------------------------------------------


def _refuse_row(summary: CsvImportSummary, problems: list[str], skip_invalid: bool) -> None:
    summary.bad_rows += 1
    summary.failed.extend(problems)
    if skip_invalid:
        summary.skipped.extend(problems)


def _readings(
    sheet: Sheet, columns: ColumnMap, rows: Sequence[tuple[Any, str, Stamp | None, Record | None]]
) -> Readings:
    """Settle each date and number column's locale, using the exported values where rows have them."""
    readings = Readings(sheet.delimiter)
    record_type = CSV_KINDS[columns.kind]
    for column in columns.of("field"):
        kind = record_type.spec(column.field).kind
        if kind in DATE_KINDS:
            readings.add_dates(
                column.index,
                column.header,
                [(r.line, cell(r, column.index), _date_of(base, column.field)) for r, _, _, base in rows],
            )
        elif kind in NUMBER_KINDS:
            readings.add_numbers(
                column.index,
                column.header,
                [(r.line, cell(r, column.index), _number_of(base, column.field)) for r, _, _, base in rows],
            )
    readings.settle()
    return readings


def _date_of(base: Record | None, name: str) -> date | None:
    value = getattr(base, name, None) if base is not None else None
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _number_of(base: Record | None, name: str) -> float | None:
    value = getattr(base, name, None) if base is not None else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fields_in_file(columns: ColumnMap) -> set[str]:
    return columns.fields() | {c.field for c in columns.of("ref_id")}


def _default(record_type: type[Record], name: str) -> Any:
    return getattr(record_type(), name)


def _empty(record_type: type[Record], name: str, value: Any) -> bool:
    """Never set: the field's default, or what a field that was never written reads as."""
    return value in (_default(record_type, name), decode_scalar(record_type.spec(name), None))


def _sheet_value(record_type: type[Record], name: str, values: Mapping[str, Any]) -> Any:
    raw = values.get(name)
    if raw is None or raw in ("", {}):
        return _default(record_type, name)
    return parse_value(record_type.spec(name), raw)


def _as_exported(record: Record, name: str) -> Any:
    """The value as it reads back from its exported cell (what 'unchanged in the sheet' means)."""
    spec = record.spec(name)
    value = getattr(record, name)
    if spec.kind is FieldKind.REF:
        return value
    try:
        text = cell_text(record, name, {}).strip()
        return parse_value(spec, text) if text else _default(type(record), name)
    except ValidationError:
        return value


def _compare(
    record_type: type[Record], in_file: set[str], built: BuiltRow, base: Record | None, current: Record
) -> RowChange | None:
    """The cells of one row that differ from the export (base), or fill empty fields (no base)."""
    edits: dict[str, tuple[Any, Any]] = {}
    for name in sorted(in_file):
        spec = record_type.spec(name)
        if spec.kind is FieldKind.REF and name not in built.values:
            if name == "household_id" and built.new_household is not None:
                edits[name] = (getattr(base or current, name), built.new_household)
            continue
        if base is None and name not in built.values:
            continue  # an empty cell fills nothing
        sheet = _sheet_value(record_type, name, built.values)
        if base is not None:
            if sheet != _as_exported(base, name):
                edits[name] = (getattr(base, name), sheet)
        elif _empty(record_type, name, getattr(current, name)) and sheet != getattr(current, name):
            edits[name] = (getattr(current, name), sheet)
    if not edits:
        return None
    return RowChange(built.line, current.id, current.title, edits, fill=base is None, new_household=built.new_household)


def _bare_records(kind: str, records: Sequence[Record] | Any) -> dict[str, list[Record]]:
    """Records that hold nothing but their `bare` fields (a household a roster named), by name."""
    record_type = CSV_KINDS[kind]
    bare = sheet_of(record_type).bare
    if not bare:
        return {}
    found: dict[str, list[Record]] = {}
    for record in records:
        if record.archived:
            continue
        if all(_empty(record_type, n, getattr(record, n)) for n in record_type.specs() if n not in bare):
            found.setdefault(norm(record.title), []).append(record)
    return found


def _shown(record_type: type[Record], name: str, value: Any, doc: GroupDocument) -> str:
    spec = record_type.spec(name)
    if isinstance(value, NewHousehold):
        return f"{value.name} (new)"
    if spec.kind is FieldKind.REF and value and spec.ref:
        found = doc.collection(COLLECTIONS[spec.ref]).find(value)
        return found.title if found is not None else value
    if spec.kind is FieldKind.MAPPING:
        return "; ".join(f"{k}: {v}" if v else k for k, v in value.items())
    return format_value(spec, value)


def _describe_updates(
    doc: GroupDocument, record_type: type[Record], updates: Sequence[RowChange], summary: CsvImportSummary
) -> None:
    """One line per cell: what will change, and what stays because magnet changed it too."""
    collection = doc.collection(record_type)
    for change in updates:
        current = collection.get(change.record_id)
        for name, (base, new) in change.edits.items():
            label = record_type.spec(name).label.lower()
            now = getattr(current, name)
            where = f"line {change.line}, {change.title}: {label}"
            if change.fill:
                summary.changes.append(f"{where}: filled with {_shown(record_type, name, new, doc)!r}")
                continue
            if record_type.spec(name).kind is FieldKind.TALLY:
                delta = float(new) - float(base)
                summary.changes.append(
                    f"{where}: {float(base):g} -> {float(new):g} in the sheet, so {delta:+g} (now {float(now) + delta:g})"
                )
                continue
            decision = merge_cell(base, new, now) if not isinstance(new, NewHousehold) else APPLY
            old_text, new_text = _shown(record_type, name, base, doc), _shown(record_type, name, new, doc)
            if decision == APPLY:
                summary.changes.append(f"{where}: {old_text!r} -> {new_text!r}")
            elif decision == KEPT:
                summary.kept.append(
                    f"{where}: the sheet says {new_text!r}, magnet has {_shown(record_type, name, now, doc)!r} since the export"
                )
    summary.updated = sum(1 for c in updates if not c.fill)
    summary.filled = sum(1 for c in updates if c.fill)


def _contacts(record_type: type[Record], values: Mapping[str, Any]) -> set[str]:
    """Phones (last 7 digits) and e-mails (lower case) that identify a person or a household."""
    found: set[str] = set()
    for name in sheet_of(record_type).same:
        value = values.get(name)
        items = list(value.values()) if isinstance(value, Mapping) else [value] if value else []
        for item in items:
            text = str(item).strip()
            if "@" in text or "mail" in name:
                found.add(text.lower())
            else:
                digits = re.sub(r"\D", "", text)
                if len(digits) >= 7:
                    found.add("tel:" + digits[-7:])
    return found


def _without_duplicates(
    doc: GroupDocument, kind: str, rows: list[BuiltRow], summary: CsvImportSummary
) -> list[BuiltRow]:
    """New rows with the name and a phone or e-mail of a record here, or of an earlier row, are listed."""
    record_type = CSV_KINDS[kind]
    if not sheet_of(record_type).same:
        return rows
    known: dict[str, list[tuple[set[str], str, bool]]] = {}
    for record in doc.collection(record_type).all():
        contacts = _contacts(record_type, record.values())
        known.setdefault(norm(record.title), []).append((contacts, f"{record.title} already in the group", False))
    kept: list[BuiltRow] = []
    same_name = 0
    for row in rows:
        key = norm(str(row.values.get("name", "")))
        contacts = _contacts(record_type, row.values)
        match = next(
            (
                (theirs, what)
                for theirs, what, given in known.get(key, [])
                if theirs & contacts and not (given and row.record_id)
            ),
            None,
        )
        if match is None and key in known:
            same_name += 1
        # Two rows that both carry a magnet ID are two records (an export holds each once): never duplicates.
        known.setdefault(key, []).append((contacts, f"line {row.line}", bool(row.record_id)))
        if match is None:
            kept.append(row)
            continue
        shared = ", ".join(sorted(c.removeprefix("tel:") for c in contacts & match[0]))
        line = f"line {row.line}: {row.values.get('name')} ({shared}) looks like {match[1]}"
        summary.duplicates.append(line)
        if summary.allow_duplicates:
            kept.append(row)
        else:
            _refuse_row(summary, [line], summary.skip_invalid)
    if same_name:
        summary.notes.append(
            f"{same_name} rows have the same name as a record already in the group but no phone or e-mail in "
            "common; they were imported as new records, so check for namesakes."
        )
    return kept


def _removed_rows(
    versions: Versions,
    record_type: type[Record],
    rows: Sequence[tuple[Any, str, Stamp | None, Record | None]],
    existing: Mapping[str, Record],
    summary: CsvImportSummary,
) -> None:
    """Rows of the export deleted in the sheet: said, never deleted (a row gone is not a person gone)."""
    stamps = [stamp for _, _, stamp, _ in rows if stamp is not None and versions.usable(stamp)]
    if not stamps:
        return
    heads = max({s.heads for s in stamps}, key=lambda h: sum(1 for s in stamps if s.heads == h))
    in_sheet = {record_id for _, record_id, _, _ in rows}
    gone = [
        existing[i].title
        for i in versions.active_ids_at(record_type, heads) - in_sheet
        if i in existing and not existing[i].archived
    ]
    if gone:
        noun = record_type.NOUN + ("s are" if len(gone) != 1 else " is")
        summary.notes.append(
            f"{len(gone)} {noun} in the export but not in the sheet ({', '.join(sorted(gone)[:5])}"
            f"{', ...' if len(gone) > 5 else ''}): an import never deletes, so they are left as they are; "
            "archive them in magnet if they left."
        )


def _require_columns(columns: ColumnMap, source: str) -> None:
    """A file with no column for a required field fails once, not once per row."""
    for name, spec in CSV_KINDS[columns.kind].specs().items():
        if not spec.required or name in columns.fields():
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


def _dropped(columns: ColumnMap, sheet: Sheet) -> list[str]:
    return [c.header for c in columns.of("dropped") if any(cell(r, c.index) for r in sheet.rows)]


# ---- storing ------------------------------------------------------------------------------------


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


def _store(
    doc: GroupDocument, kind: str, rows: Sequence[BuiltRow], updates: Sequence[RowChange], summary: CsvImportSummary
) -> None:
    """Households a roster names first, then the new rows in one commit, then the edits record by record."""

    def run() -> None:
        homes = _new_households(doc, rows, updates, summary)
        for row in rows:
            if row.new_household is not None:
                row.values["household_id"] = homes[row.new_household.key]
        stored = add_with_ids(doc, doc.collection(CSV_KINDS[kind]), [(row.record_id, row.values) for row in rows])
        summary.imported = len(stored)
        _apply_updates(doc, CSV_KINDS[kind], updates, homes, summary)

    doc.atomic(run)


def _new_households(
    doc: GroupDocument, rows: Sequence[BuiltRow], updates: Sequence[RowChange], summary: CsvImportSummary
) -> dict[str, str]:
    wanted: dict[str, tuple[str, dict[str, Any]]] = {}
    for home, zone in [(r.new_household, r.values.get("zone", "")) for r in rows] + [
        (u.new_household, "") for u in updates
    ]:
        if home is not None and home.key not in wanted:
            wanted[home.key] = (home.record_id, {"name": home.name, "zone": zone})
    if not wanted:
        return {}
    created = add_with_ids(doc, doc.households, list(wanted.values()))
    summary.households_created = len(created)
    return {key: record.id for key, record in zip(wanted, created, strict=True)}


def _apply_updates(
    doc: GroupDocument,
    record_type: type[Record],
    updates: Sequence[RowChange],
    homes: Mapping[str, str],
    summary: CsvImportSummary,
) -> None:
    """Each record's edited cells, decided again against what magnet has now (it may have moved on)."""
    collection = doc.collection(record_type)
    for change in updates:
        current = collection.get(change.record_id)
        values: dict[str, Any] = {}
        for name, (base, given) in change.edits.items():
            new = homes[given.key] if isinstance(given, NewHousehold) else given
            now = getattr(current, name)
            if change.fill:
                if _empty(record_type, name, now):
                    values[name] = new
                continue
            if record_type.spec(name).kind is FieldKind.TALLY:
                values[name] = float(now) + float(new) - float(base)  # quantities add up, as concurrent edits do
                continue
            if merge_cell(base, new, now) == APPLY:
                values[name] = new
        if values:
            collection.update(change.record_id, **values)


__all__ = [
    "KEPT",
    "SAME",
    "CsvImportSummary",
    "ImportPlan",
    "RowChange",
    "add_with_ids",
    "import_csv",
    "plan_csv",
    "plan_sheet",
    "plan_vcard",
]
