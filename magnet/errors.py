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
