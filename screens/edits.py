"""Read-modify-write edits to one key of a set or mapping field, atomic against merges.

`Collection.update` writes the difference between the stored value and the one given; reading
the stored value and updating under the document's lock means a peer's RSVP merged in between
is never taken for one this device removed. Run these on the writer thread.
"""

from __future__ import annotations

from typing import Any

from magnet.document import GroupDocument
from magnet.record import Record


def put_key(
    doc: GroupDocument, record_type: type[Record], record_id: str, *, field: str, key: str, value: str | None
) -> Any:
    """Set (or, with None, remove) one key of a mapping field such as an event's RSVPs."""

    def edit() -> Any:
        collection = doc.collection(record_type)
        current = dict(getattr(collection.get(record_id), field))
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
        return collection.update(record_id, **{field: current})

    return doc.atomic(edit)


def toggle_tag(doc: GroupDocument, record_type: type[Record], record_id: str, *, field: str, tag: str, on: bool) -> Any:
    """Add or remove one member of a set field such as an event's attendance."""

    def edit() -> Any:
        collection = doc.collection(record_type)
        current = frozenset(getattr(collection.get(record_id), field))
        wanted = current | {tag} if on else current - {tag}
        return collection.update(record_id, **{field: wanted})

    return doc.atomic(edit)
