"""Text from the document or a peer, made harmless on a terminal; and refused where it is typed.

A member's name is data, never terminal control. `Eve \\x1b]52;c;...\\x07` printed raw writes the
reader's clipboard (OSC 52) or window title (OSC 0); `\\r` overwrites what a line said; a bidi
override reorders what follows it. What is already in the document or arrives from a peer is
never rewritten: it is shown through `shown()`, which swaps every such character for a visible
stand-in (C0 as its Control Pictures symbol, `␛`, `␇`; C1, bidi controls, line separators and lone
surrogates as `\\x9b` / `\\u202e`). What a person types, imports or sends to join is checked by
`control_problem()` and refused with one clear line.

Log lines go through `magnet.safelog`, which uses `shown()` the same way.
"""

from __future__ import annotations

import re
import unicodedata

LINE_BREAK = 0x0A
TAB = 0x09
# Embeddings, overrides (U+202A-U+202E) and isolates (U+2066-U+2069) reorder the text after them.
# The marks LRM, RLM and ALM only set the direction of their neighbours: names in Arabic or
# Hebrew need them, and they cannot move text about, so they stay.
_BIDI_RANGES = (range(0x202A, 0x202F), range(0x2066, 0x206A))
BIDI_CONTROLS = frozenset(code for codes in _BIDI_RANGES for code in codes)
LINE_SEPARATORS = range(0x2028, 0x202A)
SURROGATES = range(0xD800, 0xE000)

_NAMES = {
    0x00: "a NUL character",
    0x07: "a bell character",
    0x08: "a backspace",
    TAB: "a tab",
    LINE_BREAK: "a line break",
    0x0D: "a carriage return",
    0x1B: "an escape character",
    0x7F: "a delete character",
}


def _stand_in(code: int) -> str:
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟: one cell wide, so tables stay aligned
    if code == 0x7F:
        return "\u2421"  # ␡
    if code < 0xA0:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def _unsafe_ranges(*, multiline: bool) -> list[range]:
    low = [range(0x00, TAB), range(LINE_BREAK + 1, 0x20)] if multiline else [range(0x00, 0x20)]
    return [*low, range(0x7F, 0xA0), *_BIDI_RANGES, LINE_SEPARATORS, SURROGATES]


def _pattern(ranges: list[range]) -> re.Pattern[str]:
    """A character class of ranges: one entry per surrogate cost 20 ms of every start."""
    return re.compile("[" + "".join(f"\\U{r.start:08x}-\\U{r.stop - 1:08x}" for r in ranges) + "]")


_UNSAFE_ONE_LINE = _pattern(_unsafe_ranges(multiline=False))
_UNSAFE_MULTILINE = _pattern(_unsafe_ranges(multiline=True))


def _visible(found: re.Match[str]) -> str:
    return _stand_in(ord(found.group()))


def shown(text: object, *, multiline: bool = False) -> str:
    """`text` as a terminal may print it: every control character visible, none obeyed.

    `multiline` keeps line breaks and tabs (notes, minutes, a traceback); a name or a log line
    shows them as ␊ and ␉, so one line stays one line.
    """
    value = text if isinstance(text, str) else str(text)
    unsafe = _UNSAFE_MULTILINE if multiline else _UNSAFE_ONE_LINE
    if unsafe.search(value) is None:
        return value
    return unsafe.sub(_visible, value)


def is_safe(text: str, *, multiline: bool = False) -> bool:
    return (_UNSAFE_MULTILINE if multiline else _UNSAFE_ONE_LINE).search(text) is None


def control_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` may not be stored (None when it may): the first character a terminal would obey.

    Single-line fields (names above all) take no control character at all; multi-line ones keep
    line breaks and tabs. Callers normalise Windows line ends first (`one_kind_of_line_end`).
    """
    found = (_UNSAFE_MULTILINE if multiline else _UNSAFE_ONE_LINE).search(text)
    if found is None:
        return None
    code = ord(found.group())
    what = _NAMES.get(code)
    if what is None and code in BIDI_CONTROLS:
        what = "a bidirectional control, which reorders the text after it"
    elif what is None and code in SURROGATES:
        return "is not valid text (a lone surrogate)"
    elif what is None:
        what = "a control character"
        if name := unicodedata.name(found.group(), ""):
            what += f" ({name.lower()})"
    where = "" if multiline else "; it is one line of plain text"
    return f"contains {what} (U+{code:04X}){where}"


def one_kind_of_line_end(text: str) -> str:
    """Windows (\\r\\n) and old Mac (\\r) line ends as \\n: what a spreadsheet cell or a paste holds."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
