"""The binder as Markdown: for a wiki, a group chat, or a text editor when nothing else opens.

Every string from the document is escaped so a name like `*Bob* <script>` stays text: markup
characters get a backslash, pipes cannot break a table, and a line never starts a heading or a list.
"""

from __future__ import annotations

import re

from magnet.formats.binder import Binder, Block, Cell, Section, Strong, Subheading, Table, Text

_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
_LINE_START = re.compile(r"^(\s*)([-=+>#])", re.MULTILINE)
_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


def escape_md(value: str) -> str:
    """Plain text that renders as itself in CommonMark and GitHub Markdown."""
    escaped = _INLINE.sub(r"\\\1", value)
    escaped = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
    return _ORDERED.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def _cell(value: Cell) -> str:
    text = value.text if isinstance(value, Strong) else value
    lines = [escape_md(line.strip()) for line in text.splitlines()] or [""]
    joined = "<br>".join(line for line in lines)
    return f"**{joined}**" if isinstance(value, Strong) and joined else joined


def _table(table: Table) -> str:
    if not table.rows:
        return f"_{escape_md(table.empty)}_"
    head = "| " + " | ".join(escape_md(h) for h in table.headers) + " |"
    rule = "|" + "|".join("---" for _ in table.headers) + "|"
    body = ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join([head, rule, *body])


def _block(block: Block) -> str:
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Subheading):
        return f"### {escape_md(block.text)}"
    assert isinstance(block, Text)
    return escape_md(block.text)


def _section(section: Section, stamp: str) -> str:
    parts = [f"## {escape_md(section.title)}", f"_{escape_md(stamp)}_", *(_block(b) for b in section.blocks)]
    return "\n\n".join(parts)


def render_markdown(binder: Binder) -> str:
    stamp = f"{binder.group} · {binder.stamp.describe()}"
    if binder.sensitive:
        stamp = f"CONFIDENTIAL · {stamp}"
    head = [
        f"# {escape_md(binder.group)}",
        f"_Group binder · {escape_md(binder.stamp.describe())}_",
        f"**{escape_md(binder.privacy_note)}**",
        *(escape_md(line) for line in binder.about),
        "Contents: " + " · ".join(escape_md(s.title) for s in binder.sections),
    ]
    sections = [_section(s, stamp) for s in binder.sections]
    return "\n\n".join(head) + "\n\n" + "\n\n---\n\n".join(sections) + "\n"
