"""`python -m magnet` runs the same command as `magnet`."""

import sys

from magnet.cli import main

sys.exit(main())
