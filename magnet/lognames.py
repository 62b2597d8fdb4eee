"""The log of a group encrypted at rest names devices and members by id, never by name.

A log is a file at rest too (journald keeps `magnet serve`'s for weeks), and a passphrase that
guards the roster is no use if the log beside it says who connected when. Log calls all over the
sync engine quote a device's name ("connected to ... (Eve's laptop)", "Eve joined with device
..."); rather than trust each one, `NamesById` is a logging filter on the handler that swaps every
name the document knows for the id it stands for, in the data of every record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from magnet.device import readable_id

if TYPE_CHECKING:
    from magnet.document import GroupDocument


def stand_ins(doc: GroupDocument) -> dict[str, str]:
    """Each name in the document (group, members, devices) -> what a log says instead."""
    names = {doc.profile.name: f"group {doc.group_id[:8]}"}
    names |= {m.name: f"member {m.id[:8]}" for m in doc.members.all(include_archived=True)}
    names |= {d.name: f"device {readable_id(d.device_id)}" for d in doc.devices.all(include_archived=True)}
    return {name: stand for name, stand in names.items() if name.strip()}


class NamesById(logging.Filter):
    """Swap known names for ids in a log record's arguments (and its exception text).

    The names are read again whenever `version()` changes (the document's heads), so a member
    who has just joined is known by the line that says so.
    """

    def __init__(self, names: Callable[[], Mapping[str, str]], version: Callable[[], object]) -> None:
        super().__init__()
        self._names = names
        self._version = version
        self._seen: object = None
        self._table: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None

    @classmethod
    def of(cls, doc: GroupDocument) -> NamesById:
        return cls(lambda: doc.atomic(lambda: stand_ins(doc)), lambda: tuple(doc.heads()))

    def filter(self, record: logging.LogRecord) -> bool:
        pattern = self._current()
        if pattern is None:
            return True
        if isinstance(record.args, Mapping):
            record.args = {key: self._swap(pattern, value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(self._swap(pattern, value) for value in record.args)
        else:
            record.msg = self._swap(pattern, record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = str(self._swap(pattern, record.exc_text))
        return True

    def _swap(self, pattern: re.Pattern[str], value: object) -> object:
        if isinstance(value, int | float) or value is None:
            return value
        text = str(value)
        return pattern.sub(lambda found: self._table.get(found.group().casefold(), "(a name)"), text)

    def _current(self) -> re.Pattern[str] | None:
        try:
            version = self._version()
            if version == self._seen:
                return self._pattern
            names = self._names()
        except Exception:  # the document could not be read just now: keep the names we had
            return self._pattern
        self._seen = version
        table = {name.casefold(): stand for name, stand in names.items()}
        if table != self._table:
            self._table = table
            # Longest first, whole words only: "Eve's laptop" before "Eve", and not "Eve" in "Evelyn".
            # The names as spelled and as case-folded: `re` does not match "ß" to "ss" or "İ" to
            # "i̇", so a pattern of folded names alone missed "Jürgen Weiß".
            words = sorted({*table, *names}, key=len, reverse=True)
            alternatives = "|".join(re.escape(word) for word in words)
            self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if words else None
        return self._pattern
