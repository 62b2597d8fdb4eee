"""Schema steps: what brings a group written by an earlier magnet forward, the same way on every device.

A step is one numbered module here. The collections a step adds are the kinds whose `KIND.since`
names it; each is created by a change that is byte-for-byte the same on every device (a fixed
actor per collection, no dependencies, no timestamp), so two devices upgrading while apart make the
same change, not two maps of which Automerge would show only one. A step may also carry an `upgrade`
for data; it must be idempotent and safe to run on two devices at once.
"""

from __future__ import annotations

from magnet.migrations import m0001_first_release
from magnet.migrations.steps import Step, creation_change
from magnet.schema import SCHEMA_VERSION

STEPS: tuple[Step, ...] = (m0001_first_release.STEP,)

if STEPS[-1].number != SCHEMA_VERSION:  # a new step must say so in magnet.schema too
    raise RuntimeError(f"magnet.schema says {SCHEMA_VERSION}, the last step is {STEPS[-1].number}")

__all__ = ["SCHEMA_VERSION", "STEPS", "Step", "creation_change"]
