"""Who may rotate the group key, and so revoke a device for good: the group's coordinators.

A coordinator's device is an active device of a core-team member, as the group document records
it (the member who creates a group is on the core team). A group that has no core-team member
with a device yet, such as one made by a Raspberry Pi alone, lets its devices that speak for no
member rotate. A rotation counts once its author's device record carries the signing key the
rotation was signed with and the author is a coordinator; until then it waits (the record may
still be on its way), and it is checked again when the document changes.
"""

from __future__ import annotations

from magnet.device import DeviceIdentity
from magnet.document import GroupDocument
from magnet.errors import MagnetError
from magnet.groupkey import Verify
from magnet.home import OpenGroup
from magnet.records import Device, MembershipLevel
from magnet.rotation import Rotation, signing_public_key

CORE_TEAM = MembershipLevel.CORE_TEAM.value


def _record(doc: GroupDocument, device_id: str) -> Device | None:
    found = doc.devices.filter(device_id=device_id, include_archived=True)
    return found[0] if found else None


def _speaks_for_core_team(doc: GroupDocument, device: Device) -> bool:
    member = doc.members.find(device.member_id) if device.member_id else None
    return member is not None and member.level == CORE_TEAM


def coordinator_problem(doc: GroupDocument, device_id: str) -> str | None:
    """None when `device_id` may rotate the group key; otherwise why it may not, for people."""
    device = _record(doc, device_id)
    if device is None:
        return "this device is not in the group's document"
    if device.member_id:
        if _speaks_for_core_team(doc, device):
            return None
        member = doc.members.find(device.member_id)
        who = member.name if member is not None else "its member"
        return f"{who} is not on the core team"
    core = [
        d
        for d in doc.devices.all()
        if not d.revoked and d.member_id and d.device_id != device_id and _speaks_for_core_team(doc, d)
    ]
    if core:
        return "this device speaks for no member, and the group has core-team members"
    return None


def coordinators(doc: GroupDocument) -> list[Device]:
    """The devices that may rotate now, for messages that say whom to ask."""
    return [d for d in doc.devices.all() if not d.revoked and coordinator_problem(doc, d.device_id) is None]


def verifier(doc: GroupDocument) -> Verify:
    """The group's rule for a rotation, read from `doc` each time it is asked."""

    def verify(rotation: Rotation) -> str | None:
        author = _record(doc, rotation.author)
        if author is None or author.signing_key != rotation.author_key.hex():
            return "its author's signing key is not in the group's document (yet)"
        problem = coordinator_problem(doc, rotation.author)
        return None if problem is None else f"its author may not rotate: {problem}"

    return verify


def record_signing_key(group: OpenGroup, identity: DeviceIdentity) -> bool:
    """Put this device's signing key in its own record, so others can check its rotations.

    Devices enrolled by an earlier magnet have none; their own node adds it. True when written.
    """
    key = signing_public_key(identity).hex()
    own = _record(group.doc, identity.device_id)
    if own is None or own.signing_key == key:
        return False
    group.doc.devices.update(own.id, signing_key=key)
    return True


def require_coordinator(group: OpenGroup, identity: DeviceIdentity) -> None:
    """MagnetError, naming whom to ask, unless this device may rotate the group key."""
    problem = coordinator_problem(group.doc, identity.device_id)
    if problem is None:
        return
    names = sorted({d.name for d in coordinators(group.doc)})
    ask = f"ask a coordinator ({', '.join(names[:4])})" if names else "ask a core-team member"
    raise MagnetError(f"only a coordinator's device can revoke devices and rotate the group key: {problem}; {ask}")
