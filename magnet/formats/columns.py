"""Which spreadsheet column holds which field: headers matched by the words each kind declares.

Every field's label and `aliases`, and the words its kind's `Sheet` declares (in English, German,
Spanish, French and Portuguese), are recognised ignoring case, accents and punctuation ("E-mail",
"e mail", "EMAIL" are one header; so are "Teléfono" and "telefono"). A few spreadsheet habits need
more than a name, and each kind declares which it has: a name split into "First name" and "Last
name" (`parts`), one column per phone ("Mobile", "Home phone": `labelled`), an "Emergency phone"
that is no shared phone (`claims`), a second "E-mail" column (`spill`), columns that mean nothing to
a group (`ignored`). Whatever matches nothing is kept in the record's notes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from magnet.errors import MagnetError
from magnet.fields import FieldSpec
from magnet.kinds import Sheet
from magnet.records import SHEET_KINDS, sheet_of
from magnet.values import FieldKind

# The kinds a spreadsheet can hold, and how each is laid out: declared with the records (`Kind.sheet`).
CSV_KINDS = SHEET_KINDS

ID_HEADERS = ("id", "magnet id", "record id")
VERSION_HEADER = "magnet version"


def notes_field(kind: str) -> str:
    """Where columns nobody recognised are kept, as "Header: value" lines."""
    return sheet_of(CSV_KINDS[kind]).notes


def named_refs(kind: str) -> dict[str, str]:
    """References a spreadsheet holds as a name -> what a person calls one ("household")."""
    return dict(sheet_of(CSV_KINDS[kind]).refs)


def joined_glue(kind: str, name: str) -> str | None:
    """The text between cells when several columns feed one field, or None when only one may."""
    return sheet_of(CSV_KINDS[kind]).joined.get(name)


def norm(header: str) -> str:
    """'E-Mail ' -> 'email', 'Téléphone #' -> 'telephone': how headers and names are compared."""
    text = unicodedata.normalize("NFKD", header.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w]+", " ", text).replace("_", " ")
    text = re.sub(r"\be mail\b", "email", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Column:
    """What one column of the sheet feeds."""

    index: int
    header: str
    # "field", "part" (of a field split over columns), "entry" (one labelled entry of a mapping),
    # "entries" (a whole mapping as 'label: value; ...'), "ref_id", "id", "version", "dropped", "extra"
    role: str
    field: str = ""  # the record field, for every role but "id", "version", "dropped" and "extra"
    label: str = ""  # the entry's label for "entry"; the part's name for "part"
    weight: float = 1.0  # how sure the match is, for guessing the kind


@dataclass(frozen=True)
class ColumnMap:
    kind: str
    columns: tuple[Column, ...]
    notes: tuple[str, ...] = field(default=())

    def of(self, role: str) -> list[Column]:
        return [c for c in self.columns if c.role == role]

    def fields(self) -> set[str]:
        return {c.field for c in self.columns if c.role in ("field", "part", "entry", "entries")}

    @property
    def score(self) -> float:
        return sum(c.weight for c in self.columns if c.role not in ("extra", "dropped"))

    def has_name(self) -> bool:
        return "name" in self.fields()

    @property
    def dropped(self) -> list[str]:
        return [c.header for c in self.of("dropped")]


def importable(kind: str, spec: FieldSpec) -> bool:
    """Fields a spreadsheet cell can fill (not lists of ids, sub-entries, or system fields)."""
    if spec.system or spec.kind is FieldKind.ENTRIES:
        return False
    if spec.kind is FieldKind.REF:
        return spec.name in named_refs(kind)
    return spec.ref is None


def _specs(kind: str) -> dict[str, FieldSpec]:
    return {name: spec for name, spec in CSV_KINDS[kind].specs().items() if importable(kind, spec)}


def header_table(kind: str) -> dict[str, tuple[str, float]]:
    """Normalised header -> (field, weight) for one kind (parts of split fields not included)."""
    sheet = sheet_of(CSV_KINDS[kind])
    specs = _specs(kind)
    table: dict[str, tuple[str, float]] = {}
    # Field names are the weakest hint ("name" on a partner is its organisation).
    for name in specs:
        table[norm(name.removesuffix("_id"))] = (name, 0.5)
        table[norm(name)] = (name, 0.5)
    for name in specs:
        for word in (*specs[name].aliases, *sheet.vocabulary(name)):
            table[norm(word)] = (name, 1.0)
    for name, spec in specs.items():
        table[norm(spec.label)] = (name, 1.0)
    return table


def part_table(kind: str) -> dict[str, tuple[str, str]]:
    """Normalised header -> (field, part) for fields people split over columns ("Vorname")."""
    sheet = sheet_of(CSV_KINDS[kind])
    return {
        norm(word): (name, part)
        for name, parts in sheet.parts.items()
        for part in parts
        for word in sheet.vocabulary(part)
    }


def ref_id_headers(kind: str) -> dict[str, str]:
    """'household id' -> 'household_id': columns holding the id a name column refers to."""
    found: dict[str, str] = {}
    for name in named_refs(kind):
        spec = CSV_KINDS[kind].spec(name)
        for base in (spec.label, name.removesuffix("_id"), *spec.aliases):
            found[norm(base) + " id"] = name
    return found


def _tokens(kind: str, name: str) -> set[str]:
    """The one-word headers of a field: any of them inside a longer header points at it."""
    sheet = sheet_of(CSV_KINDS[kind])
    spec = CSV_KINDS[kind].spec(name)
    words = {norm(w) for w in (spec.label, name, *spec.aliases, *sheet.vocabulary(name))}
    return {w for w in words if w and " " not in w}


def entry_label(kind: str, name: str, words: Sequence[str]) -> str:
    """'Home phone' -> 'home', 'Phone 2' -> 'phone 2', 'E-mail 2 Address' -> 'email 2'."""
    said = sheet_of(CSV_KINDS[kind]).labelled[name]
    generic = {norm(w) for w in said}
    kept = [w for w in words if w not in generic]
    if not kept or all(w.isdigit() for w in kept):
        return " ".join([norm(said[0]), *kept])
    return " ".join(kept)


class _Mapper:
    """Decides, left to right, what each header of one sheet feeds."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.sheet: Sheet = sheet_of(CSV_KINDS[kind])
        self.table = header_table(kind)
        self.parts = part_table(kind)
        self.ref_ids = ref_id_headers(kind)
        self.ignored = {norm(w) for w in self.sheet.ignored}
        self.claims = {norm(w): name for name, words in self.sheet.claims.items() for w in words}
        self.labelled = {name: _tokens(kind, name) for name in self.sheet.labelled}
        self.spills = {name: _tokens(kind, name) for name in self.sheet.spill}
        self.taken: set[str] = set()
        self.notes: list[str] = []

    def column(self, index: int, header: str) -> Column:
        key = norm(header)
        words = key.split()
        if not key:
            return Column(index, header or f"column {index + 1}", "extra", weight=0)
        if key in ID_HEADERS:
            return Column(index, header, "id", weight=0)
        if key == VERSION_HEADER:
            return Column(index, header, "version", weight=0)
        if key in self.ref_ids:
            return Column(index, header, "ref_id", field=self.ref_ids[key], weight=0)
        if key in self.ignored:
            return Column(index, header, "dropped", weight=0.5)
        claimed = next((self.claims[w] for w in words if w in self.claims), None)
        if claimed is not None:
            self.taken.add(claimed)
            return Column(index, header, "field", field=claimed)
        if key in self.parts:
            name, part = self.parts[key]
            return Column(index, header, "part", field=name, label=part)
        match = self.table.get(key)
        if match is not None:
            return self._matched(index, header, match)
        for name, tokens in self.labelled.items():
            if tokens & set(words):
                return Column(index, header, "entry", field=name, label=entry_label(self.kind, name, words))
        for name, tokens in self.spills.items():
            if tokens & set(words):
                return self._spilled(index, header, name, words)
        return Column(index, header, "extra", weight=0)

    def _matched(self, index: int, header: str, match: tuple[str, float]) -> Column:
        name, weight = match
        key = norm(header)
        record_type = CSV_KINDS[self.kind]
        spec = record_type.spec(name)
        if name in self.sheet.labelled:
            if key in (norm(spec.label), norm(name)):
                return Column(index, header, "entries", field=name, weight=weight)
            return Column(index, header, "entry", field=name, label=entry_label(self.kind, name, key.split()))
        joins = joined_glue(self.kind, name) is not None or spec.kind is FieldKind.MOMENT
        if name in self.taken and not joins:
            if name in self.sheet.spill:
                return self._spilled(index, header, name, key.split())
            self.notes.append(f"column {header!r} also matches {spec.label.lower()}; kept in notes")
            return Column(index, header, "extra", weight=0)
        self.taken.add(name)
        return Column(index, header, "field", field=name, weight=weight)

    def _spilled(self, index: int, header: str, name: str, words: list[str]) -> Column:
        """The first column for `name` fills it; the others become labelled entries of its spill field."""
        if name not in self.taken:
            self.taken.add(name)
            return Column(index, header, "field", field=name)
        target = self.sheet.spill[name]
        return Column(index, header, "entry", field=target, label=entry_label(self.kind, target, words))


def map_columns(kind: str, headers: Sequence[str]) -> ColumnMap:
    """Decide, left to right, what each header feeds; a field already fed goes to notes."""
    if kind not in CSV_KINDS:
        raise MagnetError(f"cannot import {kind!r} from a spreadsheet; one of: {', '.join(CSV_KINDS)}")
    mapper = _Mapper(kind)
    columns = [mapper.column(index, header) for index, header in enumerate(headers)]
    return ColumnMap(kind, tuple(_whole_name_beside_one_part(columns)), tuple(mapper.notes))


def _whole_name_beside_one_part(columns: list[Column]) -> list[Column]:
    """'Name' beside 'Vorname' only is the family name; 'Nombre' beside 'Apellido' only, the given name.

    German and French sheets write "Name, Vorname" / "Nom, Prénom", Spanish and Portuguese "Nombre,
    Apellidos" / "Nome, Sobrenome": a whole-name column next to one part is the other part. Whether
    it really holds whole names is checked row by row (see csv_rows), so "Name, First name" with
    "Ann Lee, Ann" still reads as the whole name.
    """
    parts = {c.label for c in columns if c.role == "part"}
    whole = [c for c in columns if c.role == "field" and c.field == "name"]
    if len(whole) != 1 or len(parts) != 1:
        return columns
    other = {"name.given": "name.family", "name.family": "name.given"}.get(next(iter(parts)))
    if other is None:
        return columns
    return [
        Column(c.index, c.header, "field", field="name", label=other, weight=c.weight) if c is whole[0] else c
        for c in columns
    ]


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


def recognised_headers(kind: str, *, language: str = "en") -> dict[str, list[str]]:
    """Field label -> headers recognised for it in one language (in the fields' order), for the guide.

    English ("en") holds the labels, field aliases and the kind's own aliases; other languages the
    words its `Sheet` declares for them. Parts of a split field are listed under that field.
    """
    record_type = CSV_KINDS[kind]
    sheet = sheet_of(record_type)
    by_field: dict[str, set[str]] = {}
    if language == "en":
        for name, spec in _specs(kind).items():
            words = {
                norm(w)
                for w in (spec.label, name, name.removesuffix("_id"), *spec.aliases, *sheet.aliases.get(name, ()))
            }
            by_field[name] = {w for w in words if header_table(kind).get(w, ("",))[0] == name}
        for name, parts in sheet.parts.items():
            by_field.setdefault(name, set()).update(norm(w) for part in parts for w in sheet.aliases.get(part, ()))
    else:
        for name, said_here in sheet.words.get(language, {}).items():
            owner = next((field for field, parts in sheet.parts.items() if name in parts), name)
            by_field.setdefault(owner, set()).update(norm(w) for w in said_here)
    return {record_type.spec(name).label: sorted(by_field[name]) for name in record_type.specs() if name in by_field}
