"""The bottom line of keys: as many whole keys as fit, the most important first, never a cut word.

Textual's footer lays every key out and lets the line cut the last ones mid-word at 80 columns
("m My answ"), which hides keys people need. This one keeps the keys in the order the screen
declares them (its first keys matter most), leaves out the ones that do not fit whole, and then
says where the rest are (F1 lists every key; the palette runs any of them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_WIDTH = 12  # "▏^p palette" docked on the right
MORE = ("f1", "F1", "more", "app.help")


def _width(key_display: str, description: str) -> int:
    """Cells one compact key takes, with the gap after it."""
    return len(key_display) + (1 + len(description) if description else 0) + 1


class KeyFooter(Footer):
    """A compact footer that drops whole keys, least important first, to fit its width."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(compact=True, **kwargs)
        self._composed_for = 0

    def _has_palette_key(self) -> bool:
        return (
            self.show_command_palette
            and self.app.ENABLE_COMMAND_PALETTE
            and self.app.COMMAND_PALETTE_BINDING in self.screen.active_bindings
        )

    def _room(self) -> int:
        width = self.size.width or self.app.size.width
        return width - (PALETTE_WIDTH if self._has_palette_key() else 0)

    def shown_keys(self, room: int) -> tuple[list[tuple[Binding, bool, str, str]], bool]:
        """The keys that fit in `room` cells (binding, enabled, tooltip, key display), and whether any were left out."""
        seen: set[str] = set()
        wanted: list[tuple[Binding, bool, str, str]] = []
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            wanted.append((binding, enabled, tooltip, self.app.get_key_display(binding)))
        fits: list[tuple[Binding, bool, str, str]] = []
        used = 0
        more = _width(MORE[1], MORE[2])
        for index, (binding, enabled, tooltip, shown) in enumerate(wanted):
            width = _width(shown, binding.description)
            last = index == len(wanted) - 1
            if used + width + (0 if last else more) > room and not (last and used + width <= room):
                return fits, True
            fits.append((binding, enabled, tooltip, shown))
            used += width
        return fits, False

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        room = self._room()
        self._composed_for = room
        keys, dropped = self.shown_keys(room)
        yield from self._keys(keys)
        if dropped:
            key, display, description, action = MORE
            yield FooterKey(key, display, description, action, tooltip="every key of this screen").data_bind(
                compact=Footer.compact
            )
        if self._has_palette_key():
            found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _node, binding, enabled, _tooltip = found
                yield FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    classes="-command-palette",
                    disabled=not enabled,
                    tooltip=binding.tooltip or binding.description,
                )

    def _keys(self, keys: list[tuple[Binding, bool, str, str]]) -> Iterator[FooterKey]:
        for binding, enabled, tooltip, shown in keys:
            yield FooterKey(
                binding.key, shown, binding.description, binding.action, disabled=not enabled, tooltip=tooltip
            ).data_bind(compact=Footer.compact)

    def on_resize(self, event: Resize) -> None:
        if self._bindings_ready and self._room() != self._composed_for:
            self.call_after_refresh(self.recompose)
