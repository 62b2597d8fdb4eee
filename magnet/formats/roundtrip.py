"""A CSV exported by magnet and edited in a spreadsheet comes back as exactly the cells that changed.

Every row of a magnet export ends with a "magnet version" cell: `magnet 1 <group> <record id>
<heads>`, the document's version the sheet was made at. A trailing column, repeated on every row,
because that is what spreadsheets keep: Excel and LibreOffice keep a column they do not understand
through sorting, filtering, deleting rows and saving as CSV again, and a row copied to another sheet
takes its version with it; a comment line above the header would be sorted into the data, or taken
for the header. The cell starts with a word and holds spaces, so no spreadsheet turns it into a
number (as Excel does to an ID like `1234e567...`), and it carries the record's id for the same
reason.

Importing it back reads each record as it was at that version (`record_at`) and merges per cell:
a cell equal to the exported value is no edit; a changed cell is applied when magnet still has the
exported value, and left alone (and reported) when the field was changed in magnet meanwhile.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from automerge.core import ROOT, Document, ObjType

from magnet import crdt
from magnet.document import GroupDocument
from magnet.record import Record, decode_record

R = TypeVar("R", bound=Record)
_STAMP = re.compile(r"magnet 1 ([0-9a-f]{8}) ([0-9a-f]{16}) ([0-9a-f]{64}(?:\+[0-9a-f]{64})*)")


@dataclass(frozen=True)
class Stamp:
    """What one exported row says about where it came from."""

    group: str  # the first 8 hex digits of the group id
    record_id: str
    heads: tuple[bytes, ...]


def stamp_cell(group_id: str, record_id: str, heads: Sequence[bytes]) -> str:
    return f"magnet 1 {group_id[:8]} {record_id} {'+'.join(h.hex() for h in heads)}"


def parse_stamp(text: str) -> Stamp | None:
    m = _STAMP.fullmatch(text.strip().lower())
    if m is None:
        return None
    return Stamp(m[1], m[2], tuple(bytes.fromhex(h) for h in m[3].split("+")))


class Versions:
    """Records of one group as earlier versions of it had them (cached: a sheet has one version)."""

    def __init__(self, doc: GroupDocument) -> None:
        self.doc = doc
        self.group = doc.group_id[:8]
        self._known: dict[tuple[bytes, ...], bool] = {}
        self._records: dict[tuple[str, str, tuple[bytes, ...]], Record | None] = {}
        self._ids: dict[tuple[str, tuple[bytes, ...]], set[str]] = {}

    def usable(self, stamp: Stamp | None) -> bool:
        """Made from this group, at a version this copy has (not one it has not synced yet)."""
        if stamp is None or stamp.group != self.group:
            return False
        if stamp.heads not in self._known:
            self._known[stamp.heads] = self.doc.has_heads(list(stamp.heads))
        return self._known[stamp.heads]

    def record_at(self, record_type: type[R], record_id: str, heads: tuple[bytes, ...]) -> R | None:
        """The record as it was at `heads`, or None when it did not exist then."""
        key = (record_type.COLLECTION, record_id, heads)
        if key not in self._records:

            def read(am: Document) -> Record | None:
                found = am.get(ROOT, record_type.COLLECTION, list(heads))
                if found is None or found[0] != ObjType.Map:
                    return None
                record = am.get(found[1], record_id, list(heads))
                if record is None or record[0] != ObjType.Map:
                    return None
                return decode_record(record_type, record_id, crdt.read_map(am, record[1], list(heads)))

            self._records[key] = self.doc.with_automerge(read)
        return self._records[key]  # type: ignore[return-value]

    def active_ids_at(self, record_type: type[Record], heads: tuple[bytes, ...]) -> set[str]:
        """Ids of the records not archived at `heads`: the rows an export made then held."""
        key = (record_type.COLLECTION, heads)
        if key not in self._ids:

            def read(am: Document) -> set[str]:
                found = am.get(ROOT, record_type.COLLECTION, list(heads))
                if found is None or found[0] != ObjType.Map:
                    return set()
                ids: set[str] = set()
                for record_id in am.keys(found[1], list(heads)):
                    record = am.get(found[1], record_id, list(heads))
                    if record is None or record[0] != ObjType.Map:
                        continue
                    archived = am.get(record[1], "archived", list(heads))
                    if archived is None or isinstance(archived[0], ObjType) or not archived[0][1]:
                        ids.add(record_id)
                return ids

            self._ids[key] = self.doc.with_automerge(read)
        return self._ids[key]


SAME = "same"  # the sheet has what magnet has: nothing to do
APPLY = "apply"  # changed in the sheet only: written
KEPT = "kept"  # changed in the sheet and in magnet since the export: magnet's value stays


def merge_cell(base: Any, sheet: Any, current: Any) -> str:
    """The 3-way decision for one cell whose sheet value differs from the exported one."""
    if sheet == current:
        return SAME
    if current == base:
        return APPLY
    return KEPT
