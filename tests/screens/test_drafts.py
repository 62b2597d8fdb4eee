"""Drafts: kept owner-only beside the group's store, never in the clear beside an encrypted one."""

from __future__ import annotations

import stat
from datetime import datetime
from pathlib import Path

from screens.drafts import DRAFTS_FILE, Drafts, drafts_for

AT = datetime(2026, 6, 1, 9, 30)


def test_a_draft_is_written_owner_only_read_back_and_gone_when_dropped(tmp_path: Path) -> None:
    drafts = drafts_for(tmp_path, encrypted=False)
    drafts.put("members:new:New member", "New member", {"name": "Eve Fox", "consent_share": True}, AT)
    path = tmp_path / DRAFTS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Drafts(tmp_path).get("members:new:New member")  # as a restarted app reads it
    assert again is not None and again.values == {"name": "Eve Fox", "consent_share": True} and again.at == AT
    drafts.drop("members:new:New member")
    assert not path.exists()


def test_an_encrypted_group_keeps_drafts_in_memory_only(tmp_path: Path) -> None:
    drafts = drafts_for(tmp_path, encrypted=True)
    drafts.put("members:new:New member", "New member", {"medical_notes": "insulin"}, AT)
    assert drafts.get("members:new:New member") is not None
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_drafts_file_is_ignored_not_fatal(tmp_path: Path) -> None:
    (tmp_path / DRAFTS_FILE).write_text('{"members:new:x": {"title": 3}, "y": "nonsense"')
    assert Drafts(tmp_path).all() == {}
    (tmp_path / DRAFTS_FILE).write_text(
        '{"ok": {"title": "New item", "values": {"name": "Tarp", "n": 3}, "at": "2026-06-01T09:30:00"}}'
    )
    assert Drafts(tmp_path).get("ok").values == {"name": "Tarp"}  # type: ignore[union-attr]
