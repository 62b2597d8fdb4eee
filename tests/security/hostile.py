"""Names a hostile (or merely old) device can put in the document, and how to spot them on a terminal.

Input refuses control characters now, so these are written the way another device's copy would
hold them: raw Automerge writes that no validation sees, merged in like any change from a peer.
"""

from __future__ import annotations

from automerge.core import ScalarType

from magnet.document import PROFILE_KEY, GroupDocument

# OSC 52 writes the reader's clipboard, OSC 0 the window title, CSI 2J clears the screen, C1 CSI
# (U+009B) is a one-byte CSI to some terminals, U+202E reverses what follows, [bold] is markup.
EVIL_NAME = "Eve \x1b]52;c;SGVsbG8=\x07\x1b]0;PWNED\x07\x1b[2J\x9b31m\u202eevil [bold]Mallory[/bold]"
EVIL_DEVICE = "lap\x1b]0;OWNED-TITLE\x07top\u2066"
EVIL_GROUP = "Maple\x1b]0;GROUP-TITLE\x07 MAG"

# What must never reach a terminal from those names (as UTF-8 bytes).
OBEYED = (
    b"\x1b]52;",
    b"\x1b]0;PWNED",
    b"\x1b]0;OWNED",
    b"\x1b]0;GROUP",
    b"\xc2\x9b",  # U+009B
    "\u202e".encode(),
    "\u2066".encode(),
)
# What shows instead: the escape as ␛, visible and harmless.
SHOWN_ESCAPE = "␛".encode()


def obeyed(output: bytes) -> list[bytes]:
    """The hostile sequences found in `output` (empty when the terminal would obey none)."""
    return [sequence for sequence in OBEYED if sequence in output]


def write_raw(doc: GroupDocument, collection: str, record_id: str, **fields: str) -> None:
    """Put `fields` into a record as a peer's copy could hold them: no parsing, no refusal."""
    with doc.change(collection, record_id) as tx:
        if collection == PROFILE_KEY:
            obj = doc.collection_obj(PROFILE_KEY)
        else:
            found = tx.get(doc.collection_obj(collection), record_id)
            assert found is not None
            obj = found[1]
        for key, value in fields.items():
            tx.put(obj, key, ScalarType.Str, value)


def poison(doc: GroupDocument) -> str:
    """A member, a device and the group's own name, all hostile; returns the member's id."""
    member = doc.members.add(name="placeholder", zone="B", level="core_team")
    write_raw(doc, "members", member.id, name=EVIL_NAME, zone="[red]Z[/red]\x1b[5m")
    device = doc.devices.add(name="placeholder device", device_id="ee" * 16, public_key="", member_id=member.id)
    write_raw(doc, "devices", device.id, name=EVIL_DEVICE)
    write_raw(doc, PROFILE_KEY, "", name=EVIL_GROUP)
    return member.id
