"""The embedding API the app uses: a node on its own thread, driven and watched from another."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from syncnodes import found_group, member_of

from magnet.errors import MagnetError
from sync.runner import NodeConfig, NodeEvent, NodeHandle


def wait_for(condition: object, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def loopback(**changes: object) -> NodeConfig:
    config = NodeConfig(port=0, interfaces=["127.0.0.1"], discovery=False, poll_interval=0.05)
    for key, value in changes.items():
        setattr(config, key, value)
    return config


def test_two_handles_sync_and_report_from_their_own_threads(tmp_path: Path) -> None:
    ann = found_group(tmp_path)
    bob = member_of(tmp_path, ann, "Bob")
    events: list[tuple[NodeEvent, int]] = []
    a = NodeHandle(ann, loopback(), lambda e: events.append((e, threading.get_ident())))
    b = NodeHandle(bob, loopback())
    try:
        a.start()
        b.start()
        assert a.port > 0 and b.port > 0
        b.add_peer(f"127.0.0.1:{a.port}")
        member = ann.doc.members.add(name="Made on the UI thread")
        wait_for(lambda: bob.doc.members.find(member.id) is not None)
        wait_for(lambda: [p.state for p in a.peers()] == ["synced"])
        [peer] = a.peers()
        assert peer.device_id == bob.home.device.device_id and peer.name == "Bob's device"
        kinds = [e.kind for e, _ in events]
        assert kinds[0] == "listening" and "connected" in kinds and "synced" in kinds
        assert all(thread != threading.get_ident() for _, thread in events)
    finally:
        b.stop()
        a.stop()
        ann.close()
        bob.close()
    assert not any(t.name == "magnet-sync" and t.is_alive() for t in threading.enumerate())


def test_a_second_handle_on_one_data_dir_says_why_it_cannot_start(tmp_path: Path) -> None:
    ann = found_group(tmp_path)
    first = NodeHandle(ann, loopback())
    first.start()
    try:
        with pytest.raises(MagnetError, match="already runs"):
            NodeHandle(ann, loopback()).start()
    finally:
        first.stop()
        ann.close()
