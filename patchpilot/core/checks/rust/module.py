"""A26: the metadata of `module!` and `module_*_driver!` (`module_phy_driver!` ...).

- `license:` must be one of the strings the module loader treats as free software (read from
  the tree by tree.read_licenses: include/linux/license.h, module.h, or the documented
  list); an SPDX id such as "GPL-2.0" taints the kernel and loses the GPL-only symbols;
- `name:` should be the module object the directory's Makefile builds (KBUILD_MODNAME: the
  name the C side, modprobe and built-in modinfo use);
- the keys rust/macros/module.rs requires are there, known, and in its order (the macro
  panics otherwise). The driver macros forward their other keys to `module!` after their own
  and supply `type:` themselves.
No git, no subprocesses, no UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.rust import syntax as syn
from patchpilot.core.checks.rust.kbuild import module_name
from patchpilot.core.checks.rust.ruleset import finding
from patchpilot.core.checks.rust.source import RustSource
from patchpilot.core.checks.rust.tree import DOCUMENTED_LICENSES
from patchpilot.core.text import safe_text

_DRIVER = re.compile(r"^module_\w+_driver$")
_SPDX = {"GPL-2.0": "GPL", "GPL-2.0-only": "GPL", "GPL-2.0-or-later": "GPL", "GPL-2.0+": "GPL",
         "GPLv2": "GPL v2", "GPL-2.0 OR MIT": "Dual MIT/GPL", "MIT OR GPL-2.0": "Dual MIT/GPL",
         "GPL-2.0 OR BSD-3-Clause": "Dual BSD/GPL", "BSD-3-Clause OR GPL-2.0": "Dual BSD/GPL",
         "GPL-2.0-only OR MIT": "Dual MIT/GPL", "GPL-2.0-only OR BSD-2-Clause": "Dual BSD/GPL"}


@dataclass(frozen=True)
class Field:
    key: str
    line: int
    text: str | None  # the string value, None when the value is not a string literal


def check_module_metadata(src: RustSource) -> Iterator[Finding]:
    """A26 on every `module!`/`module_*_driver!` invocation of the file."""
    if "module" not in src.text:
        return
    for node in src.of_type("macro_invocation"):
        if syn.in_test_code(node) or syn.enclosing(node, ("macro_definition",)) is not None:
            continue
        macro = syn.macro_name(node)
        if macro == "module" or _DRIVER.match(macro):
            fields = module_fields(node)
            if fields is not None:
                yield from _check(src, node, macro, fields)


def module_fields(node: Node) -> list[Field] | None:
    """The `key: value,` pairs of a macro invocation's braces (None: not that shape)."""
    body = next((c for c in node.children if c.type == "token_tree"), None)
    if body is None:
        return None
    fields: list[Field] = []
    tokens = body.children[1:-1]
    i = 0
    while i < len(tokens):
        key = tokens[i]
        if i + 1 >= len(tokens) or tokens[i + 1].type != ":":
            return fields
        j = i + 2
        while j < len(tokens) and tokens[j].type != ",":
            j += 1
        value = tokens[i + 2:j]
        text = None
        if len(value) == 1 and value[0].type in ("string_literal", "raw_string_literal"):
            content = [syn.text_of(c) for c in value[0].children if c.type == "string_content"]
            text = "".join(content)
        fields.append(Field(syn.text_of(key), syn.line_of(key), text))
        i = j + 1
    return fields


def _check(src: RustSource, node: Node, macro: str, fields: list[Field]) -> Iterator[Finding]:
    by_key = {f.key: f for f in fields}
    driver = macro != "module"
    yield from _keys(src, node, macro, fields, driver)
    license_field = by_key.get("license")
    if license_field is not None and license_field.text is not None:
        yield from _license(src, license_field)
    name = by_key.get("name")
    if name is not None and name.text is not None and src.added(name.line):
        built = module_name(src)
        # The macro turns `-` into `_` for KBUILD_MODNAME, as kbuild does for the object.
        if built is not None and built != name.text.replace("-", "_"):
            yield finding(src, "A26", name.line,
                          f"`name: \"{safe_text(name.text, 80)}\"` but the Makefile builds "
                          f"this file into {built}.o", f"use `name: \"{built}\"`: the kernel "
                          "knows the module as KBUILD_MODNAME (modprobe, sysfs, built-in "
                          "modinfo)", severity="warning")


def _keys(src: RustSource, node: Node, macro: str, fields: list[Field],
          driver: bool) -> Iterator[Finding]:
    ctx = src.context
    if ctx is None or ctx.module_keys is None or ctx.module_required is None:
        return
    keys = [f.key for f in fields]
    required = [k for k in ctx.module_required if not (driver and k == "type")]
    missing = [k for k in required if k not in keys]
    if missing and src.added(syn.line_of(node)):
        yield finding(src, "A26", syn.line_of(node),
                      f"`{macro}!` lacks {', '.join(f'`{k}:`' for k in missing)}",
                      f"rust/macros/module.rs requires {', '.join(ctx.module_required)}")
    for field in fields:
        if not driver and field.key not in ctx.module_keys and src.added(field.line):
            yield finding(src, "A26", field.line,
                          f"`module!` has no key `{safe_text(field.key, 40)}`",
                          f"the keys are: {', '.join(ctx.module_keys)}")
    order = ctx.module_keys
    known = [f for f in fields if f.key in order]
    ordered = sorted(known, key=lambda f: order.index(f.key))
    if known != ordered:
        wrong = next(a for a, b in zip(known, ordered) if a != b)
        if src.added(wrong.line):
            yield finding(src, "A26", wrong.line,
                          f"`{macro}!` keys are not in the order module.rs expects",
                          "order them: " + ", ".join(f.key for f in ordered))


def _license(src: RustSource, field: Field) -> Iterator[Finding]:
    ctx = src.context
    known = ctx.licenses if ctx is not None and ctx.licenses is not None else DOCUMENTED_LICENSES
    origin = ctx.licenses_from if ctx is not None and ctx.licenses is not None else \
        "the 6.12 list of include/linux/license.h (the tree was not read)"
    if field.text in known or not src.added(field.line):
        return
    shown = safe_text(field.text or "", 80)
    better = _SPDX.get((field.text or "").strip("() "))
    hint = f"use `license: \"{better}\"`" if better else \
        "use one of: " + ", ".join(f'"{k}"' for k in sorted(known))
    yield finding(src, "A26", field.line,
                  f"`license: \"{shown}\"` is not a module licence string the loader knows",
                  f"{hint}. Only the strings of {origin} count as free software; any other "
                  "taints the kernel and GPL-only symbols do not resolve")
