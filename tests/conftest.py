"""Shared fixtures: a private data dir per test, and a fresh group in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from magnet.home import Home, OpenGroup


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever touches the real user data dir, and none multicasts on a real interface."""
    monkeypatch.setenv("MAGNET_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MAGNET_INTERFACES", "127.0.0.1")


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home")


@pytest.fixture
def group(home: Home) -> Iterator[OpenGroup]:
    opened = home.create_group("Maple Street MAG")
    yield opened
    opened.close()
