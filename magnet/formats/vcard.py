"""The roster as vCard 3.0, so members' contacts live on their phones, as far as each one agreed.

vCard 3.0 because it is the version every phone and mail program imports. Who is in it: members
not archived and not marked as left. A member who agreed to share contact details gets their
phones, e-mails and radio callsign (and, with --sensitive, their address); a member who did not
gets a card with their name, the group and their zone only, so neighbors know who is in the group
and that the way to reach them is through the group. Emergency contacts and medical notes never go
into contacts.
"""

from __future__ import annotations

from magnet.document import GroupDocument
from magnet.formats.contentlines import escape_text, render
from magnet.records import Member, MemberStatus

# Phone labels people use (in the languages rosters come in) -> the vCard TYPE phones understand.
_TEL_TYPES = {
    "mobile": "CELL",
    "cell": "CELL",
    "handy": "CELL",
    "mobil": "CELL",
    "móvil": "CELL",
    "celular": "CELL",
    "portable": "CELL",
    "telemóvel": "CELL",
    "home": "HOME",
    "privat": "HOME",
    "casa": "HOME",
    "domicile": "HOME",
    "work": "WORK",
    "office": "WORK",
    "arbeit": "WORK",
    "trabajo": "WORK",
    "travail": "WORK",
    "trabalho": "WORK",
    "fax": "FAX",
}
NOT_SHARED = "Has not agreed to share contact details: reach them through the group."


def roster_members(doc: GroupDocument) -> list[Member]:
    """Members a contact list should hold: not archived, not left; by name."""
    members = [m for m in doc.members.all() if m.status != MemberStatus.LEFT.value]
    return sorted(members, key=lambda m: (m.name.lower(), m.id))


def export_vcard(doc: GroupDocument, *, sensitive: bool = False) -> bytes:
    """One vCard per member, consent respected."""
    group_name = doc.profile.name
    lines: list[str] = []
    for member in roster_members(doc):
        lines.extend(member_card(member, group_name=group_name, group_id=doc.group_id, sensitive=sensitive))
    return render(lines)


def _split_name(name: str) -> tuple[str, str]:
    """'Ann Marie Lee' -> ('Lee', 'Ann Marie'): the last word as the family name, as phones sort."""
    words = name.split()
    if len(words) < 2:
        return "", name.strip()
    return words[-1], " ".join(words[:-1])


def _tel_type(label: str) -> str:
    for word in label.lower().split():
        if word in _TEL_TYPES:
            return _TEL_TYPES[word]
    return "VOICE"


def member_card(member: Member, *, group_name: str, group_id: str, sensitive: bool) -> list[str]:
    """The content lines of one member's card."""
    family, given = _split_name(member.name)
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"UID:urn:magnet:{group_id}:{member.id}",
        f"FN:{escape_text(member.name)}",
        f"N:{escape_text(family)};{escape_text(given)};;;",
        f"ORG:{escape_text(group_name)}",
    ]
    categories = [group_name] + ([f"Zone {member.zone}"] if member.zone else [])
    lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in categories))
    notes: list[str] = []
    if member.zone:
        notes.append(f"Zone {member.zone}")
    if member.consent_share:
        for label, number in member.phones.items():
            if number.strip():
                lines.append(f"TEL;TYPE={_tel_type(label)}:{escape_text(number)}")
        if member.email:
            lines.append(f"EMAIL;TYPE=INTERNET{',PREF' if member.other_emails else ''}:{escape_text(member.email)}")
        for label, address in member.other_emails.items():
            kind = _TEL_TYPES.get(label.split()[0].lower(), "") if label.strip() else ""
            kind = kind if kind in ("HOME", "WORK") else ""
            if address.strip():
                lines.append(f"EMAIL;TYPE=INTERNET{',' + kind if kind else ''}:{escape_text(address)}")
        if sensitive and member.address:
            lines.append(f"ADR;TYPE=HOME:;;{escape_text(member.address)};;;;")
        if member.callsign:
            notes.append(f"Radio callsign {member.callsign}")
        if member.roles:
            notes.append("Roles: " + ", ".join(sorted(member.roles)))
    else:
        notes.append(NOT_SHARED)
    lines.append("NOTE:" + escape_text(". ".join(notes)))
    lines.append("END:VCARD")
    return lines
