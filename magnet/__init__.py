"""magnet: a Mutual Assistance Group's shared records, kept in one Automerge document per group."""

__version__ = "0.1.0"
