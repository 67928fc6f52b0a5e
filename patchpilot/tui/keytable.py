"""`python -m patchpilot.tui.keytable`: print the key table of docs/tui.md from the bindings of
every registered screen (tui/keys.py key_table). Kept out of keys.py, which the screens
import, so that no module imports itself or the app from below."""

from __future__ import annotations

import sys

from patchpilot.tui import app  # noqa: F401  (registers the screens)
from patchpilot.tui.keys import key_table
from patchpilot.tui.screens import REGISTRY, all_bindings

if __name__ == "__main__":  # pragma: no cover - prints the docs/tui.md table
    sys.stdout.write("\n".join(key_table(all_bindings(REGISTRY))) + "\n")
