"""Typed configuration with the source of every value remembered.

Precedence, highest first: CLI flag, environment `PATCHPILOT_<SECTION>_<KEY>`, git config
`patchpilot.<section>.<key>`, the user's TOML file, the shipped defaults (config/defaults.toml,
packaged as patchpilot._config). Each setting's default and its documentation are written once,
in the defaults file; its type once, in KINDS below (a test keeps the two in step). Values come
back typed (`flag`, `number`, `integer`, `names`, `tristate`, `text`); a value that does not
parse is one PatchpilotError naming the setting, the value and where it came from. No UI.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from patchpilot.core import paths
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo

Kind = Literal["text", "bool", "tristate", "int", "number", "list"]
Source = Literal["flag", "env", "git config", "user file", "default"]

# The type of every setting; (kind, allowed values) where only some words are allowed.
KINDS: dict[str, tuple[Kind, tuple[str, ...]]] = {
    "series.base": ("text", ()),
    "ui.theme": ("text", ()),
    "ui.watch-interval": ("number", ()),
    "recipients.engine": ("text", ("python", "get_maintainer")),
    "recipients.rust-policy": ("bool", ()),
    "recipients.rust-entry": ("text", ()),
    "recipients.rust-roles": ("list", ("list", "maintainer", "reviewer")),
    "checks.profile": ("text", ()),
    "checks.tools": ("list", ()),
    "checks.rules": ("text", ()),
    "checks.strict": ("tristate", ()),
    "checks.kbuild": ("text", ()),
    "checks.klint": ("text", ()),
    "checks.timeout": ("number", ()),
    "checks.fail-on": ("text", ("error", "warning")),
    "checks.history-depth": ("int", ()),
    "build.dir": ("text", ()),
    "build.wrapper": ("text", ()),
    "build.config": ("text", ()),
    "build.docs": ("bool", ()),
    "build.tests": ("bool", ()),
    "build.timeout": ("number", ()),
    "build.test-timeout": ("int", ()),
    "build.jobs": ("int", ()),
    "replies.server": ("text", ()),
    "replies.refresh-interval": ("number", ()),
    "replies.timeout": ("number", ()),
    "replies.retries": ("int", ()),
    "replies.full-refresh": ("number", ()),
    "replies.overlap": ("number", ()),
    "send.smtp-timeout": ("number", ()),
    "send.strip-trailers": ("list", ()),
}
# Tables of the user file whose names are not settings (the TUI's [keys]: binding id = keys).
FREE_TABLES = ("keys",)
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
_KIND_WORDS = {"bool": "true or false", "tristate": "true, false or empty (automatic)",
               "int": "a whole number", "number": "a number", "list": "comma-separated words"}


@dataclass(frozen=True)
class Setting:
    """A typed value, as written (`raw`), and where it came from."""

    key: str
    value: Any
    source: Source
    raw: str

    @property
    def shown(self) -> str:
        """The value as a user writes it in git config or the TOML file."""
        return show(self.value)


def show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse(key: str, raw: object, source: str) -> Any:
    """`raw` (a string from flags, env or git; a TOML value) as the setting's type."""
    kind, allowed = KINDS[key]
    text = show(raw).strip() if not isinstance(raw, str) else raw.strip()
    try:
        value = _parse(kind, text)
    except ValueError:
        raise PatchpilotError(f"setting {key} = {text!r} ({source}) is not {_KIND_WORDS[kind]}",
                              hint=f"fix it where it is set ({source})") from None
    words = value if isinstance(value, tuple) else (value,)
    bad = [w for w in words if allowed and w not in allowed]
    if bad:
        raise PatchpilotError(f"setting {key} = {text!r} ({source}): {bad[0]!r} is not allowed",
                              hint=f"use {' or '.join(allowed)}")
    return value


def _parse(kind: Kind, text: str) -> Any:
    if kind == "text":
        return text
    if kind == "list":
        return tuple(w.strip() for w in text.split(",") if w.strip())
    if kind in ("bool", "tristate"):
        if kind == "tristate" and not text:
            return None
        if text.lower() in _TRUE or text.lower() in _FALSE:
            return text.lower() in _TRUE
        raise ValueError(text)
    number = float(text)
    if kind == "int":
        if not number.is_integer():
            raise ValueError(text)
        return int(number)
    return number


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

    def __init__(self, repo: GitRepo | None = None, flags: Mapping[str, Any] | None = None):
        self._repo = repo
        self._flags = {k: v for k, v in (flags or {}).items() if v is not None}
        self._defaults = shipped_defaults()
        self._user = _user_file()

    def _raw(self, key: str) -> tuple[object, Source]:
        if key in self._flags:
            return self._flags[key], "flag"
        env = "PATCHPILOT_" + key.upper().replace(".", "_").replace("-", "_")
        if os.environ.get(env):
            return os.environ[env], "env"
        if self._repo is not None:
            value = self._repo.config(f"patchpilot.{key}")
            if value is not None:
                return value, "git config"
        value = _lookup(self._user, key)
        if value is not None:
            return value, "user file"
        value = _lookup(self._defaults, key)
        if value is None or key not in KINDS:
            raise KeyError(key)
        return value, "default"

    def get(self, key: str) -> Setting:
        """The effective value of `section.key`, typed, with its source."""
        raw, source = self._raw(key)
        return Setting(key, parse(key, raw, source), source, show(raw))

    def value(self, key: str) -> Any:
        return self.get(key).value

    def text(self, key: str) -> str:
        return str(self._typed(key, "text"))

    def flag(self, key: str) -> bool:
        return bool(self._typed(key, "bool"))

    def tristate(self, key: str) -> bool | None:
        value = self._typed(key, "tristate")
        return None if value is None else bool(value)

    def number(self, key: str) -> float:
        return float(self._typed(key, "number"))

    def integer(self, key: str) -> int:
        return int(self._typed(key, "int"))

    def names(self, key: str) -> tuple[str, ...]:
        return tuple(self._typed(key, "list"))

    def _typed(self, key: str, kind: Kind) -> Any:
        if KINDS[key][0] != kind:
            raise TypeError(f"{key} is a {KINDS[key][0]} setting, not {kind}")
        return self.value(key)

    def table(self, section: str) -> dict[str, str]:
        """A free-form table of the user file (such as the TUI's [keys]: binding id = keys),
        each value a string; a value of another type is one PatchpilotError."""
        table = self._user.get(section) or {}
        if not isinstance(table, dict):
            raise PatchpilotError(f"[{section}] in {paths.user_config_file()} is not a table",
                                  hint=f'write it as [{section}] then "name" = "value" lines')
        for name, value in table.items():
            if not isinstance(value, str):
                raise PatchpilotError(f"[{section}] {name} = {value!r} in "
                                      f"{paths.user_config_file()} is not a string",
                                      hint=f'quote it: "{name}" = "ctrl+x"')
        return dict(table)

    def all(self) -> list[Setting]:
        return [self.get(key) for key in KINDS]

    def problems(self) -> list[str]:
        """One line per setting that does not parse, or that patchpilot does not know."""
        found = []
        for key in KINDS:
            try:
                self.get(key)
            except PatchpilotError as exc:
                found.append(exc.message)
        for key, source in self._unknown():
            found.append(f"unknown setting {key} ({source})")
        return found

    def _unknown(self) -> list[tuple[str, str]]:
        keys = [(f"{section}.{name}", "user file") for section, table in self._user.items()
                if isinstance(table, dict) and section not in FREE_TABLES for name in table]
        keys += [(section, "user file") for section, table in self._user.items()
                 if not isinstance(table, dict)]
        if self._repo is not None:
            listing = self._repo.try_run("config", "--name-only", "--get-regexp",
                                         r"^patchpilot\.") or ""
            keys += [(name.removeprefix("patchpilot."), "git config")
                     for name in listing.splitlines() if name]
        return [(key, source) for key, source in keys if key.lower() not in
                {k.lower() for k in KINDS}]
