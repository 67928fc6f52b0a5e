"""Where patchpilot keeps files: XDG config/cache dirs and per-repository state under .git/.

No imports from the rest of patchpilot except errors.
"""

from __future__ import annotations

import os
from pathlib import Path


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "patchpilot"


def cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / "patchpilot"


def user_config_file() -> Path:
    """The user's TOML file ($PATCHPILOT_CONFIG overrides the XDG location)."""
    return Path(os.environ.get("PATCHPILOT_CONFIG") or config_dir() / "config.toml")


def repo_state_dir(git_dir: Path) -> Path:
    """Per-repository state (send log, review state...) lives under .git/patchpilot."""
    return git_dir / "patchpilot"
