"""Command palette entries: every area, every action the current screen has a key for, data in and out."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from screens.areas import AREAS

if TYPE_CHECKING:
    from screens.base import Shell

Command = tuple[str, Callable[[], Any], str]


class MagnetCommands(Provider):
    """'Go to Roster', 'Add member (a)', 'Mark safe (s)', ... found by fuzzy search."""

    def _commands(self) -> list[Command]:
        shell = cast("Shell", self.app)
        commands: list[Command] = []
        if shell.session is not None:
            from screens.data import data_commands  # only when the palette opens: start-up stays lean

            commands += [(f"Go to {a.title}", partial(shell.go, a.id), a.summary) for a in AREAS]
            commands += data_commands(self.app)
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.description or not active.enabled or binding.action.startswith("go("):
                continue
            name = f"{binding.description} ({self.app.get_key_display(binding)})"
            if binding.description in seen or key.startswith("ctrl+p"):
                continue
            seen.add(binding.description)
            run = partial(self.app.run_action, binding.action, active.node)
            commands.append((name, run, binding.tooltip or f"key: {self.app.get_key_display(binding)}"))
        return commands

    async def discover(self) -> Hits:
        for name, run, help_text in self._commands():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, run, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
