"""Fresh in-memory group documents for the planning tests, and a second device's copy."""

from __future__ import annotations

import os

from magnet.document import GroupDocument

DEVICE = "7a" * 16
OTHER_DEVICE = "7b" * 16


def new_doc() -> GroupDocument:
    return GroupDocument.create("Maple Street MAG", device_id=DEVICE, group_id=os.urandom(16).hex())


def other_device(doc: GroupDocument) -> GroupDocument:
    """The same group on another laptop: an independent replica with its own actor."""
    return GroupDocument.load(doc.save(), device_id=OTHER_DEVICE)
