"""The one exception core raises: a message for the user and a hint on what to do next.

No imports from the rest of patchpilot.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of the CLI: 0 ok, 1 findings/failure to act on, 2 usage or environment."""

    OK = 0
    FAILURE = 1
    USAGE = 2


class PatchpilotError(Exception):
    """An error the user can act on; `hint` says how."""

    def __init__(self, message: str, hint: str = "", exit_code: ExitCode = ExitCode.USAGE):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message
