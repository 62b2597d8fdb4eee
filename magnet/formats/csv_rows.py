"""One spreadsheet row -> the values of one record, with every problem in it and nothing dropped.

The habits handled here: names split over columns, one column per phone or e-mail, dates and
numbers as the file's locale writes them, a date and a time in separate columns, "12 gallons" in a
quantity column, a household or a holder written as a name. A name that matches no single record
is never guessed at: it stays in the notes as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from magnet.checks import from_a_spreadsheet
from magnet.document import GroupDocument
from magnet.errors import ValidationError
from magnet.fields import parse_value, split_list
from magnet.formats.columns import CSV_KINDS, Column, ColumnMap, joined_glue, named_refs, norm, notes_field
from magnet.formats.locales import Readings
from magnet.formats.spreadsheet import SheetRow
from magnet.record import Record
from magnet.records import sheet_of
from magnet.values import FieldKind

_TIME_ONLY = re.compile(r"\d{1,2}:\d{2}(:\d{2})?\s*([AaPp][Mm])?")
_AMOUNT_WITH_UNIT = re.compile(r"([-+]?\d[\d,]*(?:\.\d+)?)\s*([^\W\d_].*)")
_RECORD_ID = re.compile(r"[0-9a-f]{16}")
DATE_KINDS = (FieldKind.DATE, FieldKind.MOMENT)
NUMBER_KINDS = (FieldKind.NUMBER, FieldKind.INTEGER, FieldKind.TALLY)
# The title of a referenced record when the sheet was exported: (collection, id, heads) -> title or None.
TitleAt = Callable[[str, str, tuple[bytes, ...]], str | None]


def is_record_id(value: str) -> bool:
    """Shaped like an id magnet makes (64 random bits in hex), so safe to keep on import."""
    return bool(_RECORD_ID.fullmatch(value))


@dataclass
class NewHousehold:
    """A household a roster names that the group does not have yet."""

    key: str  # what identifies it within this file: its id, or its name
    name: str
    record_id: str  # "" when the file gave no id


@dataclass
class BuiltRow:
    line: int
    values: dict[str, Any]
    record_id: str = ""  # the row's ID, when it is a magnet id
    new_household: NewHousehold | None = None


def cell(row: SheetRow, index: int) -> str:
    """A cell's text, without the apostrophe magnet's export puts before '=', '+', '-' or '@'."""
    value = row.cells[index] if index < len(row.cells) else ""
    return value[1:] if value[:1] == "'" and value.lstrip("'")[:1] in ("=", "+", "-", "@") else value


class Names:
    """Records of one collection found by id or by name (case, accents and spacing ignored)."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.ids = {r.id for r in records}
        self.titles = {r.id: r.title for r in records}
        self.active: dict[str, list[str]] = {}
        self.archived: dict[str, list[str]] = {}
        for record in records:
            table = self.archived if record.archived else self.active
            table.setdefault(norm(record.title), []).append(record.id)

    def find(self, value: str) -> list[str]:
        """Active records first: an archived namesake only when no active one matches."""
        if value in self.ids:
            return [value]
        key = norm(value)
        return self.active.get(key) or self.archived.get(key, [])


class RowBuilder:
    """Turns sheet rows into field values, collecting every problem in a row."""

    def __init__(
        self,
        doc: GroupDocument,
        kind: str,
        columns: ColumnMap,
        readings: Readings | None = None,
        title_at: TitleAt | None = None,
    ) -> None:
        self.doc = doc
        self.kind = kind
        self.columns = columns
        self.record_type = CSV_KINDS[kind]
        self.sheet = sheet_of(self.record_type)
        self.notes_field = notes_field(kind)
        self.refs = named_refs(kind)
        self.readings = readings
        self.title_at = title_at
        self.targets: dict[str, Names] = {}
        for name in columns.fields() | {c.field for c in columns.of("ref_id")} & self.refs.keys():
            if name in self.refs:
                target = self._target(name)
                if target not in self.targets:
                    self.targets[target] = Names(doc.collection(_collection_type(target)).all(include_archived=True))
        self.unresolved: dict[str, int] = {}
        self.headers_by_field: dict[str, list[str]] = {}
        for column in columns.columns:
            if column.role in ("field", "part", "entry", "entries"):
                self.headers_by_field.setdefault(column.field, []).append(column.header)

    def first_of_role(self, row: SheetRow, role: str) -> str:
        for column in self.columns.of(role):
            value = cell(row, column.index)
            if value:
                return value
        return ""

    def build(
        self, row: SheetRow, base: Record | None = None, heads: tuple[bytes, ...] = ()
    ) -> tuple[BuiltRow, list[str]]:
        """The row's values (empty cells left out) and every problem in it.

        `base` is the record as the sheet was exported, when the row comes back from a magnet export:
        it decides whether a changed name beside an unchanged ID means a new link.
        """
        values: dict[str, Any] = {}
        problems: list[str] = []
        other_part: tuple[str, str] | None = None  # a whole-name column that may be the other part
        for column in self.columns.of("field"):
            value = cell(row, column.index)
            if not value:
                continue  # an empty cell means the field's default, not "clear it"
            try:
                value = self._localised(column, value)
            except ValidationError as exc:
                problems.append(self._explain(exc))
                continue
            if column.label:
                other_part = (column.label, value)
                continue
            if column.field in values:
                spec = self.record_type.spec(column.field)
                glue = joined_glue(self.kind, column.field) or (" " if spec.kind is FieldKind.MOMENT else "; ")
                values[column.field] = values[column.field] + glue + value
            else:
                values[column.field] = value
        extras = [f"{c.header}: {cell(row, c.index)}" for c in self.columns.of("extra") if cell(row, c.index)]
        # Cells past the last header still hold someone's data.
        for index in range(len(self.columns.columns), len(row.cells)):
            if row.cells[index]:
                extras.append(f"Column {index + 1}: {row.cells[index]}")
        record_id = self.first_of_role(row, "id").lower()
        built = BuiltRow(row.line, values, record_id if is_record_id(record_id) else "")
        self._parts(row, values, extras, other_part)
        self._entries(row, values)
        if self.kind == "events":
            _end_on_start_day(values)
        elif self.kind == "inventory":
            _amount_with_unit(values)
        for name in self.refs:
            self._resolve(name, row, built, extras, base=base, heads=heads)
        if extras:
            current = str(values.get(self.notes_field, ""))
            missing = [line for line in extras if line not in current]
            if missing:
                values[self.notes_field] = "\n".join([current, *missing] if current else missing)
        for name, value in values.items():
            try:
                parse_value(self.record_type.spec(name), value)
            except ValidationError as exc:
                problems.append(self._explain(exc))
        for name, spec in self.record_type.specs().items():
            if spec.required and not values.get(name):
                problems.append(self._explain(ValidationError(name, "must not be empty")))
        if not problems and base is None:
            # The group's own checks too (an event that ends before it starts), with the line number.
            with from_a_spreadsheet():
                try:
                    self.doc.collection(self.record_type).validate_new(values)
                except ValidationError as exc:
                    problems.append(self._explain(exc))
        return built, problems

    def _localised(self, column: Column, value: str) -> str:
        """Dates and numbers rewritten as the file's locale meant them (see magnet.formats.locales)."""
        if self.readings is None:
            return value
        kind = self.record_type.spec(column.field).kind
        if kind in DATE_KINDS:
            return self.readings.date_cell(column.index, value, column.field)
        if kind in NUMBER_KINDS:
            return self.readings.number_cell(column.index, value, column.field)
        return value

    def _explain(self, exc: ValidationError) -> str:
        """'joined: ...', naming the column too when its header says something else."""
        headers = self.headers_by_field.get(exc.field, [])
        spec = self.record_type.all_specs().get(exc.field)
        plain = {norm(exc.field)} | ({norm(spec.label)} if spec else set())
        if headers and not all(norm(h) in plain for h in headers):
            return f"{exc.field} (column {', '.join(repr(h) for h in headers)}): {exc.reason}"
        return f"{exc.field}: {exc.reason}"

    def _parts(
        self, row: SheetRow, values: dict[str, Any], extras: list[str], other_part: tuple[str, str] | None
    ) -> None:
        """'First name' + 'Last name' make the name; 'Name' beside 'Vorname' is the family name."""
        for name, parts in self.sheet.parts.items():
            found: dict[str, list[str]] = {}
            for column in self.columns.of("part"):
                if column.field == name and cell(row, column.index):
                    found.setdefault(column.label, []).append(cell(row, column.index))
            if other_part is not None and name == "name":
                label, whole = other_part
                given = [norm(p) for ps in found.values() for p in ps]
                if given and all(g in norm(whole).split() or g in norm(whole) for g in given):
                    values[name] = whole  # it held the whole name after all ("Ann Lee" beside "Ann")
                else:
                    found.setdefault(label, []).append(whole)
            if not values.get(name):
                joined = " ".join(p for part in parts for p in found.get(part, []))
                if joined:
                    values[name] = joined
                continue
            for column in self.columns.of("part"):
                part = cell(row, column.index)
                if column.field == name and part and norm(part) not in norm(values[name]):
                    extras.append(f"{column.header}: {part}")

    def _entries(self, row: SheetRow, values: dict[str, Any]) -> None:
        """One column per entry ('Mobile' -> mobile) or one holding 'label: value; ...'."""
        for name, said in self.sheet.labelled.items():
            entries: dict[str, str] = {}
            default = norm(said[0])
            for column in self.columns.columns:
                if column.field != name or column.role not in ("entry", "entries"):
                    continue
                value = cell(row, column.index)
                if not value:
                    continue
                items = split_list(value) if column.role == "entries" else re.split(r"\s*[;\n]\s*", value)
                for item in filter(None, items):
                    label, sep, rest = item.partition(":")
                    if column.role == "entries" and sep and rest.strip():
                        add_entry(entries, label.strip() or default, rest.strip())
                    else:
                        add_entry(entries, column.label or default, item.strip())
            if entries:
                values[name] = entries
        for first, others in self.sheet.spill.items():
            spilled = values.get(others)
            # Only a sheet with no column of its own for `first` ("Work email" alone) promotes one.
            if first not in self.columns.fields() and isinstance(spilled, dict) and spilled:
                rest = dict(spilled)
                values[first] = rest.pop(next(iter(rest)))
                values[others] = rest
                if not rest:
                    del values[others]

    def _target(self, name: str) -> str:
        """The collection a named reference points into."""
        return self.record_type.spec(name).ref or ""

    def _resolve(
        self,
        name: str,
        row: SheetRow,
        built: BuiltRow,
        extras: list[str],
        *,
        base: Record | None,
        heads: tuple[bytes, ...],
    ) -> None:
        """A reference written as a name (and maybe an id): linked only when it is certain."""
        target, what = self._target(name), self.refs[name]
        names = self.targets.get(target)
        if names is None:
            return
        written = str(built.values.pop(name, ""))
        given_id = next(
            (cell(row, c.index).lower() for c in self.columns.of("ref_id") if c.field == name and cell(row, c.index)),
            "",
        )
        if base is not None and given_id and given_id == getattr(base, name, None):
            # Back from an export: the ID cell is as exported, so the name cell says what changed.
            was = {norm(t) for t in (names.titles.get(given_id), self._title_at(target, given_id, heads)) if t}
            if not written or norm(written) in was:
                built.values[name] = given_id if written else ""
                return
            given_id = ""  # the name was changed in the sheet: it decides
        if given_id in names.ids:
            built.values[name] = given_id
            return
        found = names.find(written) if written else []
        if len(found) == 1:
            built.values[name] = found[0]
            return
        if name == "household_id" and written and (not found or is_record_id(given_id)):
            # A household this group lacks: create it (with the file's id, so namesakes stay apart).
            record_id = given_id if is_record_id(given_id) else ""
            built.new_household = NewHousehold(record_id or norm(written), written, record_id)
            return
        if written or given_id:
            label = self.record_type.spec(name).label
            extras.append(f"{label}: {written or given_id}")
            self.unresolved[what] = self.unresolved.get(what, 0) + 1

    def _title_at(self, target: str, record_id: str, heads: tuple[bytes, ...]) -> str | None:
        return self.title_at(target, record_id, heads) if self.title_at is not None and heads else None

    def warnings(self) -> list[str]:
        return [
            f"{count} rows name a {what} that is not exactly one record in the group; "
            f"kept as written in {self.notes_field}, not linked."
            for what, count in self.unresolved.items()
        ]


def _collection_type(name: str) -> type[Record]:
    from magnet.records import COLLECTIONS

    return COLLECTIONS[name]


def add_entry(entries: dict[str, str], label: str, value: str) -> None:
    """Add under `label`, or 'label 2', 'label 3' when it is taken (two mobiles)."""
    key, n = label, 2
    while key in entries:
        key, n = f"{label} {n}", n + 1
    entries[key] = value


def _end_on_start_day(values: dict[str, Any]) -> None:
    """An end given only as a time of day ('20:00') is on the day the event starts."""
    starts = str(values.get("starts", "")).strip()
    ends = values.get("ends")
    if isinstance(ends, str) and _TIME_ONLY.fullmatch(ends.strip()) and starts:
        day = re.split(r"[ T]", starts, maxsplit=1)[0]
        if not _TIME_ONLY.fullmatch(day):
            values["ends"] = f"{day} {ends.strip()}"


def _amount_with_unit(values: dict[str, Any]) -> None:
    """'12 gallons' in a quantity column: 12, and 'gallons' as the unit when none is given."""
    quantity = values.get("quantity")
    if not isinstance(quantity, str):
        return
    match = _AMOUNT_WITH_UNIT.fullmatch(quantity.strip())
    if match and not values.get("unit"):
        values["quantity"] = match.group(1)
        values["unit"] = match.group(2).strip()
