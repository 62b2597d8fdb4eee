"""Who belongs to the group, as the node asks it: keys, devices, discovery tags, joins.

The product answers with `sync.secure.GroupSecurity`; `OpenDoor` lets everyone in, for tests
and benchmarks of the engine over a plain link, and is never used by the product.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from magnet.document import GroupDocument
from sync.transport import MessageChannel, TransportError


class Group(Protocol):
    """What the node needs of an open group (magnet.home.OpenGroup)."""

    @property
    def doc(self) -> GroupDocument: ...

    @property
    def path(self) -> Path: ...

    def poll(self) -> int: ...

    def save_read_model(self) -> bool: ...


class Membership(Protocol):
    """Who belongs: keys and devices (sync.secure.GroupSecurity; sync.transport.OpenDoor in tests)."""

    def epoch(self) -> int: ...

    def allows(self, device_id: str) -> bool: ...

    def newer_secret(self, peer_epoch: int) -> tuple[int, bytes] | None: ...

    def adopt(self, epoch: int, secret: bytes) -> bool: ...

    def discovery_tag(self) -> str: ...

    def epoch_for_tag(self, tag: str) -> int | None: ...

    def invite_hints(self) -> list[str]: ...

    def refresh(self) -> bool:
        """Re-read keys and invites another process may have changed; True when they did."""
        ...

    def is_join(self, channel: MessageChannel) -> bool: ...

    async def welcome(self, channel: MessageChannel) -> str: ...

    def device_name(self, device_id: str) -> str: ...


class OpenDoor:
    """Membership for a plain link: everyone is in, there are no keys. Tests and benchmarks only."""

    def epoch(self) -> int:
        return 0

    def allows(self, device_id: str) -> bool:
        return True

    def newer_secret(self, peer_epoch: int) -> tuple[int, bytes] | None:
        return None

    def adopt(self, epoch: int, secret: bytes) -> bool:
        return False

    def discovery_tag(self) -> str:
        return "open"

    def epoch_for_tag(self, tag: str) -> int | None:
        return 0 if tag == "open" else None

    def invite_hints(self) -> list[str]:
        return []

    def refresh(self) -> bool:
        return False

    def is_join(self, channel: MessageChannel) -> bool:
        return False

    async def welcome(self, channel: MessageChannel) -> str:
        raise TransportError("this node takes no joins", channel.peer_address)

    def device_name(self, device_id: str) -> str:
        return ""
