"""The facts the Rust rules read from the kernel tree (TreeContext); what the Makefiles build
is read by kbuild.py.

- lints: the top Makefile's `rust_common_flags` and `KBUILD_RUSTFLAGS` (-W/-D/-F turn a lint
  on, a later -A turns it off again); `.clippy.toml`'s `disallowed-macros`;
- no_std: scripts/Makefile.build passes `-Zcrate-attr=no_std` to crates outside rust/;
- module licences: include/linux/license.h (`license_is_gpl_compatible`), else the list in
  include/linux/module.h's comment, else the documented 6.12 list (said so in `licenses_from`);
- module! keys: rust/macros/module.rs (`EXPECTED_KEYS`, `REQUIRED_KEYS` up to 6.x; the
  `parse_ordered_fields!` of `ModuleInfo` since the syn rewrite);
- `.clippy.toml`'s `disallowed-methods`; bindgen's `--newtype-enum` types (rust/bindgen_parameters);
- vendored directories (the top Makefile's `rustfmt` target), host and kernel crates
  (rust/Makefile).
A fact a rule needs that cannot be read is listed in `TreeContext.unread` (doctor and `check`
say so).
Reads files from disk; runs no tools and no git. No UI.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from pathlib import Path

from tree_sitter import Node

from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.kbuild import rust_crates, vendored_dirs
from patchpilot.core.checks.rust.paths import ALLOWED_FEATURES, prelude_exports
from patchpilot.core.checks.rust.source import TreeContext

# The strings include/linux/license.h accepts in 6.12, for a tree that lacks the header.
DOCUMENTED_LICENSES = frozenset((
    "GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL",
    "Dual MPL/GPL"))
LINT_VARIABLES = ("rust_common_flags", "KBUILD_RUSTFLAGS")
# Lints that are on when their clippy group is (the group named on the command line).
# Lints that are on (or allowed) with their clippy groups (clippy::all, or the group in it).
GROUP_OF = {"clippy::disallowed_macros": ("clippy::all", "clippy::style"),
            "clippy::disallowed_methods": ("clippy::all", "clippy::style"),
            "clippy::missing_safety_doc": ("clippy::all", "clippy::style"),
            "clippy::no_mangle_with_rust_abi": ("clippy::all", "clippy::suspicious")}
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
    macros = _read(tree / "rust" / "macros" / "module.rs")
    keys = read_module_keys(macros)
    clippy = _read(tree / ".clippy.toml")
    crates = rust_crates(_read(tree / "rust" / "Makefile") or "")
    ctx = TreeContext(
        features, frozenset(paths), frozenset(globs),
        lints=lint_set(makefile) if makefile is not None else None,
        disallowed_macros=disallowed(clippy, "disallowed-macros"),
        no_std=None if build is None else "-Zcrate-attr=no_std" in build,
        licenses=licenses, licenses_from=origin,
        module_keys=keys[0] if keys else None, module_required=keys[1] if keys else None,
        tree=tree,
        denied_lints=lint_set(makefile, denied=True) if makefile is not None else None,
        disallowed_methods=disallowed_methods(clippy),
        vendored=vendored_dirs(makefile or ""), host_crates=crates[0], kernel_crates=crates[1],
        newtypes=newtype_enums(_read(tree / "rust" / "bindgen_parameters") or ""))
    unread = []
    if macros is not None and keys is None:
        unread.append(("A26", "the `module!` keys: rust/macros/module.rs has neither "
                              "EXPECTED_KEYS nor a `parse_ordered_fields!` for ModuleInfo"))
    if makefile is None:
        unread.append(("lints", "the lint set: the tree has no top Makefile"))
    elif "rust_common_flags" not in makefile:
        unread.append(("lints", "the lint set: the top Makefile has no rust_common_flags"))
    if clippy is not None and ctx.disallowed_macros is None:
        unread.append(("A11", "the disallowed macros: .clippy.toml does not parse"))
    if (tree / "rust").is_dir() and not any(crates):
        unread.append(("crates", "which crates rust/Makefile builds for the host"))
    return replace(ctx, unread=tuple(unread))


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


def lint_set(makefile: str, denied: bool = False) -> frozenset[str]:
    """The lints the top Makefile turns on for kernel code (with `denied`: those it turns
    into errors, -D/-F)."""
    state: dict[str, str] = {}
    for word in make_values(makefile, LINT_VARIABLES):
        match = _LINT_FLAG.match(word)
        if match:
            state[match.group(2).replace("-", "_")] = match.group(1)
    wanted = "DF" if denied else "WDF"
    return frozenset(lint for lint, level in state.items() if level in wanted)


def lint_enabled(ctx: TreeContext | None, lint: str) -> bool:
    """Whether the tree turns `lint` on (by name, or through its group). Unknown tree: no."""
    if ctx is None or ctx.lints is None:
        return False
    return lint in ctx.lints or any(group in ctx.lints for group in GROUP_OF.get(lint, ()))


def _toml(text: str | None) -> dict[str, object] | None:
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def disallowed(text: str | None, key: str) -> tuple[str, ...] | None:
    """The paths `.clippy.toml` lists under `key` (None: no readable file)."""
    data = _toml(text)
    if data is None:
        return None
    entries = data.get(key, [])
    paths = []
    for entry in entries if isinstance(entries, list) else []:
        path = entry.get("path") if isinstance(entry, dict) else entry
        if isinstance(path, str):
            paths.append(path)
    return tuple(paths)


def disallowed_macros(text: str | None) -> tuple[str, ...] | None:
    """The macro paths `.clippy.toml` disallows (None: no readable file)."""
    return disallowed(text, "disallowed-macros")


def disallowed_methods(text: str | None) -> tuple[tuple[str, str], ...] | None:
    """(path, advice) for each `.clippy.toml` `disallowed-methods` entry (None: no file)."""
    data = _toml(text)
    if data is None:
        return None
    found = []
    entries = data.get("disallowed-methods", [])
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str):
            found.append((entry, ""))
        elif isinstance(entry, dict) and isinstance(entry.get("path"), str):
            advice = [f"use `{entry['replacement']}`" if entry.get("replacement") else "",
                      str(entry.get("reason", ""))]
            found.append((entry["path"], ": ".join(a for a in advice if a)))
    return tuple(found)


def newtype_enums(params: str) -> frozenset[str]:
    """The types bindgen makes tuple structs (`--newtype-enum x`), with the `x_t` typedef the
    C side usually gives them."""
    names = re.findall(r"^--newtype-enum\s+(\w+)\s*$", params, re.MULTILINE)
    return frozenset(names) | frozenset(f"{n}_t" for n in names)


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
    """(the keys in order, the required keys) of rust/macros/module.rs: its EXPECTED_KEYS and
    REQUIRED_KEYS (up to 6.x), or the `parse_ordered_fields!` of `impl Parse for ModuleInfo`
    (the syn rewrite); None when neither is there."""
    if text is None:
        return None
    found: dict[str, tuple[str, ...]] = {}
    root = syn.parse(text).root_node
    for node in syn.walk(root):
        name = node.child_by_field_name("name") if node.type == "const_item" else None
        if name is not None and syn.text_of(name) in ("EXPECTED_KEYS", "REQUIRED_KEYS"):
            found[syn.text_of(name)] = tuple(
                syn.text_of(s) for s in syn.walk(node) if s.type == "string_content")
    if "EXPECTED_KEYS" in found and "REQUIRED_KEYS" in found:
        return found["EXPECTED_KEYS"], found["REQUIRED_KEYS"]
    return _ordered_fields(root)


_FIELD = re.compile(r"^\s*(\w+)(?:\s+as\s+\w+)?\s*(\[required\])?\s*=>", re.MULTILINE)


def _ordered_fields(root: Node) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    for impl in (n for n in root.children if n.type == "impl_item"):
        ty = impl.child_by_field_name("type")
        if ty is None or syn.text_of(ty) != "ModuleInfo":
            continue
        for node in syn.walk(impl):
            if node.type == "macro_invocation" and syn.macro_name(node) == "parse_ordered_fields":
                fields = _FIELD.findall(syn.text_of(node))
                if fields:
                    return (tuple(k for k, _ in fields), tuple(k for k, r in fields if r))
    return None
