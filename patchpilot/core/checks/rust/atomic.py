"""A27: calls that may sleep while a `SpinLock` guard is alive (atomic context), lexically.

The guards and their spans come from locks. What may sleep, each from the tree:
- an allocation given a GFP flag other than `GFP_ATOMIC`/`GFP_NOWAIT` (rust/kernel/alloc.rs:
  "Users can not sleep" only for those two): `KBox::new(x, GFP_KERNEL)`, `v.push(x, flags::
  GFP_KERNEL)`, `Arc::pin_init(.., GFP_KERNEL_ACCOUNT)` ... (a `flags` variable is not known);
- `.lock()` on a `Mutex` (rust/kernel/sync/lock/mutex.rs: `mutex_lock`);
- `CondVar::wait*` (rust/kernel/sync/condvar.rs: `schedule_timeout`), unless it waits on the
  one SpinLock guard that is alive (the wait releases that lock while it sleeps);
- allocations with an implicit GFP_KERNEL: `CString::try_from_fmt`, `CString::try_from`
  (rust/kernel/str.rs), a non-empty `kvec![]` (rust/kernel/alloc/kvec.rs);
- `Firmware::request*` (rust/kernel/firmware.rs: request_firmware waits for the firmware);
- the C functions those abstractions call, through `bindings::`.
Closures and nested functions are not followed (they may run later). klint checks the same
from MIR after a build; without it this is the approximation. No git, no subprocesses, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.kbuild import is_host_code
from patchpilot.core.checks.rust.locks import Guard, LockNames, lock_names, lock_target, spin_guards
from patchpilot.core.checks.rust.ruleset import finding
from patchpilot.core.checks.rust.source import RustSource

ATOMIC_FLAGS = frozenset(("GFP_ATOMIC", "GFP_NOWAIT"))
_WAITS = ("wait", "wait_interruptible", "wait_interruptible_timeout",
          "wait_interruptible_freezable")
_IMPLICIT = {"CString::try_from_fmt": "allocates with GFP_KERNEL",
             "CString::try_from": "allocates with GFP_KERNEL",
             "Firmware::request": "waits for the firmware loader",
             "Firmware::request_nowarn": "waits for the firmware loader"}
_C_SLEEPS = frozenset(("mutex_lock", "mutex_lock_interruptible", "schedule",
                       "schedule_timeout", "request_firmware", "firmware_request_nowarn",
                       "might_sleep", "msleep"))


def check_atomic_context(src: RustSource) -> Iterator[Finding]:
    """A27 on every function of the file that takes a SpinLock guard."""
    if "lock()" not in src.text or is_host_code(src):
        return
    names = lock_names(src)
    decls = src.of_type("parameter", "let_declaration")
    calls = src.of_type("call_expression")
    for func in src.of_type("function_item"):
        body = func.child_by_field_name("body")
        if body is None or "lock()" not in syn.text_of(body) or syn.in_test_code(func):
            continue
        local = names.with_locals(func, decls)
        guards = spin_guards(body, local, calls) if local.spin else []
        if guards:
            yield from _sleeps_under(src, body, guards, local)


def _sleeps_under(src: RustSource, body: Node, guards: list[Guard],
                  names: LockNames) -> Iterator[Finding]:
    stack = list(reversed(body.children))
    while stack:
        node = stack.pop()
        if node.type in ("function_item", "closure_expression"):
            continue
        what = _may_sleep(node, names)
        # A call happens once its receiver and arguments are evaluated: where they start.
        args = node.child_by_field_name("arguments") if node.type == "call_expression" else None
        at = args.start_byte if args is not None else node.start_byte
        alive = [g for g in guards if g.start <= at < g.end]
        if what and alive:
            alive = _not_released(node, alive)
        line = syn.line_of(node)
        if what and alive and src.added(line):
            hint = ("allocate with GFP_ATOMIC/GFP_NOWAIT, or before taking the lock" if
                    "GFP" in what else "call it before taking the SpinLock or after "
                    "`drop(guard)`, or protect the data with a Mutex if the section must "
                    "sleep")
            yield finding(src, "A27", line, f"{what} while {alive[0].describe()} is alive",
                          hint)
        if node.type != "token_tree":
            stack.extend(reversed(node.children))


def _may_sleep(node: Node, names: LockNames) -> str:
    if node.type == "macro_invocation":
        tokens = next((c for c in node.children if c.type == "token_tree"), None)
        empty = tokens is None or len(tokens.children) <= 2
        return "`kvec![..]` allocates with GFP_KERNEL, which may sleep," \
            if syn.macro_name(node) == "kvec" and not empty else ""
    if node.type != "call_expression":
        return ""
    func = node.child_by_field_name("function")
    if func is None:
        return ""
    called = _callee(func)
    flag = _sleeping_flag(node)
    if flag:
        return f"`{called}(.., {flag})` may sleep"
    target = lock_target(node)
    if target is not None and names.kind(target[0]) == "mutex":
        return f"`{target[1]}.lock()` takes a Mutex, which sleeps,"
    method = called[1:] if called.startswith(".") else ""
    if method in _WAITS and (method != "wait" or _receiver_kind(func, names) == "condvar"):
        return f"`{called}()` sleeps on a CondVar"
    tail = "::".join(called.split("::")[-2:])
    if tail in _IMPLICIT:
        return f"`{called}` {_IMPLICIT[tail]} and may sleep,"
    if re.match(r"^(::)?((kernel|crate)::)?bindings::", called) \
            and called.rsplit("::", 1)[-1] in _C_SLEEPS:
        return f"`{called}` may sleep"
    return ""


def _callee(func: Node) -> str:
    if func.type == "field_expression":
        field = func.child_by_field_name("field")
        return "." + syn.text_of(field) if field is not None else "?"
    if func.type == "generic_function":
        inner = func.child_by_field_name("function")
        return _callee(inner) if inner is not None else "?"
    text = re.sub(r"\s+", "", syn.text_of(func))
    while "<" in text and re.search(r"<[^<>]*>", text):  # generics, innermost first
        text = re.sub(r"(::)?<[^<>]*>", "", text)
    return text


def _sleeping_flag(call: Node) -> str:
    """The GFP flag argument of `call` when it is one that may sleep."""
    args = call.child_by_field_name("arguments")
    for arg in args.named_children if args is not None else []:
        flags = _flag_words(arg)
        if flags and not flags & ATOMIC_FLAGS:
            main = sorted(f for f in flags if not f.startswith("__"))
            if main:
                return " | ".join(main)
    return ""


def _flag_words(arg: Node) -> set[str]:
    """The GFP flags an argument is made of (`GFP_KERNEL | __GFP_ZERO`); empty when it is
    anything else."""
    if arg.type in ("identifier", "scoped_identifier"):
        word = syn.text_of(arg).rsplit("::", 1)[-1]
        return {word} if word.startswith(("GFP_", "__GFP_")) else set()
    if arg.type == "binary_expression":
        parts = [_flag_words(c) for c in arg.named_children]
        return set().union(*parts) if all(parts) else set()
    if arg.type == "parenthesized_expression" and arg.named_children:
        return _flag_words(arg.named_children[0])
    return set()


def _receiver_kind(func: Node, names: LockNames) -> str | None:
    recv = func.child_by_field_name("value")
    if recv is None:
        return None
    if recv.type == "field_expression":
        recv = recv.child_by_field_name("field") or recv
    return names.kind(syn.text_of(recv))


def _not_released(call: Node, alive: list[Guard]) -> list[Guard]:
    """A CondVar wait releases the lock of the guard it is given."""
    args = call.child_by_field_name("arguments")
    given = {re.sub(r"^&\s*mut\s+", "", syn.text_of(a)) for a in args.named_children} \
        if args is not None else set()
    func = call.child_by_field_name("function")
    if func is None or not _callee(func).lstrip(".").startswith("wait"):
        return alive
    return [g for g in alive if g.name is None or g.name not in given]
