"""What the always-visible peers indicator says for each state of the node."""

from __future__ import annotations

from datetime import datetime, timedelta

from screens.sync_link import PeerView, SyncStatus
from screens.widgets.topbar import describe_sync

NOW = datetime(2026, 11, 26, 12, 0)


def test_connected_peers_say_whether_they_are_in_sync_now_not_when_they_last_were() -> None:
    idle = SyncStatus(running=True, last_sync=NOW - timedelta(minutes=20))
    idle.peers = [PeerView("10.0.0.2:7787", state="synced"), PeerView("10.0.0.3:7787", state="waiting")]
    assert describe_sync(idle, NOW) == ("● 1 peer · in sync", "online")
    idle.peers.append(PeerView("10.0.0.4:7787", state="syncing"))
    assert describe_sync(idle, NOW) == ("● 2 peers · syncing…", "online")


def test_alone_it_says_when_the_group_last_synced_and_when_sync_is_off() -> None:
    alone = SyncStatus(running=True, last_sync=NOW - timedelta(minutes=20))
    text, state = describe_sync(alone, NOW)
    assert state == "idle" and text.startswith("◌ 0 peers · last sync") and "20 min" in text
    assert describe_sync(SyncStatus(running=False), NOW) == ("○ offline · sync not running", "offline")
