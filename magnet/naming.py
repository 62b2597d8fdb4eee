"""How people name kinds of records: typed words compared loosely, with nothing else imported."""

from __future__ import annotations

import re


def said(word: str) -> str:
    """'Check-ins', 'check_in', 'check in' -> 'checkins': how typed kind words are compared."""
    return re.sub(r"[\s\-_]+", "", word.strip().lower())
