"""`magnet list KIND`: one kind of record as a table for people, or TSV and JSON for scripts.

The table has a header and aligned columns; TSV has a header and one record per line with tabs and
line breaks inside values escaped (\\t, \\n), so `cut` and `awk` work; JSON is a list of records as
`magnet export --format json` writes them. Sensitive fields appear only with `sensitive`. Control
characters from the document never reach the terminal raw: they are escaped.

Tables and TSV are made from a collection's stored values and a `Listing` of its columns, never
from record objects: the same function serves a group opened in full and `magnet.glance`, which
reads the read model with nothing of the record classes imported (the read model keeps each
kind's `Listing` beside the values). This module imports no more than it needs for that.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from magnet.values import FieldKind, Shape, decode_scalar, format_value

if TYPE_CHECKING:
    from magnet.document import GroupDocument
    from magnet.record import Record

FORMATS = ("table", "tsv", "json")
TABLE_COLUMNS = 4  # beside the id: what fits on a terminal line
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_C1 = re.compile(r"[\x7f-\x9f\u2028\u2029]")


class Column(NamedTuple):
    """One field as a list shows it; `blank` is how it reads when a record does not hold it."""

    name: str
    label: str
    kind: FieldKind
    sensitive: bool = False
    ref: str = ""
    choices: tuple[str, ...] = ()
    blank: str = ""

    @property
    def entry_fields(self) -> Mapping[str, Shape]:
        return {}  # a list shows how many entries there are, never what is in them


class Listing(NamedTuple):
    """How to list one kind: the words people call it, its title field and its columns."""

    collection: str
    words: tuple[str, ...]
    title: str
    title_blank: str
    columns: tuple[Column, ...]

    def plain(self) -> list[Any]:
        """For the read model's header (msgpack)."""
        return [self.collection, list(self.words), self.title, self.title_blank, [list(c) for c in self.columns]]

    @classmethod
    def from_plain(cls, data: Any) -> Listing:
        """From `plain()`; ValueError/TypeError for anything else."""
        collection, words, title, title_blank, columns = data
        return cls(
            str(collection),
            tuple(str(w) for w in words),
            str(title),
            str(title_blank),
            tuple(
                Column(str(n), str(lb), FieldKind(k), bool(s), str(r), tuple(str(c) for c in ch), str(b))
                for n, lb, k, s, r, ch, b in columns
            ),
        )


_ARCHIVED = Column("archived", "Archived", FieldKind.FLAG)


def listing_of(record_type: type[Record]) -> Listing:
    """The listing a record class declares (its fields, in order, system fields excluded)."""
    from magnet.record import decode_record, display

    empty = decode_record(record_type, "", {})
    columns = tuple(
        Column(name, spec.label, spec.kind, spec.sensitive, spec.ref or "", spec.choices, display(empty, name))
        for name, spec in record_type.specs().items()
    )
    title = record_type.TITLE_FIELD
    return Listing(
        record_type.COLLECTION,
        tuple(sorted(record_type.KIND.said())),
        title,
        str(getattr(empty, title, "")),
        columns,
    )


@functools.cache
def every_listing() -> tuple[Listing, ...]:
    """The listing of every kind this magnet knows, for the read model."""
    from magnet.records import RECORD_TYPES

    return tuple(listing_of(cls) for cls in RECORD_TYPES)


def _shown(column: Column, values: Mapping[str, Any]) -> str:
    if column.name not in values:
        return column.blank
    return format_value(column, decode_scalar(column, values[column.name]))


def titles(listing: Listing, raw: Mapping[str, Any]) -> dict[str, str]:
    """Record id -> the text a list shows for it (archived ones too: references may point there)."""
    found: dict[str, str] = {}
    shape = next((c for c in listing.columns if c.name == listing.title), None)
    for record_id, values in raw.items():
        if not isinstance(values, dict):
            continue
        if shape is None or listing.title not in values:
            title = listing.title_blank
        else:
            title = str(decode_scalar(shape, values[listing.title]))
        found[str(record_id)] = title or str(record_id)
    return found


def render(
    listing: Listing,
    raw: Mapping[str, Any],
    ref_titles: Mapping[str, Mapping[str, str]],
    *,
    fmt: str = "table",
    sensitive: bool = False,
    archived: bool = False,
) -> str:
    """A table or TSV of the records in `raw` (id -> stored values), by title.

    `ref_titles` holds, for each collection a shown column refers to, its records' titles.
    """
    named = titles(listing, raw)
    kept = [
        (str(record_id), values)
        for record_id, values in raw.items()
        if isinstance(values, dict) and (archived or not decode_scalar(_ARCHIVED, values.get("archived")))
    ]
    kept.sort(key=lambda item: (named[item[0]].lower(), item[0]))
    columns = _shown_columns(listing, sensitive, fmt)

    def cell(column: Column, values: Mapping[str, Any]) -> str:
        text = _shown(column, values)
        if column.kind is FieldKind.REF:
            return ref_titles.get(column.ref, {}).get(text, text)
        return text

    header = ["ID", *(c.label for c in columns)]
    rows = [[record_id, *(_escaped(cell(c, values)) for c in columns)] for record_id, values in kept]
    if fmt == "tsv":
        return "".join("\t".join(row) + "\n" for row in [header, *rows])
    return _table([header, *rows])


def referenced(listing: Listing, sensitive: bool, fmt: str) -> set[str]:
    """The collections whose titles the shown columns need."""
    return {c.ref for c in _shown_columns(listing, sensitive, fmt) if c.kind is FieldKind.REF and c.ref}


def _shown_columns(listing: Listing, sensitive: bool, fmt: str) -> list[Column]:
    """Every column in TSV, the first few in a table; sensitive ones only when asked for."""
    columns = [c for c in listing.columns if sensitive or not c.sensitive]
    return columns if fmt == "tsv" else columns[:TABLE_COLUMNS]


def list_records(
    doc: GroupDocument, kind: str, *, fmt: str = "table", sensitive: bool = False, archived: bool = False
) -> str:
    from magnet.records import COLLECTIONS

    record_type = COLLECTIONS[kind]
    if fmt == "json":
        return _json(doc, record_type, sensitive=sensitive, archived=archived)
    listing = listing_of(record_type)
    refs = {
        target: titles(listing_of(COLLECTIONS[target]), doc.raw(target))
        for target in referenced(listing, sensitive, fmt)
    }
    return render(listing, doc.raw(kind), refs, fmt=fmt, sensitive=sensitive, archived=archived)


def _json(doc: GroupDocument, record_type: type[Record], *, sensitive: bool, archived: bool) -> str:
    from magnet.formats.json_export import record_to_json

    records = sorted(doc.collection(record_type).all(include_archived=archived), key=lambda r: (r.title.lower(), r.id))
    data = [record_to_json(r, sensitive=sensitive) for r in records]
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    # json.dumps escapes C0 controls inside strings; the C1 ones and line separators it leaves raw.
    return _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def _escaped(text: str) -> str:
    """Tabs and line breaks as \\t and \\n; any other control character as \\xNN."""
    text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\r\n", "\\n").replace("\n", "\\n")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _table(rows: Sequence[Sequence[str]], limit: int = 40) -> str:
    """Aligned columns, each at most `limit` characters wide (longer values end with '…')."""
    cut = [[v if len(v) <= limit else v[: limit - 1] + "…" for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cut) for i in range(len(cut[0]))]
    return "".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in cut)
