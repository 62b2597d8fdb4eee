"""The whole group as JSON: one key per collection, each a list of records with their id."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

from magnet.document import GroupDocument
from magnet.record import Record
from magnet.values import FieldKind


def record_to_json(record: Record, *, sensitive: bool = True) -> dict[str, Any]:
    """Plain JSON values for one record; unknown fields from newer versions ride along.

    Without `sensitive`, sensitive fields are left out, and so are fields this version does not
    know: a newer version may have marked them sensitive, and this one cannot tell.
    """
    out: dict[str, Any] = {"id": record.id}
    for name, spec in record.all_specs().items():
        if spec.sensitive and not sensitive:
            continue
        value = getattr(record, name)
        if spec.kind is FieldKind.TAGS:
            value = sorted(value)
        elif spec.kind is FieldKind.ENTRIES:
            value = {key: {k: _plain(v) for k, v in entry.items()} for key, entry in value.items()}
        out[name] = _plain(value)
    if record.extra and sensitive:
        out["extra"] = {k: _plain(v) for k, v in record.extra.items()}
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # strict JSON has no NaN or Infinity; another writer may have stored one
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def group_to_json(doc: GroupDocument, *, sensitive: bool = False) -> dict[str, Any]:
    """Everything, archived records included (flagged with `archived: true`); sensitive fields only when asked."""
    result: dict[str, Any] = {
        "schema": doc.schema,
        "group_id": doc.group_id,
        "sensitive": sensitive,
        "group": record_to_json(doc.profile, sensitive=sensitive),
    }
    for collection in doc.collections():
        records = collection.all(include_archived=True)
        result[collection.name] = [
            record_to_json(r, sensitive=sensitive)
            for r in sorted(records, key=lambda r: (r.created_at or datetime.min, r.id))
        ]
    return result


def dumps(doc: GroupDocument, *, sensitive: bool = False) -> str:
    return json.dumps(group_to_json(doc, sensitive=sensitive), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
