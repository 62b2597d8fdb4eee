"""Helpers for driving the real app at 80x24: waiting for it, reading the screen, typing, a stand-in node."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from textual.pilot import Pilot
from textual.widget import Widget

from magnet.home import Home
from magnet.sample import create_demo_group
from screens.app import MagnetApp
from screens.base import AreaScreen
from screens.session import Session

SIZE = (80, 24)


def with_sample(home: Home) -> Home:
    """Put the demo-sized sample neighborhood in `home` (the data dir every test gets)."""
    create_demo_group(home).close()
    return home


def make_app(home: Home, **kwargs: Any) -> MagnetApp:
    kwargs.setdefault("node_factory", None)
    return MagnetApp(home, None, **kwargs)


async def settle(pilot: Pilot[Any], rounds: int = 4) -> None:
    """Let writes land, workers read, and the screen repaint."""
    app = pilot.app
    assert isinstance(app, MagnetApp)
    for _ in range(rounds):
        if app.session is not None:
            await asyncio.to_thread(app.session.settle)
        for _ in range(100):
            busy = [w for w in app.workers if w.is_running and getattr(w, "_thread_worker", False)]
            if not busy:
                break
            await asyncio.sleep(0.01)
        await pilot.pause()


async def until(pilot: Pilot[Any], check: Callable[[], bool], wait: float = 10.0) -> None:
    """Wait (settling) until `check()` holds; fail with a clear message when it never does."""
    deadline = asyncio.get_running_loop().time() + wait
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting; the screen shows:\n{screen_text(pilot.app)}")
        await settle(pilot, rounds=1)


async def ready(pilot: Pilot[Any]) -> MagnetApp:
    """Wait for the first usable screen (the dashboard with data)."""
    app = pilot.app
    assert isinstance(app, MagnetApp)
    await until(pilot, lambda: app.ready_at is not None)
    return app


S = TypeVar("S", bound=AreaScreen[Any])


async def open_area(pilot: Pilot[Any], key: str, screen_type: type[S]) -> S:
    """Press `key` once the app is ready and wait until that area's screen has its data."""
    await ready(pilot)
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, screen_type) and pilot.app.screen.loaded_once)
    screen = pilot.app.screen
    assert isinstance(screen, screen_type)
    return screen


def session(app: MagnetApp) -> Session:
    assert app.session is not None
    return app.session


def screen_text(app: Any) -> str:
    """What the terminal shows now, as plain text lines."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def text_of(widget: Widget) -> str:
    visual = getattr(widget, "visual", None)
    plain = getattr(visual, "plain", None)
    return plain if isinstance(plain, str) else str(widget.render())


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*[("space" if c == " " else c) for c in text])


@dataclass
class Event:
    kind: str
    peer: str = ""
    device_id: str = ""
    detail: str = ""
    at: float = 0.0


@dataclass
class Status:
    address: str
    device_id: str = ""
    name: str = ""
    state: str = "connected"
    last_sync: float | None = None
    error: str = ""


class LoopbackNode:
    """Stands in for `sync.runner.NodeHandle` (not under test here): reports from its own thread."""

    def __init__(self, group: Any, on_event: Callable[[Any], None]) -> None:
        self.group = group
        self.on_event = on_event
        self.dialled: list[str] = []
        self.started = threading.Event()
        self.stopped = threading.Event()
        self.port = 7787
        self._peers: list[Status] = []

    def start(self) -> None:
        self.started.set()
        self.emit(Event("listening", detail="port 7787"))

    def stop(self, timeout: float = 5) -> None:
        self.stopped.set()

    def add_peer(self, address: str) -> None:
        self.dialled.append(address)

    def peers(self) -> list[Status]:
        return list(self._peers)

    def emit(self, event: Event) -> None:
        """Report from another thread, as the real node does."""
        event.at = event.at or datetime.now().timestamp()
        thread = threading.Thread(target=self.on_event, args=(event,))
        thread.start()
        thread.join()

    def connect(self, address: str, name: str) -> None:
        now = datetime.now().timestamp()
        self._peers.append(Status(address, "d" * 32, name, "synced", now))
        self.emit(Event("connected", peer=address, device_id="d" * 32))
        self.emit(Event("synced", peer=address, device_id="d" * 32))
