"""Forms for sub-entries (a survey's questions, a goal's milestones), built from the entry's own FieldSpecs.

The shell's RecordForm edits records; an entry is a map inside a record. A record type made on
the fly from the entry's fields lets the same form (inline validation, Ctrl+S, Escape) edit it,
and `Collection.put_entry` writes only the fields that changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from magnet.checks import check_entry
from magnet.document import GroupDocument
from magnet.fields import FieldSpec, parse_entry
from magnet.record import Record
from magnet.values import decode_scalar
from screens.widgets.record_form import RecordForm

_MADE: dict[tuple[type[Record], str], type[Record]] = {}


def entry_type(record_type: type[Record], field: str, noun: str, title_field: str) -> type[Record]:
    """A Record class whose fields are those of one entries field (e.g. Survey.questions)."""
    known = _MADE.get((record_type, field))
    if known is not None:
        return known
    spec = record_type.spec(field)
    fields: list[tuple[str, Any, Any]] = []
    for name, sub in spec.entry_fields.items():
        default = sub.choices[0] if sub.choices and not sub.open_choice else decode_scalar(sub, None)
        if sub.choices and sub.open_choice:
            default = "other" if "other" in sub.choices else ""
        fields.append((name, Any, dataclasses.field(default=default, metadata={"spec": sub})))
    made = dataclasses.make_dataclass(
        f"{record_type.__name__}{field.title()}Entry",
        fields,
        bases=(Record,),
        frozen=True,
        kw_only=True,
        namespace={"NOUN": noun, "TITLE_FIELD": title_field},
    )
    _MADE[(record_type, field)] = made
    return made


def entry_form(
    doc: GroupDocument,
    record_type: type[Record],
    record_id: str,
    field: str,
    *,
    noun: str,
    title_field: str,
    entry_id: str | None = None,
    fields: Sequence[str] | None = None,
    defaults: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> RecordForm[Any]:
    """A form adding (entry_id None) or editing one entry; it returns the values to `put_entry`."""
    draft_type = entry_type(record_type, field, noun, title_field)
    spec: FieldSpec = record_type.spec(field)
    collection = doc.collection(record_type)

    def stored() -> dict[str, Any]:
        record = collection.find(record_id)
        found = getattr(record, field, {}).get(entry_id, {}) if record is not None and entry_id else {}
        return {k: v for k, v in found.items() if k in spec.entry_fields}

    def fetch() -> Record | None:
        values = stored()
        return draft_type(id=entry_id or "", **values) if values else None

    def parse(values: Mapping[str, Any]) -> dict[str, Any]:
        checked = parse_entry(spec.named(field), {**stored(), **values})
        check_entry(record_type, field, checked)  # a scale question with choices is refused here, typing kept
        return {k: v for k, v in checked.items() if k in values}

    current = fetch() if entry_id else None
    return RecordForm(
        doc,
        draft_type,
        current,
        fields=fields,
        defaults=defaults,
        title=title,
        fetch=fetch,
        parse=parse,
    )
