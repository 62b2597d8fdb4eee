"""Errors a person can act on: each carries one clear line for the terminal."""


class MagnetError(Exception):
    """A user-facing failure; the CLI prints its message and exits non-zero."""


class ValidationError(MagnetError):
    """A value a person typed (or a spreadsheet held) does not fit the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class NotFound(MagnetError):
    """No record, group or file by that name or id."""


class StoreError(MagnetError):
    """The group's files on disk could not be read or written."""


class DamagedStore(StoreError):
    """This copy of a group cannot be read at all; the file is left as it is for inspection."""


class UnsavedChange(StoreError):
    """A change is in memory but the disk refused it (full, read-only); a later commit retries.

    A long-running process keeps it and says so; a command that is about to exit has lost it.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(
            f"could not save to {path}: {reason}; the change is kept in memory and will be written when possible"
        )
        self.path = path
        self.reason = reason
