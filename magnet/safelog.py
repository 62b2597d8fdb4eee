"""Log lines whose data cannot steer the terminal: `shown()` applied to every record.

`guard_logging()` is installed where `magnet serve` and the app set logging up, so no log call
needs to remember it. (Apart from `magnet.safetext` so a command that only prints never imports
`logging`.)
"""

from __future__ import annotations

import logging
import sys

from magnet.safetext import shown


class SafeFormatter(logging.Formatter):
    """Log lines whose data cannot steer the terminal (or the journal) that shows them.

    Wraps the handler's own formatter: the message becomes one line whatever a peer put in it,
    a traceback keeps its line breaks and loses everything else.
    """

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.msg, record.args, record.exc_text, record.stack_info
        try:
            record.msg, record.args = shown(record.getMessage()), None
            if record.exc_info and not record.exc_text:
                record.exc_text = self.inner.formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = shown(record.exc_text, multiline=True)
            if record.stack_info:
                record.stack_info = shown(record.stack_info, multiline=True)
            return self.inner.format(record)
        finally:
            record.msg, record.args, record.exc_text, record.stack_info = saved


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Like Python's last resort, writes to whatever `sys.stderr` is at the time: the app swaps
    it for its own while it runs, so a line logged then never lands in the middle of the screen."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def guard_logging(level: int = logging.WARNING) -> None:
    """Wrap the formatter of every handler of the root logger in a `SafeFormatter`.

    With no handler at all (the app configures none), add one on stderr at `level`: Python's
    last-resort handler would otherwise print raw.
    """
    root = logging.getLogger()
    if not root.handlers:
        last_resort = _CurrentStderr()
        last_resort.setLevel(level)
        root.addHandler(last_resort)
    for handler in root.handlers:
        if not isinstance(handler.formatter, SafeFormatter):
            handler.setFormatter(SafeFormatter(handler.formatter))
