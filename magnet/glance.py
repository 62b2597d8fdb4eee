"""`magnet list KIND` straight from the read model, before the rest of magnet is imported.

Listing a small group is mostly Python start-up: building the parser, the record classes and the
document layer cost twice what reading the records does. When the command line is a plain
`list` and the group's read model matches its store exactly, this answers with the read model,
the `Listing` it keeps for each kind and `magnet.formats.listing.render` (the function a group
opened in full uses too). Anything else — another command, an option spelled differently, an
encrypted or damaged group, a stale or missing read model, a newer schema — returns None, and the
full CLI answers as it always does (with its own error messages).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from magnet.datadir import DAMAGE_NOTE, default_home, find_group
from magnet.errors import MagnetError
from magnet.formats.listing import FORMATS, Listing, referenced, render, titles
from magnet.naming import said
from magnet.readmodel import ReadModelDamaged, StoreState, load
from magnet.safetext import shown
from magnet.schema import SCHEMA_VERSION

_FLAGS = {"--archived": "archived", "--sensitive": "sensitive"}


class Asked:
    """A `magnet [--home H] [--group G] list KIND [--format F] [--archived] [--sensitive]` line."""

    def __init__(self) -> None:
        self.home: str | None = None
        self.group: str | None = None
        self.kind = ""
        self.fmt = "table"
        self.archived = False
        self.sensitive = False


def parse(argv: Sequence[str]) -> Asked | None:
    """The list command `argv` asks for, or None for anything this module leaves to the full CLI."""
    asked = Asked()
    words = list(argv)
    while words and words[0] != "list":
        option, value, words = _option(words)
        if value is None:
            return None
        if option == "--home":
            asked.home = value
        elif option in ("--group", "-g"):
            asked.group = value
        else:
            return None
    if not words:
        return None
    words = words[1:]
    positional: list[str] = []
    while words:
        if words[0] in _FLAGS:
            setattr(asked, _FLAGS[words.pop(0)], True)
        elif words[0].startswith("-"):
            option, value, words = _option(words)
            if option not in ("--format", "-f") or value not in FORMATS:
                return None
            asked.fmt = value
        else:
            positional.append(words.pop(0))
    if len(positional) != 1 or asked.fmt == "json":
        return None  # JSON carries every field as the export writes it: the record classes do that
    asked.kind = positional[0]
    return asked


def _option(words: list[str]) -> tuple[str, str | None, list[str]]:
    """`--name value` or `--name=value` at the front of `words`: (name, value, the rest)."""
    first = words[0]
    if first.startswith("--") and "=" in first:
        name, _, value = first.partition("=")
        return name, value, words[1:]
    if first in ("--home", "--group", "-g", "--format", "-f") and len(words) > 1:
        return first, words[1], words[2:]
    return first, None, words[1:]


def answer(argv: Sequence[str]) -> int | None:
    """List from the read model and return 0, or None when the full CLI must answer."""
    asked = parse(argv)
    if asked is None or asked.home == "" or asked.group == "":
        return None
    try:
        text = _listed(asked)
    except (MagnetError, OSError, ValueError, TypeError, KeyError, ReadModelDamaged):
        return None  # the full CLI says what is wrong, or reads the document instead
    if text is None:
        return None
    sys.stdout.write(shown(text, multiline=True))
    return 0


def _listed(asked: Asked) -> str | None:
    root = Path(asked.home).expanduser() if asked.home else default_home()
    info = find_group(root / "groups", asked.group)
    if info.encrypted or (info.path / DAMAGE_NOTE).exists():
        return None
    model = load(info.path, StoreState.of(info.store_path))
    if model is None or model.sealed or model.group_id != info.group_id or model.schema > SCHEMA_VERSION:
        return None
    listings = {listing.collection: listing for listing in map(Listing.from_plain, model.listings)}
    word = said(asked.kind)
    listing = next((item for item in listings.values() if word in item.words), None)
    if listing is None:
        return None
    refs = {
        target: titles(listings[target], model.raw(target))
        for target in referenced(listing, asked.sensitive, asked.fmt)
    }
    return render(
        listing,
        model.raw(listing.collection),
        refs,
        fmt=asked.fmt,
        sensitive=asked.sensitive,
        archived=asked.archived,
    )
