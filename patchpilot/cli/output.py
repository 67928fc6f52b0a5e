"""Printing for the CLI: text lines, JSON documents, one-line warnings and errors; every one
cleaned of terminal escapes and control characters (core.text), whoever built it."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO, TypeAlias

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.text import clean, safe_json

# what each command module's register() is handed (typeshed's name; generic only there)
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Output:
    """Where a command writes; tests pass StringIO objects."""

    def __init__(self, stdout: TextIO, stderr: TextIO):
        self.stdout = stdout
        self.stderr = stderr

    def line(self, text: str = "") -> None:
        print(clean(text), file=self.stdout)

    def json(self, data: Any) -> None:
        """`data` as JSON, every string cleaned (core.text): no escape sequence or control
        character reaches a script that prints a field."""
        json.dump(safe_json(data), self.stdout, indent=2, ensure_ascii=False)
        self.stdout.write("\n")

    def warn(self, text: str) -> None:
        print(f"patchpilot: warning: {clean(text)}", file=self.stderr)

    def error(self, exc: PatchpilotError) -> None:
        print(f"patchpilot: error: {clean(str(exc))}", file=self.stderr)
