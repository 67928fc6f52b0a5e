"""`patchpilot doctor`: is this machine ready to check Rust kernel patches?

Runs the real tools (`--version`) and compares them with the tree's
`scripts/min-tool-version.sh`; every item says what to do when it is missing or too old.
klint is optional: without it the item is a note. Also says whether the repository's
commit-graph has Bloom filters (cheaper history walks).
No UI, no printing.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from patchpilot.core.checks.clippy import rust_enabled
from patchpilot.core.checks.history import has_bloom_filters
from patchpilot.core.checks.klint import INSTALL, LEXICAL, find_klint

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Item:
    """One line of the report: `status` is ok, missing, old or info."""

    name: str
    status: str
    found: str | None
    required: str | None
    hint: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _output(argv: list[str], cwd: Path | None = None) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (proc.stdout or proc.stderr).strip() if proc.returncode == 0 else None


def version_of(text: str | None) -> tuple[int, ...] | None:
    match = _VERSION.search(text or "")
    return tuple(int(g or 0) for g in match.groups()) if match else None


def min_version(tree: Path, tool: str, arch: tuple[str, str] | None = None) -> str | None:
    """What the tree's scripts/min-tool-version.sh asks for on `arch` (ARCH, SRCARCH; 7.3
    sets the rustc minimum per architecture), None when it cannot say."""
    script = tree / "scripts" / "min-tool-version.sh"
    if not script.is_file():
        return None
    env = {**os.environ, "ARCH": arch[0], "SRCARCH": arch[1]} if arch else None
    try:
        proc = subprocess.run(["sh", str(script), tool], cwd=tree, capture_output=True,
                              text=True, timeout=30, stdin=subprocess.DEVNULL, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def target_arch(tree: Path, arch: str | None = None,
                machine: str | None = None) -> tuple[str, str]:
    """(ARCH, SRCARCH) the build would use: `arch` (or $ARCH) if given, else the host's
    `uname -m` mapped the way the tree's scripts/subarch.include does; SRCARCH by the top
    Makefile's `ifeq ($(ARCH),x) SRCARCH := y` blocks."""
    chosen = arch or os.environ.get("ARCH") or _subarch(tree, machine or platform.machine())
    makefile = _read(tree / "Makefile")
    srcarch = chosen
    for name, value in re.findall(r"ifeq \(\$\(ARCH\),(\w+)\)\s*\n\s*SRCARCH\s*:=\s*(\w+)",
                                  makefile):
        if name == chosen:
            srcarch = value
    return chosen, srcarch


def _subarch(tree: Path, machine: str) -> str:
    text = _read(tree / "scripts" / "subarch.include") or _read(tree / "Makefile")
    match = re.search(r"^SUBARCH\s*:=\s*\$\(shell uname -m \| sed((?:.*\\\n)*.*)\)",
                      text, re.MULTILINE)
    result = machine
    for pattern, replacement in re.findall(r"-e\s+s/([^/]*)/([^/]*)/",
                                           match.group(1) if match else ""):
        result = re.sub(pattern.replace("\\", ""), replacement, result)
    return result


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() else ""


def rule_facts(tree: Path) -> list[Item]:
    """One note per fact the Rust rules cannot read from this tree (a tree newer than the
    rules know): what they do not check."""
    from patchpilot.core.checks.rust.tree import tree_context

    return [Item(f"rules {rule}", "info", None, None,
                 f"cannot read {what}; that check does not run on this tree")
            for rule, what in tree_context(tree).unread]


def _tool(name: str, argv: list[str], hint: str, required: str | None = None) -> Item:
    out = _output(argv)
    if out is None:
        return Item(name, "missing", None, required, hint)
    found = out.splitlines()[0]
    if required and (version_of(found) or ()) < (version_of(required) or ()):
        return Item(name, "old", found, required, hint)
    return Item(name, "ok", found, required, "")


def _rust_src() -> Item:
    sysroot = _output(["rustc", "--print", "sysroot"])
    hint = "rustup component add rust-src (the kernel builds core and alloc from it)"
    if sysroot is None:
        return Item("rust-src", "missing", None, None, hint)
    library = Path(sysroot) / "lib/rustlib/src/rust/library"
    return Item("rust-src", "ok" if library.is_dir() else "missing",
                str(library) if library.is_dir() else None, None,
                "" if library.is_dir() else hint)


def _kbuild(kbuild: str) -> Item:
    if not kbuild:
        return Item("Rust build", "info", None, None,
                    "no build configured: clippy does not run; set checks.kbuild to a "
                    "build dir with CONFIG_RUST=y (git config patchpilot.checks.kbuild DIR)")
    path = Path(kbuild).expanduser()
    if rust_enabled(path):
        return Item("Rust build", "ok", str(path), None, "")
    return Item("Rust build", "missing", str(path), "CONFIG_RUST=y",
                f"configure it: make O={path} LLVM=1 rustavailable, then enable CONFIG_RUST")


def _klint(setting: str) -> Item:
    """klint is optional: missing is a note (the lexical A27 rule stands in for it)."""
    binary = find_klint(setting)
    if binary is None:
        where = f"checks.klint = {setting} is not an executable" if setting.strip() else \
            "not installed"
        return Item("klint", "info", None, None, f"{where}: {LEXICAL}; {INSTALL}")
    out = _output([binary, "--version"])
    return Item("klint", "ok", (out or binary).splitlines()[0], None,
                "" if out is not None else f"{binary} --version failed")


BLOOM_HINT = ("path-limited history walks (the subject-prefix rule) read every commit's "
              "tree; make them several times cheaper, once: git commit-graph write --reachable "
              "--changed-paths (git gc keeps the filters afterwards)")


def _bloom(git_dir: Path | None) -> Item:
    """Whether the commit-graph has changed-path Bloom filters (info only: checks run
    without them, bounded either way)."""
    if git_dir is not None and has_bloom_filters(git_dir):
        return Item("history", "ok", "commit-graph with changed-path Bloom filters", None, "")
    graph = git_dir is not None and (git_dir / "objects/info/commit-graph").is_file()
    return Item("history", "info", "commit-graph without Bloom filters" if graph else None,
                None, BLOOM_HINT)


def diagnose(tree: Path, kbuild: str = "", klint: str = "",
             git_dir: Path | None = None, arch: str | None = None) -> list[Item]:
    """Every item, in the order a person would fix them; the minimum versions are those of
    `arch` (default: $ARCH, else this machine's architecture)."""
    target = target_arch(tree, arch)
    rustc_min = min_version(tree, "rustc", target)
    bindgen_min, llvm_min = min_version(tree, "bindgen", target), min_version(tree, "llvm", target)
    where = f"for ARCH={target[0]}"
    rustc_hint = (f"install with rustup (https://rustup.rs), at least {rustc_min} {where}"
                  if rustc_min else "install with rustup (https://rustup.rs); the tree's "
                  f"scripts/min-tool-version.sh gives no rustc minimum {where}")
    return [
        _tool("rustc", ["rustc", "--version"], rustc_hint, rustc_min),
        _tool("bindgen", ["bindgen", "--version"], "cargo install --locked bindgen-cli "
              f"(at least {bindgen_min})", bindgen_min),
        _tool("rustfmt", ["rustfmt", "--version"], "rustup component add rustfmt"),
        _tool("clippy", ["clippy-driver", "--version"], "rustup component add clippy"),
        _rust_src(),
        _tool("clang", ["clang", "--version"], "apt-get install clang lld llvm (the kernel's "
              f"Rust support needs LLVM=1, at least {llvm_min})", llvm_min),
        _tool("ld.lld", ["ld.lld", "--version"], "apt-get install lld", llvm_min),
        _tool("perl", ["perl", "-e", "print $^V"], "apt-get install perl (checkpatch.pl)"),
        _kbuild(kbuild),
        _klint(klint),
        _bloom(git_dir),
        *rule_facts(tree),
    ]


NEEDED = ("rustfmt", "perl")  # without these `check` cannot run
# what each item is for, as the last line of the report says it
PURPOSE = {"rustc": "building Rust", "bindgen": "building Rust", "rust-src": "building Rust",
           "clang": "building Rust", "ld.lld": "building Rust", "clippy": "clippy",
           "Rust build": "clippy", "rustfmt": "rustfmt", "perl": "checkpatch",
           "rustavailable": "building Rust"}


def healthy(items: list[Item]) -> bool:
    """Whether everything a check run needs is there (a missing build is only info)."""
    return all(item.status == "ok" for item in items if item.name in NEEDED)


def summary(items: list[Item]) -> str:
    """One line: whether `check` can run, and what is missing (or too old) for what."""
    lacking = [i for i in items if i.status in ("missing", "old")
               or (i.status == "info" and i.name in PURPOSE)]
    if not lacking:
        return "everything is there: check runs every tool, clippy included"
    by_use: dict[str, list[str]] = {}
    for item in lacking:
        word = item.name if item.status != "old" else f"{item.name} (too old)"
        if item.status == "info":
            word = f"{item.name} (not configured)"
        by_use.setdefault(PURPOSE.get(item.name, "other uses"), []).append(word)
    missing = "; ".join(f"for {use}: {', '.join(names)}" for use, names in by_use.items())
    if not healthy(items):
        return f"check cannot run; missing {missing}"
    return f"check can run (optional parts are missing); missing {missing}"
