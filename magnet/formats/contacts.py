"""Contacts as phones and mail programs export them: Google and Outlook CSV, and vCard 2.1/3.0/4.0.

These files hold a person's phones, e-mails and addresses in structures a roster does not have:
Google pairs "Phone 1 - Label" ("Mobile") with "Phone 1 - Value", Outlook spreads an address over
"Home Street", "Home City"..., a vCard says TEL;TYPE=CELL. Each is turned here into the columns a
magnet roster has (Phones as "mobile: 555-0101; home: 555-0199", Email, Other emails, Address,
Organisation, Notes), and the result is imported like any roster: the members' words decide the
rest, and what means nothing to a group (Birthday, Gender, Photo...) is dropped and named once.
vCards are read with vobject, a maintained parser, rather than by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from magnet.errors import MagnetError
from magnet.formats.columns import norm
from magnet.formats.spreadsheet import Sheet, SheetRow, decode_text

GOOGLE = "Google Contacts"
OUTLOOK = "Outlook contacts"
VCARD = "vCard"
_GROUPED = re.compile(r"(.+?) (\d+) - (.+)")
_ADDRESS_PARTS = ("street", "extended address", "po box", "city", "region", "postal code", "country")
_OUTLOOK_PLACES = {"home": "home", "business": "work", "other": "other"}
_OUTLOOK_ADDRESS = re.compile(
    r"(home|business|other) (street(?: \d)?|city|state|postal code|country(?: region)?|address po box|address)"
)
_OUTLOOK_MARKS = {"email address", "email display name", "business phone", "mobile phone", "home street", "job title"}
_OUTLOOK_TELECOM = {"pager", "callback", "isdn", "telex", "fax"}
_OUTLOOK_DROPPED = {"title", "suffix", "email type", "email display name"}
CANONICAL = ("Phones", "Email", "Other emails", "Address", "Organisation")


@dataclass
class Adapted:
    """A contacts file as roster columns, and what was dropped on the way."""

    sheet: Sheet
    layout: str
    dropped: list[str] = field(default_factory=list)


def label_word(text: str, default: str) -> str:
    """'* Mobile' -> 'mobile', '_$!<Home>!$_' -> 'home', '' -> default."""
    cleaned = re.sub(r"[*_$!<>]", " ", text).strip().lower()
    return " ".join(cleaned.split()) or default


def entries_text(entries: Sequence[tuple[str, str]]) -> str:
    """[('mobile', '555')] -> 'mobile: 555', as magnet's own Phones column writes them."""
    return "; ".join(f"{label}: {value}" for label, value in entries if value)


def addresses_text(addresses: Sequence[tuple[str, str]]) -> str:
    """One address as it is; several, each followed by its label: '12 Maple St (home); 1 Main St (work)'."""
    kept = [(label, text) for label, text in addresses if text]
    if len(kept) == 1:
        return kept[0][1]
    return "; ".join(f"{text} ({label})" if label else text for label, text in kept)


def _one_line(text: str) -> str:
    return ", ".join(part.strip(" ,") for part in re.split(r"[\r\n]+", text) if part.strip(" ,"))


def _split_values(text: str) -> list[str]:
    """Google keeps several values of one label in one cell: 'a ::: b'."""
    return [part.strip() for part in text.split(":::") if part.strip()]


def detect(headers: Sequence[str]) -> str | None:
    """Which contacts layout a CSV's headers are, if any."""
    keys = {norm(h) for h in headers}
    grouped = {m[1].lower() for h in headers if (m := _GROUPED.fullmatch(h.strip()))}
    if {"email", "phone"} & {norm(g) for g in grouped} and keys & {"first name", "given name", "name", "last name"}:
        return GOOGLE
    if len(keys & _OUTLOOK_MARKS) >= 3:
        return OUTLOOK
    return None


def adapt(sheet: Sheet) -> Adapted | None:
    """A Google or Outlook contacts CSV as roster columns; None for any other sheet."""
    layout = detect(sheet.headers)
    if layout == GOOGLE:
        return _google(sheet)
    if layout == OUTLOOK:
        return _outlook(sheet)
    return None


def _cell(row: SheetRow, index: int) -> str:
    return row.cells[index].strip() if index < len(row.cells) else ""


def _notes_with(keep_headers: list[str], cells: list[str], lines: list[str]) -> None:
    """Add 'Label: value' lines (Google's custom fields) to the row's Notes cell."""
    if not lines:
        return
    at = next((i for i, h in enumerate(keep_headers) if norm(h) == "notes"), None)
    if at is not None:
        cells[at] = "\n".join([cells[at], *lines] if cells[at] else lines)


def _google(sheet: Sheet) -> Adapted:
    groups: dict[tuple[str, str], dict[str, int]] = {}
    keep: list[int] = []
    for index, header in enumerate(sheet.headers):
        m = _GROUPED.fullmatch(header.strip())
        if m:
            groups.setdefault((norm(m[1]), m[2]), {})[norm(m[3])] = index
        else:
            keep.append(index)
    used = {
        i
        for (what, _), parts in groups.items()
        if what in ("email", "phone", "address", "organization", "custom field")
        for i in parts.values()
    }
    dropped = [i for parts in groups.values() for i in parts.values() if i not in used]
    made: list[list[str]] = []
    keep_headers = [sheet.headers[i] for i in keep]
    for row in sheet.rows:
        phones: list[tuple[str, str]] = []
        emails: list[tuple[str, str]] = []
        addresses: list[tuple[str, str]] = []
        organisation: list[str] = []
        custom: list[str] = []
        for (what, _n), parts in sorted(groups.items(), key=lambda g: (g[0][0], int(g[0][1]))):
            label = _cell(row, parts.get("label", parts.get("type", -1)))
            value = _cell(row, parts.get("value", -1))
            if what == "phone":
                phones += [(label_word(label, "phone"), v) for v in _split_values(value)]
            elif what == "email":
                emails += [(label_word(label, "email"), v) for v in _split_values(value)]
            elif what == "address":
                text = _one_line(_cell(row, parts["formatted"])) if "formatted" in parts else ""
                if not text:
                    text = ", ".join(
                        _cell(row, parts[p]) for p in _ADDRESS_PARTS if p in parts and _cell(row, parts[p])
                    )
                addresses.append((label_word(label, ""), text))
            elif what == "organization":
                organisation += [_cell(row, parts[p]) for p in ("name", "department", "title") if p in parts]
            elif what == "custom field" and value:
                custom.append(f"{label or 'Custom field'}: {value}")
        cells = [_cell(row, i) for i in keep]
        _notes_with(keep_headers, cells, custom)
        made.append(cells + _canonical(phones, emails, addresses, organisation))
    return _rebuild(sheet, GOOGLE, keep, made, dropped)


def _canonical(
    phones: list[tuple[str, str]],
    emails: list[tuple[str, str]],
    addresses: list[tuple[str, str]],
    organisation: list[str],
) -> list[str]:
    first = emails[0][1] if emails else ""
    return [
        entries_text(phones),
        first,
        entries_text(emails[1:]),
        addresses_text(addresses),
        ", ".join(part for part in organisation if part),
    ]


def _rebuild(sheet: Sheet, layout: str, keep: list[int], made: list[list[str]], dropped: list[int]) -> Adapted:
    headers = tuple([sheet.headers[i] for i in keep] + list(CANONICAL))
    rows = tuple(SheetRow(row.line, tuple(cells)) for row, cells in zip(sheet.rows, made, strict=True))
    shown = [sheet.headers[i] for i in dropped if any(_cell(r, i) for r in sheet.rows)]
    return Adapted(Sheet(headers, rows, sheet.encoding, sheet.delimiter), layout, shown)


def _outlook(sheet: Sheet) -> Adapted:
    keep: list[int] = []
    dropped: list[int] = []
    address_parts: dict[str, list[int]] = {}
    phone_columns: list[tuple[int, str]] = []
    email_columns: list[int] = []
    for index, header in enumerate(sheet.headers):
        key = norm(header)
        words = key.split()
        place = _OUTLOOK_ADDRESS.fullmatch(key)
        if place:
            address_parts.setdefault(_OUTLOOK_PLACES[place[1]], []).append(index)
        elif "phone" in words:
            label = " ".join(w for w in words if w != "phone") or "phone"
            phone_columns.append(
                (index, {"business": "work", "business 2": "work 2", "primary": "main"}.get(label, label))
            )
        elif key in ("email address", "email 2 address", "email 3 address"):
            email_columns.append(index)
        elif (
            key in _OUTLOOK_DROPPED
            or re.fullmatch(r"email \d (type|display name)", key)
            or set(words) & _OUTLOOK_TELECOM
        ):
            dropped.append(index)
        else:
            keep.append(index)
    made: list[list[str]] = []
    for row in sheet.rows:
        phones = [(label, _cell(row, i)) for i, label in phone_columns if _cell(row, i)]
        emails = [
            (f"email {n + 1}" if n else "email", _cell(row, i)) for n, i in enumerate(email_columns) if _cell(row, i)
        ]
        addresses = [
            (place, ", ".join(_one_line(_cell(row, i)) for i in indexes if _cell(row, i)))
            for place, indexes in address_parts.items()
        ]
        cells = [_cell(row, i) for i in keep]
        made.append(cells + _canonical(phones, emails, addresses, []))
    return _rebuild(sheet, OUTLOOK, keep, made, dropped)


# ---- vCard -------------------------------------------------------------------------------------

VCARD_HEADERS = ("Name", "First name", "Middle name", "Last name", "Nickname", "Notes", "ID", *CANONICAL)
_VCARD_USED = {
    "VERSION",
    "FN",
    "N",
    "NICKNAME",
    "TEL",
    "EMAIL",
    "ADR",
    "ORG",
    "TITLE",
    "ROLE",
    "NOTE",
    "UID",
    "X-ABLABEL",
}
_PLACES = ("home", "work", "other", "main")


def is_vcard(data: bytes) -> bool:
    """Starts (after a BOM and blank lines) with BEGIN:VCARD, whatever the file is called."""
    head = data[:400].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n").replace(b"\x00", b"")
    return head[:11].upper() == b"BEGIN:VCARD"


def _types(prop: object) -> list[str]:
    params = getattr(prop, "params", {})
    found = [str(t) for t in getattr(prop, "singletonparams", [])]
    for value in params.get("TYPE", []):
        found += str(value).split(",")
    return [t.strip().strip('"').lower() for t in found if t.strip()]


def _tel_label(types: list[str], named: str) -> str:
    if named:
        return label_word(named, "phone")
    place = next((t for t in types if t in _PLACES), "")
    device = (
        "mobile" if {"cell", "mobile", "iphone"} & set(types) else next((t for t in types if t in ("fax", "pager")), "")
    )
    if device in ("fax", "pager") and place:
        return f"{place} {device}"
    return device or place or "phone"


def _cards(text: str) -> list[tuple[int, str]]:
    """Each card's text and the line it starts on (as an editor counts lines)."""
    cards: list[tuple[int, str]] = []
    depth, start, lines = 0, 0, text.splitlines()
    for number, line in enumerate(lines, 1):
        word = line.strip().upper()
        if word == "BEGIN:VCARD":
            if depth == 0:
                start = number
            depth += 1
        elif word == "END:VCARD" and depth:
            depth -= 1
            if depth == 0:
                cards.append((start, "\r\n".join(lines[start - 1 : number]) + "\r\n"))
    if depth:
        cards.append((start, "\r\n".join(lines[start - 1 :]) + "\r\n"))
    return cards


def read_vcards(data: bytes, source: str, group_id: str) -> tuple[Adapted, list[str]]:
    """A vCard file as a roster sheet; cards that cannot be read are returned as problems by line."""
    import vobject  # a maintained parser: folding, quoted-printable, 2.1 bare types, 4.0 tel: URIs

    text, encoding = decode_text(data, source)
    rows: list[SheetRow] = []
    problems: list[str] = []
    dropped: set[str] = set()
    for line, card_text in _cards(text):
        try:
            card = vobject.readOne(card_text, ignoreUnreadable=False)
        except Exception as exc:  # vobject raises its ParseError and plain errors alike
            reason = str(exc).split("\n")[0][:120] or type(exc).__name__
            problems.append(f"line {line}: this card cannot be read ({reason})")
            continue
        rows.append(SheetRow(line, _card_cells(card, group_id, dropped)))
    if not rows and not problems:
        raise MagnetError(f"{source} holds no contact cards (BEGIN:VCARD ... END:VCARD)")
    sheet = Sheet(VCARD_HEADERS, tuple(rows), encoding, "")
    return Adapted(sheet, VCARD, sorted(dropped)), problems


def _card_cells(card: object, group_id: str, dropped: set[str]) -> tuple[str, ...]:
    labels: dict[str, str] = {}
    props = list(card.getChildren())  # type: ignore[attr-defined]
    for prop in props:
        if prop.name == "X-ABLABEL" and prop.group:
            labels[prop.group] = str(prop.value)
    name = given = middle = family = nickname = notes = record_id = ""
    phones: list[tuple[str, str]] = []
    emails: list[tuple[str, str]] = []
    addresses: list[tuple[str, str]] = []
    organisation: list[str] = []
    for prop in props:
        key = prop.name.upper()
        if key not in _VCARD_USED:
            if key != "PRODID" and str(prop.value).strip():
                dropped.add(key)
            continue
        value = prop.value
        if key == "FN":
            name = str(value).strip()
        elif key == "N":
            given, middle, family = (_flat(getattr(value, part, "")) for part in ("given", "additional", "family"))
        elif key == "NICKNAME":
            nickname = _flat(value)
        elif key == "TEL":
            number = str(value).strip().removeprefix("tel:")
            if number:
                phones.append((_tel_label(_types(prop), labels.get(prop.group or "", "")), number))
        elif key == "EMAIL":
            types = _types(prop)
            label = labels.get(prop.group or "", "") or next((t for t in types if t in _PLACES), "email")
            entry = (label_word(label, "email"), str(value).strip())
            emails.insert(0, entry) if "pref" in types else emails.append(entry)
        elif key == "ADR":
            parts = [getattr(value, p, "") for p in ("box", "extended", "street", "city", "region", "code", "country")]
            text = ", ".join(_one_line(_flat(p)) for p in parts if _flat(p).strip())
            addresses.append((next((t for t in _types(prop) if t in _PLACES), ""), text))
        elif key in ("ORG", "TITLE", "ROLE"):
            organisation.append(", ".join(_flat(v) for v in value) if isinstance(value, list) else _flat(value))
        elif key == "NOTE":
            notes = "\n".join(filter(None, [notes, str(value).strip()]))
        elif key == "UID":
            m = re.fullmatch(r"urn:magnet:([0-9a-f]+):([0-9a-f]{16})", str(value).strip())
            if m and m[1] == group_id:
                record_id = m[2]  # a card magnet exported from this group: the member it came from
    if record_id:
        # magnet's own export of this group: its ORG is the group and its NOTE was written from the
        # member's fields, so neither is news about the member.
        organisation, notes = [], ""
    return (
        name,
        given,
        middle,
        family,
        nickname,
        notes,
        record_id,
        *_canonical(phones, emails, addresses, organisation),
    )


def _flat(value: object) -> str:
    if isinstance(value, list):
        return " ".join(str(v).strip() for v in value if str(v).strip())
    return str(value or "").strip()
