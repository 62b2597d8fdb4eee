"""Fixtures for the import/export tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from magnet.cli import main
from magnet.home import Home


@pytest.fixture
def cli_group(home: Home) -> Iterator[Home]:
    """A data dir with one group made by `magnet init`, for tests that drive the CLI."""
    assert main(["init", "Maple Street MAG"]) == 0
    yield home
