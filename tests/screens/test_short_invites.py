"""Short typed invite codes from the Peers screen: shown with their expiry, kept in the invite book."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tui_drive import SIZE, make_app, ready, screen_text, session, settle, until, with_sample

from magnet.home import Home
from screens.app import MagnetApp
from screens.invite_modal import InviteModal, short_code_text
from screens.invites import ShortInviteView, join_with_code
from screens.peers import PeersScreen
from sync.invitebook import DEFAULT_SHORT_TTL, InviteBook

SHORT = re.compile(r"\b(\d\d)-([0-9A-Z]{4})-([0-9A-Z]{4})\b")


def short_on_screen(text: str) -> str:
    found = SHORT.search(text)
    assert found, f"no short code on screen:\n{text}"
    return found.group(0)


async def test_s_on_peers_makes_a_short_code_shown_with_its_expiry(home: Home) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("6")
        await until(pilot, lambda: isinstance(app.screen, PeersScreen))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, InviteModal) and "Short code" in screen_text(app))
        text = screen_text(app)
        code = short_on_screen(text)
        book = InviteBook(session(app).group.path)
        shorts = [i for i in book.invites() if i.kind == "short"]
        assert len(shorts) == 1 and str(shorts[0].short_code()) == code, (
            "the code on screen is the one the node honours"
        )
        invite = shorts[0]
        assert invite.expires_at - invite.created_at == DEFAULT_SHORT_TTL
        assert invite.issued_by == session(app).device_id
        assert f"valid until {_hhmm(invite.expires_at)}" in text
        assert re.search(r"\((14:5\d|15:00) left\)", text)
        assert "not running" in text, "sync is off here, and the code needs it"
        assert "MAGNET:" not in text, "only the short code was asked for"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PeersScreen)


async def test_the_long_invite_also_makes_a_short_code_and_a_new_one_retires_the_old(home: Home) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("6", "i")
        await until(pilot, lambda: isinstance(app.screen, InviteModal) and "MAGNET:" in screen_text(app), wait=20)
        assert "s: a short code to type" in screen_text(app)
        assert not SHORT.search(screen_text(app))
        await pilot.press("s")
        await until(pilot, lambda: SHORT.search(screen_text(app)) is not None)
        first = short_on_screen(screen_text(app))
        assert "MAGNET:" in screen_text(app), "the long code and its QR stay"
        await pilot.press("s")
        await until(pilot, lambda: short_on_screen(screen_text(app)) != first)
        second = short_on_screen(screen_text(app))
        book = InviteBook(session(app).group.path)
        now = session(app).clock().timestamp()
        status = {str(i.short_code()): i.status(now) for i in book.invites() if i.kind == "short"}
        assert status == {first: "expired", second: "open"}
        assert {i.kind for i in book.invites()} == {"code", "short"}


async def test_a_device_joins_the_running_app_with_the_short_code_it_shows(home: Home, tmp_path: Path) -> None:
    """End to end on 127.0.0.1: the node advertises the code's nameplate, `magnet join CODE` finds it."""
    runner = pytest.importorskip("sync.runner", reason="the sync node is not in this build")

    def loopback_node(group: Any, on_event: Any) -> Any:
        config = runner.NodeConfig(port=0, interfaces=["127.0.0.1"], poll_interval=0.05)
        return runner.NodeHandle(group, config, on_event=on_event)

    app = MagnetApp(with_sample(home), None, node_factory=loopback_node)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await until(pilot, lambda: app.sync.running and bool(app.sync.port), wait=20)
        await pilot.press("6", "s")
        await until(pilot, lambda: SHORT.search(screen_text(app)) is not None, wait=20)
        code = short_on_screen(screen_text(app))
        assert "not running" not in screen_text(app)
        joiner = Home(tmp_path / "joiner")
        result = await asyncio.to_thread(
            join_with_code, joiner, code, me="Bo Typed", passphrase="correct horse battery", timeout=120
        )
        doc = session(app).doc
        assert result.group_id == doc.group_id and result.message.startswith(f"Joined 'group {doc.group_id[:8]}'")
        [joined] = joiner.groups()
        assert joined.encrypted, "asked to encrypt: the new copy is sealed at rest"
        assert b"Sample Street" not in (joined.path / "store.mgn").read_bytes()
        assert b"Sample Street" not in (joined.path / "group.json").read_bytes(), "nor its name beside it"
        await until(pilot, lambda: any(d.device_id == joiner.device.device_id for d in doc.devices.all()), wait=30)
        book = InviteBook(session(app).group.path)
        assert [i.status(datetime.now().timestamp()) for i in book.invites() if i.kind == "short"] == ["used"]


def test_an_expired_short_code_says_so() -> None:
    short = ShortInviteView("42-K4ZQ-7M2P", expires_at=1_000_000.0)
    assert "(1:05 left)" in short_code_text(short, now=1_000_000.0 - 65)
    late = short_code_text(short, now=1_000_000.0 + 1)
    assert "expired at" in late and "s makes a new one" in late


def _hhmm(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%H:%M")
