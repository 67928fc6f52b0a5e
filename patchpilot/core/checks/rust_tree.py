"""The facts the Rust rules read from the kernel tree (TreeContext), and what a directory's
Makefile builds.

- lints: the top Makefile's `rust_common_flags` and `KBUILD_RUSTFLAGS` (-W/-D/-F turn a lint
  on, a later -A turns it off again); `.clippy.toml`'s `disallowed-macros`;
- no_std: scripts/Makefile.build passes `-Zcrate-attr=no_std` to crates outside rust/;
- module licences: include/linux/license.h (`license_is_gpl_compatible`), else the list in
  include/linux/module.h's comment, else the documented 6.12 list (said so in `licenses_from`);
- module! keys: rust/macros/module.rs (`EXPECTED_KEYS`, `REQUIRED_KEYS`);
- per directory: which module object a `.rs` file ends up in, and whether it is a host program
  (`hostprogs`, `<prog>-rust := y`).
Reads files from disk; runs no tools and no git. No UI.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from patchpilot.core.checks import rust_syntax as syn
from patchpilot.core.checks.rust_imports import ALLOWED_FEATURES, prelude_exports
from patchpilot.core.checks.rust_source import RustSource, TreeContext

# Host-side code (proc macros, build scripts) runs in the build, with std, and reports errors
# by panicking: the kernel-code rules do not apply.
HOST_PREFIXES = ("rust/macros/", "scripts/")
# The strings include/linux/license.h accepts in 6.12, for a tree that lacks the header.
DOCUMENTED_LICENSES = frozenset((
    "GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL",
    "Dual MPL/GPL"))
LINT_VARIABLES = ("rust_common_flags", "KBUILD_RUSTFLAGS")
# Lints that are on when their clippy group is (the group named on the command line).
GROUP_OF = {"clippy::disallowed_macros": "clippy::all"}
_LINT_FLAG = re.compile(r"^-([WDAF])\s*([a-z_][a-z0-9_:]*)$")
_STRCMP = re.compile(r'strcmp\(\s*license\s*,\s*"([^"]+)"\s*\)')
_MODULE_H_IDENT = re.compile(r'^\s*\*\s+"([^"]+)"\s+\[', re.MULTILINE)


def tree_context(tree: Path) -> TreeContext:
    """The facts the Rust rules read from the kernel tree at `tree` (missing files: None)."""
    features = None
    build = _read(tree / "scripts" / "Makefile.build")
    if build is not None:
        match = ALLOWED_FEATURES.search(build)
        if match:
            features = frozenset(f.strip() for f in match.group(1).split(",") if f.strip())
    paths: set[str] = set()
    globs: set[str] = set()
    prelude = _read(tree / "rust" / "kernel" / "prelude.rs")
    if prelude is not None:
        paths, globs = prelude_exports(prelude)
    makefile = _read(tree / "Makefile")
    licenses, origin = read_licenses(tree)
    keys = read_module_keys(_read(tree / "rust" / "macros" / "module.rs"))
    return TreeContext(
        features, frozenset(paths), frozenset(globs),
        lints=lint_set(makefile) if makefile is not None else None,
        disallowed_macros=disallowed_macros(_read(tree / ".clippy.toml")),
        no_std=None if build is None else "-Zcrate-attr=no_std" in build,
        licenses=licenses, licenses_from=origin,
        module_keys=keys[0] if keys else None, module_required=keys[1] if keys else None,
        tree=tree)


def _read(path: Path) -> str | None:
    return path.read_text(errors="replace") if path.is_file() else None


def make_values(text: str, names: tuple[str, ...]) -> list[str]:
    """The words assigned (`:=`, `=`, `+=`, `?=`) to the make variables `names`, in file order,
    continuation lines joined."""
    pattern = re.compile(r"^(?:export\s+)?(" + "|".join(map(re.escape, names)) +
                         r")\s*(?::=|\+=|\?=|=)((?:.*\\\n)*.*)$", re.MULTILINE)
    words: list[str] = []
    for match in pattern.finditer(text):
        words += match.group(2).replace("\\\n", " ").split()
    return words


def lint_set(makefile: str) -> frozenset[str]:
    """The lints the top Makefile turns on for kernel code."""
    state: dict[str, bool] = {}
    for word in make_values(makefile, LINT_VARIABLES):
        match = _LINT_FLAG.match(word)
        if match:
            state[match.group(2).replace("-", "_")] = match.group(1) != "A"
    return frozenset(lint for lint, on in state.items() if on)


def lint_enabled(ctx: TreeContext | None, lint: str) -> bool:
    """Whether the tree turns `lint` on (by name, or through its group). Unknown tree: no."""
    if ctx is None or ctx.lints is None:
        return False
    group = GROUP_OF.get(lint)
    return lint in ctx.lints or (group is not None and group in ctx.lints)


def disallowed_macros(text: str | None) -> tuple[str, ...] | None:
    """The macro paths `.clippy.toml` disallows (None: no readable file)."""
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    paths = []
    for entry in data.get("disallowed-macros", []):
        path = entry.get("path") if isinstance(entry, dict) else entry
        if isinstance(path, str):
            paths.append(path)
    return tuple(paths)


def read_licenses(tree: Path) -> tuple[frozenset[str], str]:
    """The GPL-compatible module licence strings and the file they were read from."""
    header = _read(tree / "include" / "linux" / "license.h")
    found = frozenset(_STRCMP.findall(header or ""))
    if found:
        return found, "include/linux/license.h"
    module_h = _read(tree / "include" / "linux" / "module.h") or ""
    free = module_h.split("The following other idents", 1)[0] if module_h else ""
    found = frozenset(_MODULE_H_IDENT.findall(free))
    if found:
        return found, "include/linux/module.h"
    return DOCUMENTED_LICENSES, ("the 6.12 list of include/linux/license.h (this tree has no "
                                 "include/linux/license.h or module.h to read it from)")


def read_module_keys(text: str | None) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(EXPECTED_KEYS, REQUIRED_KEYS) of rust/macros/module.rs, or None."""
    if text is None:
        return None
    found: dict[str, tuple[str, ...]] = {}
    for node in syn.walk(syn.parse(text).root_node):
        name = node.child_by_field_name("name") if node.type == "const_item" else None
        if name is not None and syn.text_of(name) in ("EXPECTED_KEYS", "REQUIRED_KEYS"):
            found[syn.text_of(name)] = tuple(
                syn.text_of(s) for s in syn.walk(node) if s.type == "string_content")
    if "EXPECTED_KEYS" not in found or "REQUIRED_KEYS" not in found:
        return None
    return found["EXPECTED_KEYS"], found["REQUIRED_KEYS"]


# -- what a directory builds ------------------------------------------------------------------

@dataclass(frozen=True)
class DirBuild:
    """What one directory's Makefile/Kbuild builds: module objects (object stem -> module
    name) and Rust host programs."""

    modules: dict[str, str]
    host_programs: frozenset[str]
    rust_host: bool


def parse_kbuild(text: str) -> DirBuild:
    """Read `obj-... += x.o`, composite `x-y := a.o b.o` / `x-objs`, `hostprogs... := p` and
    `p-rust := y` from a kbuild makefile."""
    text = text.replace("\\\n", " ")
    built = set()
    composite: dict[str, list[str]] = {}
    hosts: set[str] = set()
    for line in text.splitlines():
        match = re.match(r"^\s*([\w$()-]+?)\s*(?::=|\+=|=)\s*(.*)$", line)
        if not match:
            continue
        var, words = match.group(1), match.group(2).split()
        objs = [w[:-2] for w in words if w.endswith(".o")]
        if var.startswith("obj-"):
            built.update(objs)
        elif var.startswith(("hostprogs", "always")):
            hosts.update(words)
        elif re.match(r"^[\w-]+-(y|objs|\$\(CONFIG_\w+\))$", var):
            composite.setdefault(var.rsplit("-", 1)[0], []).extend(objs)
    modules = {stem: stem for stem in built}
    for name, parts in composite.items():
        if name in built:
            modules.update({part: name for part in parts})
    rust_hosts = frozenset(re.findall(r"^\s*([\w-]+)-rust\s*:?=\s*y\s*$", text, re.MULTILINE))
    return DirBuild(modules, frozenset(hosts) | rust_hosts, bool(rust_hosts))


def dir_build(src: RustSource) -> DirBuild | None:
    """What the directory of `src` builds: its Kbuild/Makefile as the patch leaves it, None
    when there is none."""
    directory = src.path.rpartition("/")[0]
    for name in ("Kbuild", "Makefile"):
        text = src.tree_file(f"{directory}/{name}" if directory else name)
        if text is not None:
            return _parsed_kbuild(text)
    return None


@lru_cache(maxsize=256)
def _parsed_kbuild(text: str) -> DirBuild:
    return parse_kbuild(text)


def is_host_code(src: RustSource) -> bool:
    """Proc macros, build scripts and Rust host programs (a `hostprogs` entry, or a file the
    directory does not build into a module when it builds Rust host programs)."""
    if src.path.startswith(HOST_PREFIXES):
        return True
    if src.path.startswith("rust/"):
        return False
    build = dir_build(src)
    if build is None:
        return False
    stem = src.path.rpartition("/")[2][:-3]
    return stem in build.host_programs or (build.rust_host and stem not in build.modules)


def module_name(src: RustSource) -> str | None:
    """The name of the module object `src` is built into, when its Makefile says."""
    build = dir_build(src)
    stem = src.path.rpartition("/")[2][:-3]
    return build.modules.get(stem) if build is not None else None
