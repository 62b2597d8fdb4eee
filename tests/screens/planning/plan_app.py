"""Driving the real app at 80x24 for the planning screens: start it, wait for it, read it, open a plan page."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual.pilot import Pilot

from magnet.home import Home
from magnet.sample import create_demo_group
from screens.app import MagnetApp
from screens.planning.hub import PlanScreen
from screens.session import Session

SIZE = (80, 24)


def with_sample(home: Home) -> Home:
    """The demo-sized sample neighborhood in the test's own data dir."""
    create_demo_group(home).close()
    return home


def make_app(home: Home, *, now: datetime | None = None) -> MagnetApp:
    """The real app without the sync node (not under test here); `now` pins the clock."""
    if now is None:
        return MagnetApp(home, None, node_factory=None)
    return MagnetApp(home, None, node_factory=None, clock=lambda: now)


def session(app: MagnetApp) -> Session:
    assert app.session is not None
    return app.session


def screen_text(app: Any) -> str:
    """What the terminal shows now, as plain text lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def settle(pilot: Pilot[Any]) -> None:
    """Let writes land, workers read, and the screen repaint."""
    app = pilot.app
    assert isinstance(app, MagnetApp)
    if app.session is not None:
        await asyncio.to_thread(app.session.settle)
    for _ in range(100):
        if not [w for w in app.workers if w.is_running and getattr(w, "_thread_worker", False)]:
            break
        await asyncio.sleep(0.01)
    await pilot.pause()


async def until(pilot: Pilot[Any], check: Callable[[], object], wait: float = 10.0) -> None:
    """Wait until `check()` holds; fail showing the screen when it never does."""
    deadline = asyncio.get_running_loop().time() + wait
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting; the screen shows:\n{screen_text(pilot.app)}")
        await settle(pilot)


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*[("space" if c == " " else c) for c in text])


async def started(pilot: Pilot[Any]) -> MagnetApp:
    """Wait for the first usable screen, so the test's own edits do not race the app's start."""
    app = pilot.app
    assert isinstance(app, MagnetApp)
    await until(pilot, lambda: app.ready_at is not None)
    return app


async def open_plan(pilot: Pilot[Any], key: str | None = None) -> Any:
    """From the dashboard: 8 for the plan, then a page's letter; returns the loaded screen."""
    app = pilot.app
    assert isinstance(app, MagnetApp)
    await until(pilot, lambda: app.ready_at is not None)
    await pilot.press("8")
    await until(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.loaded_once)
    if key is None:
        return app.screen
    await pilot.press(key)
    await until(pilot, lambda: not isinstance(app.screen, PlanScreen) and getattr(app.screen, "loaded_once", False))
    return app.screen
