"""One spreadsheet row -> the values of one record, with every problem in it and nothing dropped.

The habits handled here: names split over two columns, one column per phone, a date and a time
in separate columns, "12 gallons" in a quantity column, a household or a holder written as a
name. A name that matches no single record is never guessed at: it stays in the notes as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from magnet.document import GroupDocument
from magnet.errors import ValidationError
from magnet.fields import FieldKind, parse_value, split_list
from magnet.formats.columns import CSV_KINDS, ColumnMap, joined_glue, named_refs, norm, notes_field
from magnet.formats.spreadsheet import SheetRow
from magnet.record import Record

_TIME_ONLY = re.compile(r"\d{1,2}:\d{2}(:\d{2})?\s*([AaPp][Mm])?")
_AMOUNT_WITH_UNIT = re.compile(r"([-+]?\d[\d,]*(?:\.\d+)?)\s*([^\W\d_].*)")
_RECORD_ID = re.compile(r"[0-9a-f]{16}")


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
    record_id: str = ""  # the row's ID column, when it is a magnet id
    new_household: NewHousehold | None = None


def cell(row: SheetRow, index: int) -> str:
    """A cell's text, without the apostrophe magnet's export puts before '=', '+', '-' or '@'."""
    value = row.cells[index] if index < len(row.cells) else ""
    return value[1:] if value[:1] == "'" and value.lstrip("'")[:1] in ("=", "+", "-", "@") else value


class _Names:
    """Records of one collection found by id or by name (case and spacing ignored)."""

    def __init__(self, records: Sequence[Record]) -> None:
        self.ids = {r.id for r in records}
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

    def __init__(self, doc: GroupDocument, kind: str, columns: ColumnMap) -> None:
        self.doc = doc
        self.kind = kind
        self.columns = columns
        self.record_type = CSV_KINDS[kind]
        self.notes_field = notes_field(kind)
        self.refs = named_refs(kind)
        self.targets: dict[str, _Names] = {}
        for name in {c.field for c in columns.columns if c.role in ("field", "ref_id")} & self.refs.keys():
            target = self._target(name)
            if target not in self.targets:
                self.targets[target] = _Names(doc.collection(_collection_type(target)).all(include_archived=True))
        self.unresolved: dict[str, int] = {}
        self.same_name = 0
        self.existing_names = {norm(r.title) for r in doc.collection(self.record_type).all()}
        self.headers_by_field: dict[str, list[str]] = {}
        for column in columns.of("field"):
            self.headers_by_field.setdefault(column.field, []).append(column.header)

    def first_of_role(self, row: SheetRow, role: str) -> str:
        for column in self.columns.of(role):
            value = cell(row, column.index)
            if value:
                return value
        return ""

    def build(self, row: SheetRow) -> tuple[BuiltRow, list[str]]:
        values: dict[str, Any] = {}
        for column in self.columns.of("field"):
            value = cell(row, column.index)
            if not value:
                continue  # an empty cell means the field's default, not "clear it"
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
        problems: list[str] = []
        if self.kind == "members":
            self._name_parts(row, values, extras)
            self._phones(row, values)
        elif self.kind == "events":
            _end_on_start_day(values)
        elif self.kind == "inventory":
            _amount_with_unit(values)
        for name in self.refs:
            self._resolve(name, row, built, extras)
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
        if not problems:
            try:  # the group's own checks too (an event that ends before it starts), with the line number
                self.doc.collection(self.record_type).validate_new(values)
            except ValidationError as exc:
                problems.append(self._explain(exc))
        if not problems and norm(str(values.get("name", ""))) in self.existing_names:
            self.same_name += 1
        return built, problems

    def _explain(self, exc: ValidationError) -> str:
        """'joined: ...', naming the column too when its header says something else."""
        headers = self.headers_by_field.get(exc.field, [])
        spec = self.record_type.all_specs().get(exc.field)
        plain = {norm(exc.field)} | ({norm(spec.label)} if spec else set())
        if headers and not all(norm(h) in plain for h in headers):
            return f"{exc.field} (column {', '.join(repr(h) for h in headers)}): {exc.reason}"
        return f"{exc.field}: {exc.reason}"

    def _name_parts(self, row: SheetRow, values: dict[str, Any], extras: list[str]) -> None:
        """'First name' + 'Last name' make the name; when a name is also given, parts it lacks go to notes."""
        parts = self.columns.of("first_name") + self.columns.of("last_name")
        if not values.get("name"):
            whole = " ".join(cell(row, c.index) for c in parts if cell(row, c.index))
            if whole:
                values["name"] = whole
            return
        for column in parts:
            part = cell(row, column.index)
            if part and norm(part) not in norm(values["name"]):
                extras.append(f"{column.header}: {part}")

    def _phones(self, row: SheetRow, values: dict[str, Any]) -> None:
        """Each phone column adds a labelled number ('Mobile' -> mobile); 'Phones' holds 'label: number; ...'."""
        phones: dict[str, str] = {}
        for column in self.columns.columns:
            value = cell(row, column.index)
            if not value:
                continue
            if column.role == "phone":
                _add_phone(phones, column.label, value)
            elif column.role == "phones":
                for item in split_list(value):
                    label, sep, number = item.partition(":")
                    if sep and number.strip():
                        _add_phone(phones, label.strip() or "phone", number.strip())
                    else:
                        _add_phone(phones, "phone", item)
        if phones:
            values["phones"] = phones

    def _target(self, name: str) -> str:
        """The collection a named reference points into."""
        return self.record_type.spec(name).ref or ""

    def _resolve(self, name: str, row: SheetRow, built: BuiltRow, extras: list[str]) -> None:
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

    def warnings(self) -> list[str]:
        notes = [
            f"{count} rows name a {what} that is not exactly one record in the group; "
            f"kept as written in {self.notes_field}, not linked."
            for what, count in self.unresolved.items()
        ]
        if self.same_name:
            notes.append(
                f"{self.same_name} rows have the same name as a record already in the group; "
                "they were imported as new records, so check for duplicates."
            )
        return notes


def _collection_type(name: str) -> type[Record]:
    from magnet.records import COLLECTIONS

    return COLLECTIONS[name]


def _add_phone(phones: dict[str, str], label: str, number: str) -> None:
    key, n = label, 2
    while key in phones:
        key, n = f"{label} {n}", n + 1
    phones[key] = number


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
