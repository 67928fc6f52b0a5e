"""Unsafe operations outside `unsafe {}` in an `unsafe fn` (A18, the tree denies
unsafe_op_in_unsafe_fn) and `static mut` (A25), on the syntax tree.

What counts as an unsafe operation, lexically: dereferencing a name known to be a raw pointer
(a parameter or `let` typed `*const`/`*mut`, a cast to one, a pointer-returning call, a field
of the file's structs declared as one), calling `bindings::*`, an `unsafe fn` the file declares
(by name, unless a safe one shares it) or a few unsafe functions of core, and reading or writing
a `static mut` of the file. Macro arguments are not parsed and not looked at. No git, no
subprocesses, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.ruleset import finding
from patchpilot.core.checks.rust.source import RustSource

# Unsafe functions of core (and the kernel's CStr), by the path a call names them with.
CORE_UNSAFE = frozenset((
    "ptr::read", "ptr::write", "ptr::read_volatile", "ptr::write_volatile", "ptr::copy",
    "ptr::copy_nonoverlapping", "ptr::drop_in_place", "ptr::write_bytes", "ptr::read_unaligned",
    "ptr::write_unaligned", "ptr::swap", "ptr::replace", "mem::transmute", "mem::zeroed",
    "mem::transmute_copy", "slice::from_raw_parts", "slice::from_raw_parts_mut",
    "str::from_utf8_unchecked", "hint::unreachable_unchecked", "Pin::new_unchecked",
    "NonNull::new_unchecked", "CStr::from_char_ptr", "CStr::from_bytes_with_nul_unchecked"))
CORE_UNSAFE_METHODS = frozenset(("assume_init", "get_unchecked", "get_unchecked_mut",
                                 "assume_init_read", "assume_init_mut", "as_uninit_mut"))
_POINTER_CALLS = frozenset(("as_ptr", "as_mut_ptr", "null", "null_mut", "cast", "cast_mut",
                            "cast_const", "into_raw", "into_foreign"))
_BINDINGS = re.compile(r"^(::)?((kernel|crate)::)?bindings::\w+$")


def check_unsafe_ops(src: RustSource) -> Iterator[Finding]:
    """A18: unsafe operations directly in the body of an `unsafe fn`."""
    funcs = [f for f in src.of_type("function_item")
             if syn.has_modifier(f, "unsafe") and f.child_by_field_name("body") is not None]
    if not funcs:
        return
    unsafe_fns, safe_fns = _declared_fns(src.of_type("function_item",
                                                     "function_signature_item"))
    calls = unsafe_fns - safe_fns
    statics = _static_muts(src.of_type("static_item"))
    ptr_fields = _pointer_fields(src.of_type("field_declaration"))
    ctors = _binding_types(src)
    for func in funcs:
        body = func.child_by_field_name("body")
        assert body is not None  # kept above
        name = func.child_by_field_name("name")
        fname = syn.text_of(name) if name is not None else "?"
        pointers = {p for p in _params(func) if p[1]}
        found = _ops(body, {n for n, _ in pointers}, calls, statics, ptr_fields, ctors)
        for node, what in found:
            line = syn.line_of(node)
            if src.added(line):
                yield finding(src, "A18", line, f"{what} directly in `unsafe fn {fname}`",
                              "wrap it in its own `unsafe { }` block with a `// SAFETY:` "
                              "comment")


def _binding_types(src: RustSource) -> set[str]:
    """Names of `bindings::` that are types, not functions: bindgen's `--newtype-enum` types
    of the tree, and any the file names in a type position (`-> bindings::irqreturn_t`):
    `bindings::irqreturn_t(x)` builds a tuple struct, it calls nothing."""
    types = set(src.context.newtypes) if src.context is not None else set()
    for node in src.of_type("scoped_type_identifier"):
        path, name = node.child_by_field_name("path"), node.child_by_field_name("name")
        if path is not None and name is not None and syn.text_of(path).endswith("bindings"):
            types.add(syn.text_of(name))
    return types


def _ops(body: Node, pointers: set[str], calls: set[str], statics: set[str],
         ptr_fields: set[str], ctors: set[str]) -> list[tuple[Node, str]]:
    """The unsafe operations in `body`, outside unsafe blocks, nested fns and macro tokens;
    `let` bindings update which names are raw pointers as the walk goes (in source order)."""
    found: list[tuple[Node, str]] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type in ("unsafe_block", "function_item", "token_tree", "macro_invocation") \
                and node is not body:
            continue
        what = _unsafe_op(node, pointers, calls, statics, ptr_fields, ctors)
        if what:
            found.append((node, what))
        if node.type == "let_declaration":
            _rebind(node, pointers)
        stack.extend(reversed(node.children))
    return found


def _unsafe_op(node: Node, pointers: set[str], calls: set[str], statics: set[str],
               ptr_fields: set[str], ctors: set[str]) -> str:
    if node.type == "unary_expression" and node.children[0].type == "*":
        target = _strip(node.named_children[0]) if node.named_children else None
        if target is not None and _is_pointer(target, pointers, ptr_fields):
            return f"dereference of the raw pointer `{syn.text_of(target)}`"
    if node.type == "call_expression":
        func = node.child_by_field_name("function")
        called = _callee(func) if func is not None else ""
        if called and _BINDINGS.match(called) and called.rsplit("::", 1)[-1] in ctors:
            return ""
        if called:
            return f"call to the unsafe `{called}`" if _unsafe_callee(called, calls) else ""
    if node.type == "identifier" and syn.text_of(node) in statics and _is_value(node):
        return f"use of the `static mut` `{syn.text_of(node)}`"
    return ""


def _callee(func: Node) -> str:
    """`name`, `path::name`, `self.name` for a method of the file's own type, `.name` for
    another receiver's method."""
    if func.type == "field_expression":
        field, value = func.child_by_field_name("field"), func.child_by_field_name("value")
        if field is None or value is None:
            return ""
        return ("self." if syn.text_of(value) == "self" else ".") + syn.text_of(field)
    if func.type == "generic_function":
        inner = func.child_by_field_name("function")
        return _callee(inner) if inner is not None else ""
    return re.sub(r"\s+", "", syn.text_of(func)) if func.type in (
        "identifier", "scoped_identifier") else ""


def _unsafe_callee(called: str, calls: set[str]) -> bool:
    if called.startswith("self."):
        return called[5:] in calls or called[5:] in CORE_UNSAFE_METHODS
    if called.startswith("."):  # whose method it is, the syntax tree cannot tell
        return called[1:] in CORE_UNSAFE_METHODS
    if _BINDINGS.match(called):
        return True
    last = called.rsplit("::", 1)[-1]
    tail2 = "::".join(called.split("::")[-2:])
    if tail2 in CORE_UNSAFE or (last in calls and (
            "::" not in called or called.startswith(("Self::", "self::", "super::")))):
        return True
    return False


def _strip(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    return node


def _is_pointer(node: Node, pointers: set[str], ptr_fields: set[str]) -> bool:
    if node.type == "identifier":
        return syn.text_of(node) in pointers
    if node.type == "field_expression":
        field = node.child_by_field_name("field")
        value = node.child_by_field_name("value")
        return field is not None and value is not None and syn.text_of(value) == "self" \
            and syn.text_of(field) in ptr_fields
    return _pointer_value(node)


def _pointer_value(node: Node) -> bool:
    """A cast to a raw pointer or a call that returns one (`as_ptr()`, `ptr::null()`)."""
    node = _strip(node)
    if node.type == "type_cast_expression":
        ty = node.child_by_field_name("type")
        return ty is not None and ty.type == "pointer_type"
    if node.type == "call_expression":
        func = node.child_by_field_name("function")
        called = _callee(func) if func is not None else ""
        return called.lstrip(".").rsplit("::", 1)[-1] in _POINTER_CALLS
    return False


def _rebind(let: Node, pointers: set[str]) -> None:
    pattern = let.child_by_field_name("pattern")
    if pattern is None or pattern.type != "identifier":
        return
    name = syn.text_of(pattern)
    ty, value = let.child_by_field_name("type"), let.child_by_field_name("value")
    if (ty is not None and ty.type == "pointer_type") or (
            ty is None and value is not None and _pointer_value(value)):
        pointers.add(name)
    else:
        pointers.discard(name)


def _is_value(node: Node) -> bool:
    """An identifier used as a value (not a declared name, a path segment or `&raw`)."""
    parent = node.parent
    if parent is None or parent.type == "scoped_identifier":
        return False
    if parent.type == "field_expression":
        return parent.child_by_field_name("value") == node
    if any(parent.child_by_field_name(f) == node for f in ("name", "pattern", "alias")):
        return False
    return not (parent.type == "reference_expression"
                and any(c.type == "raw" for c in parent.children))


def _params(func: Node) -> list[tuple[str, bool]]:
    params = func.child_by_field_name("parameters")
    found = []
    for param in params.named_children if params is not None else []:
        pattern, ty = param.child_by_field_name("pattern"), param.child_by_field_name("type")
        if pattern is not None and pattern.type == "identifier":
            found.append((syn.text_of(pattern), ty is not None and ty.type == "pointer_type"))
    return found


def _declared_fns(funcs: list[Node]) -> tuple[set[str], set[str]]:
    unsafe: set[str] = set()
    safe: set[str] = set()
    for node in funcs:
        name = node.child_by_field_name("name")
        if name is not None:
            (unsafe if syn.has_modifier(node, "unsafe") else safe).add(syn.text_of(name))
    return unsafe, safe


def _static_muts(statics: list[Node]) -> set[str]:
    return {syn.text_of(name) for node in statics
            if any(c.type == "mutable_specifier" for c in node.children)
            for name in [node.child_by_field_name("name")] if name is not None}


def _pointer_fields(fields_declared: list[Node]) -> set[str]:
    fields = set()
    for node in fields_declared:
        ty = node.child_by_field_name("type")
        name = node.child_by_field_name("name") if ty is not None else None
        if ty is not None and name is not None and ty.type == "pointer_type":
            fields.add(syn.text_of(name))
    return fields


def check_static_mut(src: RustSource) -> Iterator[Finding]:
    """A25: an added `static mut` outside test code."""
    for node in src.of_type("static_item"):
        if any(c.type == "mutable_specifier" for c in node.children) \
                and src.added(syn.line_of(node)) and not syn.in_test_code(node):
            name = node.child_by_field_name("name")
            label = f" `{syn.text_of(name)}`" if name is not None else ""
            yield finding(src, "A25", syn.line_of(node), f"`static mut`{label}",
                          "use an atomic (`core::sync::atomic`), a lock (`SpinLock`/`Mutex` "
                          "with `new_*!`) or `Opaque` for state shared with C")
