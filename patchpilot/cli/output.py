"""Printing for the CLI: text lines, JSON documents, one-line warnings and errors."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO, TypeAlias

from patchpilot.core.errors import PatchpilotError

# what each command module's register() is handed (typeshed's name; generic only there)
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Output:
    """Where a command writes; tests pass StringIO objects."""

    def __init__(self, stdout: TextIO, stderr: TextIO):
        self.stdout = stdout
        self.stderr = stderr

    def line(self, text: str = "") -> None:
        print(text, file=self.stdout)

    def json(self, data: Any) -> None:
        json.dump(data, self.stdout, indent=2, ensure_ascii=False)
        self.stdout.write("\n")

    def warn(self, text: str) -> None:
        print(f"patchpilot: warning: {text}", file=self.stderr)

    def error(self, exc: PatchpilotError) -> None:
        print(f"patchpilot: error: {exc}", file=self.stderr)
