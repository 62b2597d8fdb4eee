"""Step 1: the collections of the first release.

Groups made before schema steps existed created these in their first change; for them this step
finds nothing missing and does nothing.
"""

from __future__ import annotations

from magnet.migrations.steps import Step

STEP = Step(1, "the first release")
