"""Check profiles (config/profiles.toml) and the user's choices on top of them.

A profile names the tools to run and how (checkpatch --strict, rules off or re-graded). The
user's settings come through core.config (flag > env > git config > user TOML > defaults):
`checks.profile`, `checks.tools`, `checks.rules`, `checks.strict`, `checks.timeout`,
`checks.kbuild`. No subprocesses, no UI.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from patchpilot.core.checks.model import SEVERITIES, Finding
from patchpilot.core.errors import PatchpilotError

TOOLS = ("checkpatch", "rustfmt", "rust", "commit", "clippy", "klint")
AUTO = "auto"


@dataclass(frozen=True)
class Profile:
    """A named set of tools and options, with rule overrides already merged in."""

    name: str
    description: str
    tools: tuple[str, ...]
    checkpatch_strict: bool
    checkpatch_ignore: tuple[str, ...] = ()
    rules: dict[str, str] = field(default_factory=dict)  # "RULE" or "tool:RULE" -> sev|"off"

    def adjust(self, finding: Finding) -> Finding | None:
        """`finding` with the severity the profile gives its rule, or None when turned off."""
        wanted = self.rules.get(f"{finding.tool}:{finding.rule}", self.rules.get(finding.rule))
        if wanted is None or wanted == finding.severity:
            return finding
        if wanted == "off":
            return None
        return Finding(**{**finding.to_json(), "severity": wanted})


def shipped_profiles() -> dict[str, dict[str, Any]]:
    """The profiles file as packaged with patchpilot."""
    text = resources.files("patchpilot._config").joinpath("profiles.toml").read_text()
    return tomllib.loads(text)


def parse_tools(value: str, setting: str = "--tool") -> tuple[str, ...]:
    """`checkpatch,rustfmt` -> ("checkpatch", "rustfmt"), or a clear error."""
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    unknown = [n for n in names if n not in TOOLS]
    if unknown or not names:
        raise PatchpilotError(f"{setting}: unknown tool {', '.join(unknown) or '(none)'}",
                              hint=f"choose among {', '.join(TOOLS)}")
    return names


def parse_rules(value: str, setting: str = "checks.rules") -> dict[str, str]:
    """`A9=off, checkpatch:LONG_LINE=info` -> {"A9": "off", "checkpatch:LONG_LINE": "info"}."""
    rules = {}
    for item in (i.strip() for i in value.split(",")):
        if not item:
            continue
        rule, sep, level = (p.strip() for p in item.partition("="))
        if not sep or not rule or level not in SEVERITIES + ("off",):
            raise PatchpilotError(f"{setting}: cannot read {item!r}",
                                  hint="write RULE=off or RULE=error|warning|info, comma "
                                       "separated (a rule may be prefixed by its tool: "
                                       "checkpatch:LONG_LINE=off)")
        rules[rule] = level
    return rules


def choose(name: str, touches_rust: bool) -> str:
    """The profile name in force: `auto` picks rust-for-linux for Rust series."""
    if name in ("", AUTO):
        return "rust-for-linux" if touches_rust else "kernel"
    return name


def load_profile(name: str, touches_rust: bool = True, tools: tuple[str, ...] = (),
                 rules: str = "", strict: bool | None = None) -> Profile:
    """The profile `name` (or `auto`) with the user's tools, rule overrides and strictness."""
    table = shipped_profiles()
    name = choose(name, touches_rust)
    if name not in table:
        raise PatchpilotError(f"no check profile named {name!r}",
                              hint=f"use one of: {AUTO}, {', '.join(table)}")
    raw = table[name]
    return Profile(
        name=name, description=raw.get("description", ""),
        tools=parse_tools(",".join(tools), "checks.tools") if tools else tuple(raw["tools"]),
        checkpatch_strict=strict if strict is not None else bool(raw.get("checkpatch_strict")),
        checkpatch_ignore=tuple(raw.get("checkpatch_ignore", ())),
        rules={**{k: str(v) for k, v in raw.get("rules", {}).items()}, **parse_rules(rules)})

