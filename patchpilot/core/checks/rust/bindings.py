"""A12: leaf code (outside rust/) reaching the C `bindings` crate, by any path: `bindings::x`,
`kernel::bindings::x`, a `use` of the crate or of its items (renamed or not), a glob, and a
module of the file that re-exports them (`mod sys { pub use kernel::bindings::*; }`).

Works on the syntax tree; one finding per line. No git, no subprocesses, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.kbuild import is_host_code
from patchpilot.core.checks.rust.ruleset import finding
from patchpilot.core.checks.rust.source import RustSource

_CRATE = re.compile(r"^(::)?(kernel::)?bindings(::|$)")
_SCOPED = ("scoped_identifier", "scoped_type_identifier", "scoped_use_list")


def check_bindings(src: RustSource) -> Iterator[Finding]:
    """A12: every added line of leaf code that names the bindings or a name bound to them."""
    if "bindings" not in src.text or src.path.startswith("rust/") or is_host_code(src):
        return
    names = bound_names(src.of_type("use_declaration"))
    local = _local_bindings(src)
    seen: set[int] = set()
    for node in src.of_type("identifier", "type_identifier"):
        line = syn.line_of(node)
        if line in seen or not src.added(line):
            continue
        how = _reaches_bindings(node, names, local)
        if how:
            seen.add(line)
            yield finding(src, "A12", line, f"leaf code uses the C `bindings` {how}",
                          "use (or add) a safe abstraction in rust/kernel")


def _local_bindings(src: RustSource) -> bool:
    """The file has a `bindings` of its own crate: `mod bindings`, `use r570_144 as
    bindings;`, `use super::bindings;`; a bare `bindings::x` then names that, not the C
    bindings (only `kernel::bindings` does)."""
    for node in src.of_type("mod_item"):
        name = node.child_by_field_name("name")
        if name is not None and syn.text_of(name) == "bindings":
            return True
    for node in src.of_type("use_declaration"):
        arg = node.child_by_field_name("argument")
        for path, bound in _bindings(arg, "") if arg is not None else []:
            if bound == "bindings" and not _CRATE.match(path):
                return True
    return False


def _reaches_bindings(node: Node, names: dict[str, int], local: bool) -> str:
    if node.type == "identifier" and syn.text_of(node) == "bindings" and _crate_segment(node) \
            and not (local and _bare_head(node)):
        return "directly"
    if node.type not in ("identifier", "type_identifier") or syn.text_of(node) not in names:
        return ""
    if syn.enclosing(node, ("use_declaration",)) is not None or not _path_head(node):
        return ""
    name = syn.text_of(node)
    return f"through `{name}` (bound to them on line {names[name]})"


def _bare_head(node: Node) -> bool:
    """`bindings` starts its path (not `kernel::bindings`)."""
    parent = node.parent
    return parent is not None and (parent.type not in _SCOPED
                                   or parent.child_by_field_name("path") == node)


def _crate_segment(node: Node) -> bool:
    """`bindings` as the crate: the head of a path, or right after `kernel::`."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type in _SCOPED:
        path = parent.child_by_field_name("path")
        return path == node or (path is not None and syn.text_of(path) in ("kernel", "::kernel"))
    if parent.type in ("use_list", "use_as_clause"):  # use kernel::{bindings, ...}
        holder = syn.enclosing(node, ("scoped_use_list",))
        path = holder.child_by_field_name("path") if holder is not None else None
        return path is not None and syn.text_of(path) in ("kernel", "::kernel")
    return parent.type == "use_declaration"


def _path_head(node: Node) -> bool:
    """`node` starts a path or stands alone (not the `name` after some other `path::`, not
    the name an item, a binding or a parameter declares)."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type in _SCOPED:
        return parent.child_by_field_name("path") == node
    return all(parent.child_by_field_name(f) != node for f in ("name", "pattern", "alias"))


def bound_names(uses: list[Node]) -> dict[str, int]:
    """Names the `use` declarations bind to the bindings crate or its items, and modules of
    the file that re-export them, with the line that binds each."""
    names: dict[str, int] = {}
    for node in uses:
        arg = node.child_by_field_name("argument")
        for path, bound in _bindings(arg, "") if arg is not None else []:
            if not _CRATE.match(path):
                continue
            if bound != "*":
                names.setdefault(bound, syn.line_of(node))
            holder = syn.enclosing(node, ("mod_item", "function_item"))
            if syn.is_pub(node) and holder is not None and holder.type == "mod_item":
                mod_name = holder.child_by_field_name("name")
                if mod_name is not None:
                    names.setdefault(syn.text_of(mod_name), syn.line_of(node))
    return names


def _bindings(node: Node, prefix: str) -> list[tuple[str, str]]:
    """(full path, the name it binds) for each path a `use` argument imports; "*" for globs."""
    def join(tail: str) -> str:
        return f"{prefix}::{tail}" if prefix else tail

    text = re.sub(r"\s+", "", syn.text_of(node))
    if node.type in ("identifier", "scoped_identifier"):
        return [(join(text), text.rsplit("::", 1)[-1])]
    if node.type == "use_as_clause":
        path, alias = node.child_by_field_name("path"), node.child_by_field_name("alias")
        if path is None or alias is None:
            return []
        return [(join(re.sub(r"\s+", "", syn.text_of(path))), syn.text_of(alias))]
    if node.type == "use_wildcard":
        return [(join(text[:-3] if text.endswith("::*") else text), "*")]
    if node.type == "scoped_use_list":
        path, lst = node.child_by_field_name("path"), node.child_by_field_name("list")
        inner = join(re.sub(r"\s+", "", syn.text_of(path))) if path is not None else prefix
        return _bindings(lst, inner) if lst is not None else []
    if node.type == "use_list":
        return [p for c in node.named_children for p in _bindings(c, prefix)]
    return []
