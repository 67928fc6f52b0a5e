"""Which names of a file are spinlocks, mutexes and condition variables, and where each
`SpinLock` guard is alive (for the atomic-context rule in atomic.py).

A name is a spinlock when the file declares it (struct field, static, parameter, `let`) with
a type naming `SpinLock` (or a `type` alias of it, or a `use ... as` rename), or initialises
it with `new_spinlock!` (`field <- new_spinlock!(..)` in `pin_init!`); likewise `Mutex`/
`new_mutex!` and `CondVar`/`new_condvar!`. A guard is `<name>.lock()`: bound by `let`, it is
alive until the end of its block or `drop(guard)`; a temporary lives for its statement
(an `if`/`while` condition only for the condition; a `match` or `if let` scrutinee for the
whole expression). No git, no subprocesses, no UI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.source import RustSource

_KINDS = {"SpinLock": "spin", "Mutex": "mutex", "CondVar": "condvar"}
_INITS = {"new_spinlock": "spin", "new_mutex": "mutex", "new_condvar": "condvar"}
# Calls between the lock and the `.lock()` that keep referring to the same lock.
_TRANSPARENT = ("as_ref", "get_ref", "deref", "borrow", "as_mut")


@dataclass
class LockNames:
    """Names declared as each kind of lock in one file."""

    spin: set[str] = field(default_factory=set)
    mutex: set[str] = field(default_factory=set)
    condvar: set[str] = field(default_factory=set)

    types: dict[str, str] = field(default_factory=dict)  # type name -> kind (aliases too)

    def kind(self, name: str) -> str | None:
        kinds = [k for k in ("spin", "mutex", "condvar") if name in getattr(self, k)]
        return kinds[0] if len(kinds) == 1 else None

    def with_locals(self, func: Node, decls: list[Node]) -> LockNames:
        """These names plus the parameters and `let`s (of the file's `decls`) inside `func`
        (locals shadow fields)."""
        local = LockNames(set(self.spin), set(self.mutex), set(self.condvar), self.types)
        for node in decls:
            if not func.start_byte <= node.start_byte < func.end_byte:
                continue
            declared = _declared(node, self.types)
            if declared is not None:
                for kind in ("spin", "mutex", "condvar"):
                    getattr(local, kind).discard(declared[0])
                getattr(local, declared[1]).add(declared[0])
        return local


@dataclass(frozen=True)
class Guard:
    """A SpinLock guard and the bytes of the source where it is alive."""

    name: str | None    # the `let` binding; None for a temporary
    line: int           # where it was taken
    lock: str           # the receiver of `.lock()`, as written
    start: int
    end: int

    def describe(self) -> str:
        taken = f"taken on line {self.line} by `{self.lock}.lock()`"
        return f"the SpinLock guard `{self.name}` ({taken})" if self.name else \
            f"the temporary SpinLock guard of `{self.lock}.lock()` (line {self.line})"


def lock_names(src: RustSource) -> LockNames:
    """The file-wide names declared as a lock of some kind: struct fields, statics and
    `pin_init!` fields (parameters and `let`s: LockNames.with_locals)."""
    kinds = dict(_KINDS)
    for node in src.of_type("type_item", "use_as_clause"):
        if node.type == "type_item":
            alias, ty = node.child_by_field_name("name"), node.child_by_field_name("type")
            kind = _type_kind(syn.text_of(ty), kinds) if ty is not None else None
            if alias is not None and kind:
                kinds[syn.text_of(alias)] = kind
        elif node.type == "use_as_clause":
            path, renamed = node.child_by_field_name("path"), node.child_by_field_name("alias")
            last = syn.text_of(path).rsplit("::", 1)[-1] if path is not None else ""
            if renamed is not None and last in _KINDS:
                kinds[syn.text_of(renamed)] = _KINDS[last]
    names = LockNames(types=kinds)
    for node in src.of_type("field_declaration", "static_item"):
        declared = _declared(node, kinds)
        if declared is not None:
            getattr(names, declared[1]).add(declared[0])
    if "<-" in src.text:
        for node in src.of_type("token_tree"):
            for name, kind in _pin_init_fields(node):
                getattr(names, kind).add(name)
    return names


def _type_kind(text: str, kinds: dict[str, str]) -> str | None:
    """The kind of the first lock type named in a type (`Arc<SpinLock<T>>` is spin)."""
    for word in re.findall(r"\b[A-Za-z_]\w*\b", text):
        if word in kinds:
            return kinds[word]
    return None


def _declared(node: Node, kinds: dict[str, str]) -> tuple[str, str] | None:
    if node.type not in ("field_declaration", "static_item", "parameter", "let_declaration"):
        return None
    name = node.child_by_field_name("name") or node.child_by_field_name("pattern")
    if name is None or name.type not in ("identifier", "field_identifier"):
        return None
    ty = node.child_by_field_name("type")
    kind = _type_kind(syn.text_of(ty), kinds) if ty is not None else None
    value = node.child_by_field_name("value")
    if kind is None and value is not None:
        inits = [_INITS[m] for m in re.findall(r"\b(new_\w+)!", syn.text_of(value))
                 if m in _INITS]
        kind = inits[0] if inits else None
    return (syn.text_of(name), kind) if kind else None


def _pin_init_fields(tree: Node) -> list[tuple[str, str]]:
    """`name <- new_spinlock!(..)` inside a macro's tokens."""
    found = []
    tokens = tree.children
    for i in range(len(tokens) - 3):
        a, lt, dash, init = tokens[i:i + 4]
        if a.type == "identifier" and lt.type == "<" and dash.type == "-" \
                and init.type == "identifier" and syn.text_of(init) in _INITS:
            found.append((syn.text_of(a), _INITS[syn.text_of(init)]))
    return found


def lock_target(call: Node) -> tuple[str, str] | None:
    """For `<recv>.lock()`: (the name the lock is known by, the receiver as written)."""
    func = call.child_by_field_name("function")
    args = call.child_by_field_name("arguments")
    if func is None or func.type != "field_expression" or args is None or args.named_children:
        return None
    method = func.child_by_field_name("field")
    recv = func.child_by_field_name("value")
    if method is None or recv is None or syn.text_of(method) != "lock":
        return None
    written = re.sub(r"\s+", "", syn.text_of(recv))
    while recv.type == "call_expression":
        inner = recv.child_by_field_name("function")
        if inner is None or inner.type != "field_expression":
            return None
        name = inner.child_by_field_name("field")
        value = inner.child_by_field_name("value")
        if name is None or value is None or syn.text_of(name) not in _TRANSPARENT:
            return None
        recv = value
    if recv.type == "field_expression":
        name = recv.child_by_field_name("field")
        return (syn.text_of(name), written) if name is not None else None
    return (syn.text_of(recv), written) if recv.type == "identifier" else None


def spin_guards(body: Node, names: LockNames, calls: list[Node]) -> list[Guard]:
    """Every SpinLock guard taken in a function body, with the span where it is alive
    (`calls`: the file's call expressions)."""
    inside = [c for c in calls if body.start_byte <= c.start_byte < body.end_byte]
    guards = []
    for node in inside:
        target = lock_target(node)
        if target is None or names.kind(target[0]) != "spin":
            continue
        guards.append(_guard(node, target[1], inside))
    return guards


def _guard(call: Node, lock: str, calls: list[Node]) -> Guard:
    line = syn.line_of(call)
    let = call.parent
    if let is not None and let.type == "let_declaration" and \
            let.child_by_field_name("value") == call:
        pattern = let.child_by_field_name("pattern")
        name = syn.text_of(pattern) if pattern is not None else "_"
        block = let.parent
        if name != "_" and pattern is not None and pattern.type == "identifier" \
                and block is not None:
            return Guard(name, line, lock, let.end_byte, _ends(block, let, name, calls))
    return Guard(None, line, lock, call.end_byte, _statement(call).end_byte)


def _ends(block: Node, let: Node, name: str, calls: list[Node]) -> int:
    """Where a `let` guard dies: at `drop(name)` (or moving it into a call), else at the end
    of its block."""
    for node in calls:
        if not let.end_byte <= node.start_byte < block.end_byte:
            continue
        args = node.child_by_field_name("arguments")
        if args is not None and any(a.type == "identifier" and syn.text_of(a) == name
                                    for a in args.named_children):
            return node.start_byte
    return block.end_byte


def _statement(call: Node) -> Node:
    """The node a temporary made in `call` lives for."""
    current = call
    while current.parent is not None and current.parent.type not in ("block", "source_file"):
        parent = current.parent
        if parent.type in ("if_expression", "while_expression") and \
                parent.child_by_field_name("condition") == current and \
                current.type not in ("let_condition", "let_chain"):
            return current
        current = parent
    return current
