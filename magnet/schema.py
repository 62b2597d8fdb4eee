"""The schema this magnet writes: the number of its last migration step.

Apart from `magnet.migrations` (which checks the two agree when it loads) so a command that only
reads the read model knows it without importing the steps.
"""

SCHEMA_VERSION = 1
