"""Text from the document inside the app's markup: shown as given, never as markup or control.

Rich's `escape()` leaves a `[` that does not look like a tag, and Textual's parser then reads
the rest differently: a member called `[/x#` crashed a screen (MarkupError) and `Ann [2 [b]`
showed a stray backslash. Escaping every `[` round-trips any text; `shown` makes control
characters visible (line breaks and tabs stay: notes and minutes are shown this way too).
"""

from __future__ import annotations

from magnet.safetext import shown


def escape(text: str) -> str:
    """`text` to put inside a markup string, where it reads exactly as the document holds it."""
    return shown(text, multiline=True).replace("[", "\\[")
