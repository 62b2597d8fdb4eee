"""The sync commands of `magnet` (serve, invite, join, devices, revoke)."""

from __future__ import annotations

import argparse

from magnet.errors import MagnetError


def _unavailable(args: argparse.Namespace) -> int:
    raise MagnetError("sync is not available in this build yet")


serve = invite = join = devices = revoke = _unavailable
