"""Content lines as vCard and iCalendar write them: escaped text, folded at 75 octets, CRLF."""

from __future__ import annotations

from collections.abc import Iterable

MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """A TEXT value with the characters that mean structure escaped (RFC 5545 3.3.11, RFC 2426 4)."""
    value = "".join(ch for ch in value if ch >= " " or ch in "\n\r\t")
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a long line into 75-octet pieces, never inside a UTF-8 character."""
    out: list[str] = []
    current = ""
    size = 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size = "", 0
            limit = MAX_OCTETS - 1  # continuation lines start with a space
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def render(lines: Iterable[str]) -> bytes:
    """Folded CRLF-terminated lines as UTF-8 bytes."""
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")
