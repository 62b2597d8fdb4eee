"""The app's last line of defence: no control character in a widget's text reaches the terminal.

Rich and Textual pass ESC, C1 controls and bidi overrides in text straight to the terminal (Rich
strips only a few C0 codes), so a member called `Eve \\x1b]52;c;...\\x07` would write the reader's
clipboard from any table, label, title or notification. Widgets that show document text use
`magnet.safetext.shown` so their widths come out right; this filter sees every line every widget
renders and makes whatever slipped through visible instead of obeyed.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from magnet.safetext import is_safe, shown


class ControlCharacters(LineFilter):
    """Show control characters in rendered lines as visible stand-ins (␛, \\x9b, \\u202e)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if all(control or is_safe(text) for text, _, control in segments):
            return segments
        # Controls take no cells, their stand-ins do: crop back so the layout stays as measured.
        width = Segment.get_line_length(segments)
        visible = [segment if segment.control else Segment(shown(segment.text), segment.style) for segment in segments]
        return list(Segment.adjust_line_length(visible, width))
