"""Counts in words: "1 member", "3 members", "1 possible match", "2 possible matches"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` and the noun in the form that count takes (an `s` added unless told otherwise)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
