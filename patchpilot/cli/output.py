"""Printing for the CLI: text lines, JSON documents, one-line warnings and errors.

Everything goes through the one sanitizer (core.text): text lines, warnings and errors
through safe_text, every JSON document through json_safe. Whatever a command puts in them, no
control, escape or invisible character reaches the reader (in JSON not even as `\\u001b`);
commands still pass untrusted text through safe_text themselves to bound its size.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO, TypeAlias

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.text import json_safe, safe_text

# what each command module's register() is handed (typeshed's name; generic only there)
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Output:
    """Where a command writes; tests pass StringIO objects."""

    def __init__(self, stdout: TextIO, stderr: TextIO):
        self.stdout = stdout
        self.stderr = stderr

    def line(self, text: str = "") -> None:
        print(safe_text(text, None), file=self.stdout)

    def json(self, data: Any) -> None:
        json.dump(json_safe(data), self.stdout, indent=2, ensure_ascii=False)
        self.stdout.write("\n")

    def warn(self, text: str) -> None:
        print(f"patchpilot: warning: {safe_text(text, None)}", file=self.stderr)

    def error(self, exc: PatchpilotError) -> None:
        print(f"patchpilot: error: {safe_text(str(exc), None)}", file=self.stderr)
