"""Panics and what `.clippy.toml` forbids, on the syntax tree: panicking shortcuts in kernel
code (A10), the disallowed macros (A11) and methods (A28).

A10 leaves alone what cannot panic at run time or is already justified: code evaluated at
compile time (`const { }`, `const`/`static` initialisers, array lengths, `const fn`, where a
panic is a build error) and a panic under a `// PANIC:` comment (the tree's way to say why it
cannot happen, as `// SAFETY:` does for unsafe code). No git, no subprocesses, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.kbuild import is_host_code
from patchpilot.core.checks.rust.ruleset import finding
from patchpilot.core.checks.rust.safety import comment_lines_above
from patchpilot.core.checks.rust.source import RustSource

_PANIC_MACROS = ("panic", "unreachable", "todo", "unimplemented")
_CONST_CONTEXTS = ("const_block", "const_item", "static_item", "array_type", "const_parameter")


def check_panics(src: RustSource) -> Iterator[Finding]:
    """A10: panicking shortcuts outside tests, doctests, host code and const contexts; the
    same shortcut repeated in a file (`Bounded::try_new(..).unwrap()` in every `From` impl)
    is one finding with its count, as a reviewer says it once."""
    if is_host_code(src):
        return
    groups: dict[str, list[tuple[int, str]]] = {}
    for node in src.of_type("macro_invocation", "call_expression"):
        what, at = _panicking(node)
        if not what or not src.added(syn.line_of(at)) or syn.in_test_code(node):
            continue
        if in_const_context(node) or _justified(src, node):
            continue
        groups.setdefault(_shape(node), []).append((syn.line_of(at), what))
    for places in groups.values():
        line, what = places[0]
        more = f" (and {len(places) - 1} more like it: lines " + ", ".join(
            str(p[0]) for p in places[1:6]) + (", ..." if len(places) > 6 else "") + ")" \
            if len(places) > 1 else ""
        yield finding(src, "A10", line, f"{what} can panic in kernel code{more}",
                      "return an error (`?`, `ok_or(EINVAL)?`) instead; if it truly "
                      "cannot fail, say why in a `// PANIC:` comment and document `# Panics`")


def _shape(node: Node) -> str:
    """The panicking expression with its arguments left out: `Bounded::try_new(..).unwrap()`."""
    text = re.sub(r"\s+", "", syn.text_of(node))
    while True:
        shorter = re.sub(r"\([^()]*\)", "\x00", text)
        if shorter == text:
            return text.replace("\x00", "(..)")
        text = shorter


def _panicking(node: Node) -> tuple[str | None, Node]:
    """What panics here and the node whose line to report (the method name in a chain)."""
    if node.type == "macro_invocation":
        name = syn.macro_name(node)
        return (f"`{name}!`" if name in _PANIC_MACROS else None, node)
    func = node.child_by_field_name("function") if node.type == "call_expression" else None
    if func is None or func.type != "field_expression":
        return (None, node)
    field = func.child_by_field_name("field")
    name = syn.text_of(field) if field is not None else ""
    return (f"`.{name}()`" if name in ("unwrap", "expect") else None, field or node)


def in_const_context(node: Node) -> bool:
    """Evaluated at compile time: inside `const { }`, a `const`/`static` item, an array
    length, or a `const fn` (where a panic stops the build, not the kernel)."""
    current = node.parent
    while current is not None:
        if current.type in _CONST_CONTEXTS:
            return True
        if current.type == "function_item":
            return syn.has_modifier(current, "const")
        current = current.parent
    return False


def _justified(src: RustSource, node: Node) -> bool:
    """A `// PANIC:` comment on the lines right above the statement (or the panic)."""
    current: Node | None = node
    while current is not None:
        if any("PANIC:" in text for text in comment_lines_above(src, syn.line_of(current))):
            return True
        if current.parent is None or current.parent.type in syn.STATEMENT_PARENTS \
                or current.type == "match_arm":
            return False
        current = current.parent
    return False


def check_disallowed_macros(src: RustSource) -> Iterator[Finding]:
    """A11: the macros `.clippy.toml` disallows (`kernel::dbg`); `dbg!` when the tree's list is
    not known."""
    ctx = src.context
    listed = ctx.disallowed_macros if ctx is not None and ctx.disallowed_macros is not None \
        else ("kernel::dbg",)
    banned = {path.rsplit("::", 1)[-1]: path for path in listed}
    for node in src.of_type("macro_invocation"):
        if syn.macro_name(node) in banned \
                and src.added(syn.line_of(node)):
            name = syn.macro_name(node)
            hint = "remove it, or log with `pr_debug!`" if name == "dbg" else \
                f"`{banned[name]}` is in .clippy.toml disallowed-macros"
            yield finding(src, "A11", syn.line_of(node), f"`{name}!` left in the code", hint)


def check_disallowed_methods(src: RustSource) -> Iterator[Finding]:
    """A28: the methods `.clippy.toml` disallows (`CStr::as_ptr`, `CStr::from_ptr` in 7.3),
    where the syntax tree shows the type: a path call (`CStr::from_ptr(p)`), or a method
    called on a C string literal, on `c_str!(..)` or on a name declared `&CStr` in the same
    function."""
    ctx = src.context
    methods = ctx.disallowed_methods if ctx is not None else None
    if not methods:
        return
    wanted: dict[tuple[str, str], tuple[str, str]] = {}
    for path, advice in methods:
        parts = path.split("::")
        if len(parts) >= 2:
            wanted[(parts[-2], parts[-1])] = (path, advice)
    names = {method for _, method in wanted}
    for node in src.of_type("call_expression"):
        func = node.child_by_field_name("function")
        if func is None or not src.added(syn.line_of(node)):
            continue
        hit = _disallowed(func, wanted, names)
        if hit is not None:
            path, advice = hit
            yield finding(src, "A28", syn.line_of(node),
                          f"`{path}` is disallowed by .clippy.toml",
                          advice or "see .clippy.toml disallowed-methods")


def _disallowed(func: Node, wanted: dict[tuple[str, str], tuple[str, str]],
                names: set[str]) -> tuple[str, str] | None:
    if func.type == "scoped_identifier":
        parts = re.sub(r"\s+", "", syn.text_of(func)).split("::")
        return wanted.get((parts[-2], parts[-1])) if len(parts) >= 2 else None
    if func.type != "field_expression":
        return None
    field, value = func.child_by_field_name("field"), func.child_by_field_name("value")
    if field is None or value is None or syn.text_of(field) not in names:
        return None
    type_name = _receiver_type(value)
    return wanted.get((type_name, syn.text_of(field))) if type_name else None


def _receiver_type(value: Node) -> str:
    """`CStr` when the receiver is visibly one, else ''."""
    text = syn.text_of(value)
    if value.type == "string_literal" and text.startswith('c"'):
        return "CStr"
    if value.type == "macro_invocation" and syn.macro_name(value) == "c_str":
        return "CStr"
    if value.type == "identifier":
        func = syn.enclosing(value, ("function_item",))
        for node in syn.walk(func) if func is not None else ():
            if node.type not in ("parameter", "let_declaration"):
                continue
            pattern, ty = node.child_by_field_name("pattern"), node.child_by_field_name("type")
            if pattern is not None and ty is not None and syn.text_of(pattern) == text \
                    and re.sub(r"[&\s]|'\w+", "", syn.text_of(ty)).rsplit("::", 1)[-1] == "CStr":
                return "CStr"
    return ""
