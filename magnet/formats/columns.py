"""Which spreadsheet column holds which field: headers matched by label and the names people use.

Every field's label and `aliases` (declared with the record) are recognised, case-insensitively
and ignoring punctuation ("E-mail", "e mail", "EMAIL" are one header). A few spreadsheet habits
need more than a name: a roster split into "First name" and "Last name", one column per phone
("Mobile", "Home phone"), an address over "Street", "City" and "Zip", an event's "Date" and
"Time" in two columns. Whatever matches nothing is kept in the record's notes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from magnet.errors import MagnetError
from magnet.fields import FieldKind, FieldSpec
from magnet.records import SHEET_KINDS, sheet_of

# The kinds a spreadsheet can hold, and how each is laid out: declared with the records (`Kind.sheet`).
CSV_KINDS = SHEET_KINDS


def notes_field(kind: str) -> str:
    """Where columns nobody recognised are kept, as "Header: value" lines."""
    return sheet_of(CSV_KINDS[kind]).notes


def named_refs(kind: str) -> dict[str, str]:
    """References a spreadsheet holds as a name -> what a person calls one ("household")."""
    return dict(sheet_of(CSV_KINDS[kind]).refs)


def joined_glue(kind: str, name: str) -> str | None:
    """The text between cells when several columns feed one field, or None when only one may."""
    return sheet_of(CSV_KINDS[kind]).joined.get(name)


FIRST_NAME = ("first name", "firstname", "first", "given name", "forename", "prenom", "vorname")
LAST_NAME = ("last name", "lastname", "last", "surname", "family name")
ID_HEADERS = ("id", "magnet id", "record id")
_PHONE_WORDS = {"phone", "phones", "telephone", "tel", "mobile", "cell", "cellphone", "landline", "whatsapp", "sms"}
_LABEL_DROP = {"phone", "telephone", "tel", "number", "no", "num", "nr", "nbr"}
_EMERGENCY_WORDS = {"emergency", "ice"}


def norm(header: str) -> str:
    """'E-Mail ' -> 'e mail', 'Phone #' -> 'phone': how headers are compared."""
    return " ".join(re.sub(r"[^\w]+", " ", header.lower()).replace("_", " ").split())


@dataclass(frozen=True)
class Column:
    """What one column of the sheet feeds."""

    index: int
    header: str
    role: str  # "field", "ref_id", "first_name", "last_name", "phone", "phones", "id" or "extra"
    field: str = ""  # the record field, for roles "field" and "ref_id"
    label: str = ""  # the phone's label ("mobile", "home"), for role "phone"
    weight: float = 1.0  # how sure the match is, for guessing the kind


@dataclass(frozen=True)
class ColumnMap:
    kind: str
    columns: tuple[Column, ...]
    notes: tuple[str, ...] = field(default=())

    def of(self, role: str) -> list[Column]:
        return [c for c in self.columns if c.role == role]

    def fields(self) -> set[str]:
        return {c.field for c in self.columns if c.role == "field"}

    @property
    def score(self) -> float:
        return sum(c.weight for c in self.columns if c.role != "extra")

    def has_name(self) -> bool:
        return "name" in self.fields() or bool(self.of("first_name") or self.of("last_name"))


def importable(kind: str, spec: FieldSpec) -> bool:
    """Fields a spreadsheet cell can fill (not lists of ids, sub-entries, or system fields)."""
    if spec.system or spec.kind is FieldKind.ENTRIES:
        return False
    if spec.kind is FieldKind.REF:
        return spec.name in named_refs(kind)
    return spec.ref is None


def header_table(kind: str) -> dict[str, tuple[str, float]]:
    """Normalised header -> (field, weight) for one kind."""
    record_type = CSV_KINDS[kind]
    table: dict[str, tuple[str, float]] = {}
    specs = {name: spec for name, spec in record_type.specs().items() if importable(kind, spec)}
    # Field names are the weakest hint ("name" on a partner is its organisation).
    for name in specs:
        table[norm(name.removesuffix("_id"))] = (name, 0.5)
        table[norm(name)] = (name, 0.5)
    for name, aliases in sheet_of(record_type).aliases.items():
        for alias in aliases:
            table[norm(alias)] = (name, 1.0)
    for name, spec in specs.items():
        for alias in spec.aliases:
            table[norm(alias)] = (name, 1.0)
    for name, spec in specs.items():
        table[norm(spec.label)] = (name, 1.0)
    return table


def ref_id_headers(kind: str) -> dict[str, str]:
    """'household id' -> 'household_id': columns holding the id a name column refers to."""
    found: dict[str, str] = {}
    for name in named_refs(kind):
        spec = CSV_KINDS[kind].spec(name)
        for base in (spec.label, name.removesuffix("_id"), *spec.aliases):
            found[norm(base) + " id"] = name
    return found


def _phone_label(words: list[str]) -> str:
    kept = [w for w in words if w not in _LABEL_DROP]
    if not kept or all(w.isdigit() for w in kept):
        return " ".join(["phone", *kept])
    return " ".join(kept)


def map_columns(kind: str, headers: Sequence[str]) -> ColumnMap:
    """Decide, left to right, what each header feeds; a field already fed goes to notes."""
    if kind not in CSV_KINDS:
        raise MagnetError(f"cannot import {kind!r} from a spreadsheet; one of: {', '.join(CSV_KINDS)}")
    table = header_table(kind)
    ref_ids = ref_id_headers(kind)
    columns: list[Column] = []
    taken: set[str] = set()
    notes: list[str] = []
    for index, header in enumerate(headers):
        key = norm(header)
        words = key.split()
        shown = header or f"column {index + 1}"
        if not key:
            columns.append(Column(index, shown, "extra", weight=0))
            continue
        if key in ID_HEADERS:
            columns.append(Column(index, header, "id", weight=0))
            continue
        if key in ref_ids:
            columns.append(Column(index, header, "ref_id", field=ref_ids[key], weight=0))
            continue
        if kind == "members" and key in FIRST_NAME:
            columns.append(Column(index, header, "first_name"))
            continue
        if kind == "members" and key in LAST_NAME:
            columns.append(Column(index, header, "last_name"))
            continue
        if kind == "members" and set(words) & _EMERGENCY_WORDS:
            columns.append(Column(index, header, "field", field="emergency_contact"))
            taken.add("emergency_contact")
            continue
        if kind == "members" and key in ("phones", "phone numbers"):
            columns.append(Column(index, header, "phones"))
            continue
        if kind == "members" and set(words) & _PHONE_WORDS:
            columns.append(Column(index, header, "phone", label=_phone_label(words)))
            continue
        match = table.get(key)
        if match is None:
            columns.append(Column(index, header, "extra", weight=0))
            continue
        name, weight = match
        spec = CSV_KINDS[kind].spec(name)
        joins = joined_glue(kind, name) is not None or spec.kind is FieldKind.MOMENT
        if name in taken and not joins:
            columns.append(Column(index, header, "extra", weight=0))
            notes.append(f"column {header!r} also matches {spec.label.lower()}; kept in notes")
            continue
        taken.add(name)
        columns.append(Column(index, header, "field", field=name, weight=weight))
    return ColumnMap(kind, tuple(columns), tuple(notes))


def guess_kind(headers: Sequence[str], name: str) -> str:
    """The kind whose fields the headers match best; asks for --kind when none fits."""
    candidates: list[tuple[float, str]] = []
    for kind, record_type in CSV_KINDS.items():
        mapped = map_columns(kind, headers)
        fields = mapped.fields()
        required = {n for n, s in record_type.specs().items() if s.required} - {"name"}
        if mapped.has_name() and required <= fields:
            candidates.append((mapped.score, kind))
    # Best score first; a tie goes to the kind listed first (a roster is the usual spreadsheet),
    # and the import summary says which kind was read.
    candidates.sort(key=lambda c: -c[0])
    if not candidates:
        shown = ", ".join(repr(h) for h in headers[:6] if h)
        raise MagnetError(
            f"cannot tell what {name} holds from its headers ({shown}); name it with --kind {'|'.join(CSV_KINDS)}"
        )
    return candidates[0][1]


def recognised_headers(kind: str) -> dict[str, list[str]]:
    """Field label -> every header recognised for it (in the fields' order), for the documentation."""
    record_type = CSV_KINDS[kind]
    id_columns = ref_id_headers(kind)
    by_field: dict[str, list[str]] = {}
    for header, (name, _weight) in sorted(header_table(kind).items()):
        if header not in id_columns:
            by_field.setdefault(name, []).append(header)
    return {record_type.spec(name).label: by_field[name] for name in record_type.specs() if name in by_field}
