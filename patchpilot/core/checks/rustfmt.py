"""rustfmt on the post-image of a touched `.rs` file: the added lines it would change.

The text goes to `rustfmt --emit stdout` on stdin with the tree's `.rustfmt.toml` and the
edition it names (stdin keeps rustfmt from following `mod` declarations into other files),
and the result is diffed against the input. Files `make rustfmtcheck` skips (read from the
tree's Makefile `rustfmt` target) are skipped here too. Runs rustfmt and nothing else; never
writes to the tree; no UI.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import tomllib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from patchpilot.core.checks.model import Finding
from patchpilot.core.errors import PatchpilotError

TOOL = "rustfmt"
# What the 6.12 Makefile skips, for trees whose Makefile cannot be read.
DEFAULT_SKIPS = (("prefix", "rust/alloc"), ("prefix", "rust/test"), ("substring", "generated"))
_GREP = re.compile(r"grep -Fv (\S+)")
_TREE_VAR = re.compile(r"^\$\((?:abs_srctree|abs_objtree|srctree|objtree)\)/")
_STDIN_LINE = re.compile(r"<stdin>:(\d+):")


@dataclass(frozen=True)
class RustfmtConfig:
    """How the tree wants rustfmt run: edition, config file and the paths it skips."""

    edition: str = "2021"
    config_path: Path | None = None
    skips: tuple[tuple[str, str], ...] = DEFAULT_SKIPS
    rustfmt: str = "rustfmt"


def rustfmt_config(tree: Path, rustfmt: str = "rustfmt") -> RustfmtConfig:
    """Read `.rustfmt.toml` (edition) and the Makefile's rustfmt target (skips) of `tree`."""
    config = tree / ".rustfmt.toml"
    edition = "2021"
    if config.is_file():
        try:
            edition = str(tomllib.loads(config.read_text()).get("edition", edition))
        except tomllib.TOMLDecodeError as err:
            raise PatchpilotError(f"{config} is not valid TOML: {err}",
                                  hint="fix the file or check out a clean tree") from None
    makefile = tree / "Makefile"
    skips = rustfmt_skips(makefile.read_text(errors="replace")) if makefile.is_file() else ()
    return RustfmtConfig(edition, config if config.is_file() else None,
                         skips or DEFAULT_SKIPS, rustfmt)


def rustfmt_skips(makefile: str) -> tuple[tuple[str, str], ...]:
    """The `grep -Fv` filters of the Makefile's `rustfmt:` recipe, as ("prefix", tree path)
    for paths under the tree and ("substring", text) for the rest."""
    match = re.search(r"^rustfmt:\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    if not match:
        return ()
    skips = []
    for pattern in _GREP.findall(match.group(1)):
        rel = _TREE_VAR.sub("", pattern)
        skips.append(("prefix", rel) if rel != pattern else ("substring", pattern))
    return tuple(skips)


def is_skipped(path: str, config: RustfmtConfig) -> bool:
    """Whether `make rustfmtcheck` leaves `path` (relative to the tree) alone."""
    for kind, value in config.skips:
        if (path.startswith(value + "/") or path == value) if kind == "prefix" else value in path:
            return True
    return False


def format_text(text: str, config: RustfmtConfig) -> subprocess.CompletedProcess[str]:
    """Run rustfmt on `text`; stdout is the formatted text when returncode is 0."""
    argv = [config.rustfmt, "--emit", "stdout", "--edition", config.edition]
    if config.config_path is not None:
        argv += ["--config-path", str(config.config_path)]
    try:
        return subprocess.run(argv, input=text, capture_output=True, text=True)
    except FileNotFoundError:
        raise PatchpilotError(f"{config.rustfmt} is not installed",
                              hint="install it with `rustup component add rustfmt`") from None


def check_rustfmt(path: str, text: str, added_lines: Collection[int],
                  config: RustfmtConfig) -> list[Finding]:
    """Findings for the added lines of `path` (post-image `text`) that rustfmt would change;
    each carries the formatted replacement for lines `line`..`end_line` as its fix."""
    if not path.endswith(".rs") or is_skipped(path, config):
        return []
    proc = format_text(text, config)
    if proc.returncode != 0:
        return [_failure(path, proc.stderr)]
    old, new = text.splitlines(), proc.stdout.splitlines()
    added = set(added_lines)
    found = []
    for start, end, fix in changed_ranges(old, new):
        if added.intersection(range(start, end + 1)):
            found.append(_finding(path, start, end, fix))
    return found


def changed_ranges(old: list[str], new: list[str]) -> list[tuple[int, int, str]]:
    """(first line, last line, replacement) for each region of `old` that differs in `new`;
    pure insertions are widened by one neighbouring line so that they replace something."""
    ranges = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2 and i1 > 0:
            i1, j1 = i1 - 1, j1 - 1
        elif i1 == i2:
            i2, j2 = i2 + 1, j2 + 1
        ranges.append((i1 + 1, max(i2, i1 + 1), "\n".join(new[j1:j2])))
    return ranges


def _finding(path: str, start: int, end: int, fix: str) -> Finding:
    where = f"line {start}" if start == end else f"lines {start}-{end}"
    return Finding(TOOL, "A1", "warning", path, start, f"rustfmt would reformat {where}",
                   "run `rustfmt` with the tree's .rustfmt.toml (or `make rustfmt`)", fix,
                   end if end != start else None)


def _failure(path: str, stderr: str) -> Finding:
    """A syntax error rustfmt reports at a line of the input, or rustfmt not running at all
    (e.g. rustup without a default toolchain)."""
    first = (stderr.strip().splitlines() or ["rustfmt failed"])[0]
    match = _STDIN_LINE.search(stderr)
    if match:
        return Finding(TOOL, "A1", "error", path, int(match.group(1)),
                       f"rustfmt cannot format the file: {first}",
                       "fix the syntax error; rustfmt stops at it")
    return Finding(TOOL, "TOOL", "error", path, None, f"rustfmt did not run: {first}",
                   "check that `rustfmt --version` works in this environment "
                   "(rustup needs RUSTUP_HOME and a default toolchain)")


class Rustfmt:
    """rustfmt as a `Check` over (path, post-image text, added lines) per touched file."""

    name = TOOL

    def __init__(self, tree: Path, rustfmt: str = "rustfmt"):
        self.config = rustfmt_config(tree, rustfmt)

    def run(self, patches: Iterable[Iterable[tuple[str, str, Collection[int]]]]
            ) -> list[list[Finding]]:
        """`patches`: per patch, a sequence of (path, text, added lines) for its files."""
        return [[f for path, text, added in files
                 for f in check_rustfmt(path, text, added, self.config)] for files in patches]
