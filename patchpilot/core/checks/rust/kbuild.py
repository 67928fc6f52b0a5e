"""What the tree's Makefiles build, for the Rust rules: per directory, which module object a
`.rs` file ends up in and whether it is a host program (`hostprogs`, `<prog>-rust := y`); in
rust/, which crates are host crates (proc macros and their libraries) and which files no crate
builds; and which directories `make rustfmt` leaves out as vendored (imported from upstream).
Reads files from disk; runs no tools and no git. No UI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from patchpilot.core.checks.rust.source import RustSource

# Host-side code (proc macros, build scripts, userspace tools) runs in the build or in user
# space, with std, and reports errors by panicking: the kernel-code rules do not apply.
HOST_PREFIXES = ("rust/macros/", "scripts/", "tools/")


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


def dir_build(src: RustSource, directory: str | None = None) -> DirBuild | None:
    """What the directory of `src` (or `directory`) builds: its Kbuild/Makefile as the patch
    leaves it, None when there is none."""
    directory = src.path.rpartition("/")[0] if directory is None else directory
    for name in ("Kbuild", "Makefile"):
        text = src.tree_file(f"{directory}/{name}" if directory else name)
        if text is not None:
            return _parsed_kbuild(text)
    return None


@lru_cache(maxsize=256)
def _parsed_kbuild(text: str) -> DirBuild:
    return parse_kbuild(text)


def is_host_code(src: RustSource) -> bool:
    """Proc macros, build scripts, userspace tools and Rust host programs (a `hostprogs`
    entry, or a file the directory does not build into a module when it builds Rust host
    programs); in rust/, the host crates of rust/Makefile and files no crate builds."""
    if src.path.startswith(HOST_PREFIXES):
        return True
    if src.path.startswith("rust/"):
        ctx = src.context
        if ctx is None or not (ctx.host_crates or ctx.kernel_crates):
            return False
        host = _longest(src.path, ctx.host_crates)
        kernel = _longest(src.path, ctx.kernel_crates)
        return len(host) > len(kernel) or not (host or kernel)
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


def _longest(path: str, roots: tuple[str, ...]) -> str:
    """The longest crate root (a directory or a file) `path` is in ('' for none)."""
    inside = [r for r in roots if path == r or path.startswith(r.rstrip("/") + "/")]
    return max(inside, key=len, default="")


def built_with_kernel_flags(src: RustSource) -> bool:
    """Whether kbuild compiles the file with the top Makefile's lint flags: not userspace
    tools (tools/ has its own build), not a file of rust/ that no crate of rust/Makefile
    builds (rust/pin-init/examples)."""
    if src.path.startswith("tools/"):
        return False
    ctx = src.context
    if not src.path.startswith("rust/") or ctx is None or not (ctx.host_crates
                                                               or ctx.kernel_crates):
        return True
    return bool(_longest(src.path, ctx.host_crates) or _longest(src.path, ctx.kernel_crates))


def is_vendored(src: RustSource) -> bool:
    """Code `make rustfmt` leaves out as imported from upstream (rust/syn, rust/alloc ...)."""
    ctx = src.context
    return ctx is not None and _longest(src.path, ctx.vendored) != ""


_TARGET = re.compile(r"^\$\(obj\)/(\S+?):\s*\$\(src\)/(\S+\.rs)\b", re.MULTILINE)


def rust_crates(makefile: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(host crates, kernel crates) rust/Makefile builds, each by the directory of its
    `lib.rs` root (or the root file itself), relative to the tree: a target built with
    `rustc_procmacro`/`rustc_procmacrolibrary` is a host crate, an object file a kernel one."""
    host: list[str] = []
    kernel: list[str] = []
    matches = list(_TARGET.finditer(makefile))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(makefile)
        recipe = makefile[match.end():end].split("\n\n", 1)[0]
        root = "rust/" + match.group(2)
        where = root.rpartition("/")[0] if root.endswith("/lib.rs") else root
        if "rustc_procmacro" in recipe:
            host.append(where)
        elif match.group(1).endswith(".o"):
            kernel.append(where)
    return tuple(host), tuple(kernel)



def vendored_dirs(makefile: str) -> tuple[str, ...]:
    """The directories the top Makefile's `rustfmt` target prunes from its `find`."""
    match = re.search(r"^rustfmt:\n((?:\t.*\n?)+)", makefile, re.MULTILINE)
    if match is None:
        return ()
    body = match.group(1).replace("\\\n", " ")
    return tuple(dict.fromkeys(re.findall(r"-path\s+\$\((?:abs_)?srctree\)/(\S+)", body)))
