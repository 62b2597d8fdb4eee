"""What a kind of record is, declared once beside its fields: collection, names, spreadsheet layout.

Each record class says `KIND = Kind(...)`; the document's collections, the words the CLI accepts,
the spreadsheet tables, export sections and schema steps are all derived from these declarations
(see magnet/records/__init__.py), never repeated by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from magnet.naming import said


@dataclass(frozen=True)
class Sheet:
    """How one kind is written to and read from a spreadsheet."""

    columns: tuple[str, ...]  # the fields a CSV export holds, in the order a person scans them
    notes: str = "notes"  # where columns nobody recognised are kept, as "Header: value" lines
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # header words beyond the fields' own
    joined: Mapping[str, str] = field(default_factory=dict)  # fields several columns feed, and the glue between
    refs: Mapping[str, str] = field(default_factory=dict)  # references written as a name -> what a person calls one
    order: str = ""  # the field rows are sorted by (default: the title)
    rank: int = 0  # which kind wins when a sheet's headers fit several equally well (lowest first)
    # Header words in other languages: language code -> field (or part, see `parts`) -> words.
    words: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    # A field people write over several columns, its parts in order ("name": ("name.given", "name.family")).
    # Each part's header words are declared like a field's, under the part's name, in `aliases` and `words`.
    parts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Mapping fields that take one column per entry ("Mobile", "Home phone"), each labelled by the rest of
    # its header: the label an entry without one gets, then the words that only name the field.
    labelled: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # A word anywhere in a header sends the column to this field ("Emergency phone" is no shared phone).
    claims: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # A field that takes one column; further columns for it become entries of this labelled field.
    spill: Mapping[str, str] = field(default_factory=dict)
    # Headers that mean nothing to a group (Gender, Anniversary): dropped, and named once in the summary.
    ignored: tuple[str, ...] = ()
    # Fields that make two rows of one name the same person or thing: duplicates, unless asked for.
    same: tuple[str, ...] = ()
    # A record holding nothing but these fields was made from a name another sheet gave (a household a
    # roster named): a row of the same name fills it instead of adding a second one.
    bare: tuple[str, ...] = ()

    def vocabulary(self, name: str) -> tuple[str, ...]:
        """Header words for a field or part declared here, every language included."""
        found = list(self.aliases.get(name, ()))
        for table in self.words.values():
            found.extend(table.get(name, ()))
        return tuple(found)


@dataclass(frozen=True)
class Kind:
    """One kind of record: the collection it lives in and what people call it."""

    collection: str  # the document's root key; never renamed once released
    noun: str  # "member", "item"
    plural: str = ""  # "members"; noun + "s" when empty
    words: tuple[str, ...] = ()  # other words people type for it ("calltree", "offers")
    title: str = "name"  # the field a list shows for one record
    section: str = ""  # the heading people read for the collection (magnet info); the plural, capitalised, when empty
    since: int = 1  # the schema step that created the collection
    sheet: Sheet | None = None  # None: not kept in spreadsheets

    @property
    def plural_noun(self) -> str:
        return self.plural or self.noun + "s"

    @property
    def heading(self) -> str:
        return self.section or self.plural_noun[:1].upper() + self.plural_noun[1:]

    def said(self) -> set[str]:
        """Every way a person may name this kind, normalised."""
        return {said(word) for word in (self.noun, self.plural_noun, self.collection, *self.words)}
