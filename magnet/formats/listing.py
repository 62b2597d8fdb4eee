"""`magnet list KIND`: one kind of record as a table for people, or TSV and JSON for scripts.

The table has a header and aligned columns; TSV has a header and one record per line with tabs and
line breaks inside values escaped (\\t, \\n), so `cut` and `awk` work; JSON is a list of records as
`magnet export --format json` writes them. Sensitive fields appear only with `sensitive`. Control
characters from the document never reach the terminal raw: they are escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from magnet.document import GroupDocument
from magnet.formats.json_export import record_to_json
from magnet.record import Record, display
from magnet.records import COLLECTIONS
from magnet.values import FieldKind

FORMATS = ("table", "tsv", "json")
TABLE_COLUMNS = 4  # beside the id: what fits on a terminal line
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_C1 = re.compile(r"[\x7f-\x9f\u2028\u2029]")


def _escaped(text: str) -> str:
    """Tabs and line breaks as \\t and \\n; any other control character as \\xNN."""
    text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\r\n", "\\n").replace("\n", "\\n")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def list_records(
    doc: GroupDocument, kind: str, *, fmt: str = "table", sensitive: bool = False, archived: bool = False
) -> str:
    record_type = COLLECTIONS[kind]
    records = sorted(doc.collection(record_type).all(include_archived=archived), key=lambda r: (r.title.lower(), r.id))
    if fmt == "json":
        data = [record_to_json(r, sensitive=sensitive) for r in records]
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
        # json.dumps escapes C0 controls inside strings; the C1 ones and line separators it leaves raw.
        return _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"
    specs = {n: s for n, s in record_type.specs().items() if sensitive or not s.sensitive}
    names = list(specs) if fmt == "tsv" else list(specs)[:TABLE_COLUMNS]
    titles = _titles(doc, [specs[n] for n in names])

    def value(record: Record, name: str) -> str:
        if specs[name].kind is FieldKind.REF:
            raw = str(getattr(record, name))
            return titles.get(raw, raw)
        return display(record, name)

    header = ["ID", *(specs[n].label for n in names)]
    rows = [[r.id, *(_escaped(value(r, n)) for n in names)] for r in records]
    if fmt == "tsv":
        return "".join("\t".join(row) + "\n" for row in [header, *rows])
    return _table([header, *rows])


def _titles(doc: GroupDocument, specs: Sequence[Any]) -> dict[str, str]:
    titles: dict[str, str] = {}
    for target in {s.ref for s in specs if s.kind is FieldKind.REF and s.ref}:
        titles |= {r.id: r.title for r in doc.collection(COLLECTIONS[target]).all(include_archived=True)}
    return titles


def _table(rows: list[list[str]], limit: int = 40) -> str:
    """Aligned columns, each at most `limit` characters wide (longer values end with '…')."""
    cut = [[v if len(v) <= limit else v[: limit - 1] + "…" for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cut) for i in range(len(cut[0]))]
    return "".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n" for row in cut)
