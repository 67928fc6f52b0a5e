"""Typed configuration with the source of every value remembered.

Precedence, highest first: CLI flag, environment `PATCHPILOT_<SECTION>_<KEY>`, git config
`patchpilot.<section>.<key>`, the user's TOML file, the shipped defaults (config/defaults.toml,
packaged as patchpilot._config). No UI imports.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from patchpilot.core import paths
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo


@dataclass(frozen=True)
class Setting:
    """A value and where it came from ("flag", "env", "git config", "user file", "default")."""

    key: str
    value: str
    source: str


def shipped_defaults() -> dict[str, Any]:
    """The defaults file as packaged in the wheel."""
    text = resources.files("patchpilot._config").joinpath("defaults.toml").read_text()
    return tomllib.loads(text)


def _user_file() -> dict[str, Any]:
    path = paths.user_config_file()
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PatchpilotError(f"cannot read {path}: {exc}", hint="fix or remove the file")


def _lookup(table: dict[str, Any], key: str) -> Any:
    node: Any = table
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


class Config:
    """Settings for one run; `repo` adds the repository's git config layer."""

    def __init__(self, repo: GitRepo | None = None,
                 flags: Mapping[str, str | None] | None = None):
        self._repo = repo
        self._flags = {k: v for k, v in (flags or {}).items() if v is not None}
        self._defaults = shipped_defaults()
        self._user = _user_file()

    def get(self, key: str) -> Setting:
        """The effective value of `section.key`, with its source."""
        if key in self._flags:
            return Setting(key, self._flags[key], "flag")
        env = "PATCHPILOT_" + key.upper().replace(".", "_").replace("-", "_")
        if os.environ.get(env):
            return Setting(key, os.environ[env], "env")
        if self._repo is not None:
            value = self._repo.config(f"patchpilot.{key}")
            if value is not None:
                return Setting(key, value, "git config")
        value = _lookup(self._user, key)
        if value is not None:
            return Setting(key, str(value), "user file")
        value = _lookup(self._defaults, key)
        if value is None:
            raise KeyError(key)
        return Setting(key, str(value), "default")

    def value(self, key: str) -> str:
        return self.get(key).value

    def all(self) -> list[Setting]:
        keys = [f"{section}.{name}" for section, table in self._defaults.items()
                for name in table]
        return [self.get(k) for k in keys]
