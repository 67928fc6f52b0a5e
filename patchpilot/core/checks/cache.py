"""The check cache: a tool's findings for a patch, stored under the key of what made them.

Keys (tools.cache_key) cover the patch-id, the blob ids of the patch's files, the commit
message where it matters, the tool's version and options and our own rule code; so a rebase
or reroll that leaves a patch unchanged finds its results here. One small JSON file per entry
under `.git/patchpilot/checks-cache/`, written atomically. No subprocesses, no UI.
"""

from __future__ import annotations

import json
from pathlib import Path

from patchpilot.core.checks.model import Finding
from patchpilot.core.fs import write_atomic
from patchpilot.core.paths import repo_state_dir

FORMAT = 1


class CheckCache:
    """Findings by key; `enabled=False` reads nothing and writes nothing (--no-cache)."""

    def __init__(self, git_dir: Path, enabled: bool = True):
        self.root = repo_state_dir(git_dir) / "checks-cache"
        self.enabled = enabled

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key[2:]}.json"

    def get(self, key: str) -> list[Finding] | None:
        """The stored findings, or None on a miss (or an unreadable entry)."""
        if not self.enabled:
            return None
        try:
            data = json.loads(self._path(key).read_text())
            if data.get("format") != FORMAT:
                return None
            return [Finding(**item) for item in data["findings"]]
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def put(self, key: str, findings: list[Finding]) -> None:
        """Store `findings` under `key` (best effort: a read-only .git just means no cache)."""
        if not self.enabled:
            return
        path = self._path(key)
        data = {"format": FORMAT, "findings": [f.to_json() for f in findings]}
        try:
            write_atomic(path, json.dumps(data))
        except OSError:
            pass

    def entries(self) -> int:
        """How many entries are stored (for tests and `doctor`)."""
        return sum(1 for _ in self.root.glob("*/*.json")) if self.root.is_dir() else 0
