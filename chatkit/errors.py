"""The exceptions chatkit raises.

A *diagnosed* failure of the user's network or API is never an exception: it is a
:class:`~chatkit.findings.Finding`. Exceptions are for misuse, for input chatkit cannot
read, and for a check that could not run at all::

    ChatkitError                       anything chatkit raises on purpose
    ├── UsageError (ValueError)        bad arguments: a malformed URL, an unknown check group
    │   └── UnknownProvider (KeyError) a provider name with no registered profile
    ├── InputError (ValueError)        a file or payload chatkit cannot read
    │   └── EmptyInput                 the file exists but holds nothing to read
    └── MissingKey (LookupError)       no API key where one is required

Every message ends with what to do next; the CLI prints it as one ``Error: ...`` line and
exits 2.
"""

from __future__ import annotations

__all__ = [
    "ChatkitError", "EmptyInput", "InputError", "MissingKey", "UnknownProvider", "UsageError",
]


class ChatkitError(Exception):
    """Base class of every exception chatkit raises on purpose."""


class UsageError(ChatkitError, ValueError):
    """The caller passed something chatkit cannot use (a bad URL, an unknown option)."""


class UnknownProvider(UsageError, KeyError):
    """A provider name that has no registered profile."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InputError(ChatkitError, ValueError):
    """A file or payload that chatkit cannot read (wrong format, corrupt, missing)."""


class EmptyInput(InputError):
    """The input exists but holds nothing to read."""


class MissingKey(ChatkitError, LookupError):
    """No API key where one is required."""
