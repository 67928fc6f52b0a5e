"""Which kernel configuration a series is built with.

By default the smallest one that builds what the series touches: tinyconfig, plus Rust, KUnit,
the Rust doctests and a serial console (what kunit.py boots), plus the Kconfig symbols behind
the touched files. Those symbols are read from the tree: the Makefile (or Kbuild) line that
builds the file's object, then each parent directory's line that descends into it, then the
`depends on` of each symbol (and of the `if`/`menu` blocks around it) in the Kconfig files.
A symbol that `olddefconfig` still turns off is named, never dropped in silence.

Or the user's own configuration: the tree's `.config`, or a build directory's. No UI.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

# What every default configuration carries: Rust with its doctests as KUnit tests, and the
# console kunit.py reads them from (tools/testing/kunit/qemu_configs/x86_64.py).
BASE_SYMBOLS = ("RUST", "KUNIT", "RUST_KERNEL_DOCTESTS", "PRINTK", "TTY", "SERIAL_8250",
                "SERIAL_8250_CONSOLE", "64BIT")
_OBJ = re.compile(r"^\s*([\w.-]+?)-(\$\(CONFIG_(\w+)\)|y|objs)\s*[:+]?=\s*(.*)$")
_GUARD = re.compile(r"^\s*(?:ifdef\s+CONFIG_(\w+)|ifeq\s*\(\$\(CONFIG_(\w+)\),\s*y\))")
_IDENT = re.compile(r"^[A-Z0-9_]+$")

Reader = Callable[[str], "str | None"]  # a tree-relative path -> its text (None: absent)


@dataclass(frozen=True)
class ConfigChoice:
    """The configuration a build uses, and how a user would name it."""

    kind: str  # "default", "tree" (.config of the tree) or "kbuild" (a build directory's)
    described: str
    fragment: tuple[str, ...] = ()  # default: CONFIG_X=y lines on top of tinyconfig
    config_text: str = ""  # tree/kbuild: the .config itself
    notes: tuple[str, ...] = field(default=())

    @property
    def wanted(self) -> list[str]:
        return [line.split("=", 1)[0].removeprefix("CONFIG_") for line in self.fragment]


def default_choice(read: Reader, touched: Iterable[str],
                   kconfigs: Iterable[str] = ()) -> ConfigChoice:
    """tinyconfig + BASE_SYMBOLS + the symbols (with their dependencies) behind `touched`;
    `kconfigs`: the tree's Kconfig files, for a tree without a top one."""
    index = KconfigIndex(read, kconfigs)
    symbols: list[str] = list(BASE_SYMBOLS)
    unknown: list[str] = []
    for path in sorted(set(touched)):
        found = symbols_for_path(read, path)
        if found is None:
            unknown.append(path)
            continue
        symbols += found
    closed = index.with_dependencies(symbols)
    notes = tuple(f"no Makefile line builds {p}; the default configuration may not compile it"
                  for p in unknown if p.endswith((".c", ".rs")))
    extra = [s for s in closed if s not in BASE_SYMBOLS]
    described = "tinyconfig + Rust + KUnit + doctests"
    if extra:
        described += " + " + " ".join(f"CONFIG_{s}" for s in extra[:6])
        described += f" (+{len(extra) - 6} more)" if len(extra) > 6 else ""
    return ConfigChoice("default", described, tuple(f"CONFIG_{s}=y" for s in closed),
                        notes=notes)


def symbols_for_path(read: Reader, path: str) -> list[str] | None:
    """The CONFIG_ symbols that must be on for `path` to be built (None: no Makefile line
    names it; [] for files every build compiles, or that are not compiled)."""
    pure = PurePosixPath(path)
    if pure.suffix not in (".c", ".rs"):
        return []
    if pure.parts[0] == "rust":
        return ["RUST"]
    symbols: list[str] = []
    target, directory = pure.stem + ".o", str(pure.parent)
    found = _object_symbols(read, directory, target)
    if found is None:
        return None
    symbols += found
    while directory not in (".", ""):
        parent = str(PurePosixPath(directory).parent)
        name = PurePosixPath(directory).name + "/"
        above = _object_symbols(read, parent if parent != "." else "", name)
        symbols += above or []
        directory = parent
    return list(dict.fromkeys(symbols))


def _object_symbols(read: Reader, directory: str, target: str,
                    depth: int = 0) -> list[str] | None:
    """Symbols of the Makefile lines in `directory` that add `target` (an object or a
    subdirectory/), following composite objects (`foo-y := target`, `obj-$(X) += foo.o`)."""
    prefix = f"{directory}/" if directory else ""
    text = "\n".join(t for t in (read(prefix + "Makefile"), read(prefix + "Kbuild")) if t)
    if not text or depth > 3:
        return None
    text = text.replace("\\\n", " ")
    found: list[str] | None = None
    guards: list[str | None] = []  # ifdef CONFIG_X / ifeq ($(CONFIG_X),y) around the line
    for line in text.splitlines():
        guard = _GUARD.match(line)
        if guard:
            guards.append(guard.group(1) or guard.group(2))
            continue
        if re.match(r"^\s*if(n?def|n?eq)\b", line):
            guards.append(None)
            continue
        if re.match(r"^\s*else\b", line) and guards:
            guards[-1] = None
            continue
        if re.match(r"^\s*endif\b", line) and guards:
            guards.pop()
            continue
        match = _OBJ.match(line)
        if not match or target not in match.group(4).split():
            continue
        owner, symbol = match.group(1), match.group(3)
        found = (found or []) + [g for g in guards if g]
        if owner in ("obj", "subdir", "core", "drivers", "libs", "net", "virt", "init"):
            found = (found or []) + ([symbol] if symbol else [])
        else:  # a composite object: foo-y / foo-objs / foo-$(CONFIG_X)
            outer = _object_symbols(read, directory, owner + ".o", depth + 1)
            if outer is not None:
                found = (found or []) + outer + ([symbol] if symbol else [])
    return found


class KconfigIndex:
    """Every `config`/`menuconfig` entry's plain dependencies, from the Kconfig files that
    `source` statements reach from the top."""

    def __init__(self, read: Reader, paths: Iterable[str] = ()):
        """From the top Kconfig; in a partial tree without one, from each of `paths` in
        order (a parent directory's file first, with the blocks it sources children in)."""
        self.read = read
        self.depends: dict[str, list[str]] = {}
        seen: set[str] = set()
        self._load("Kconfig", [], seen)
        if len(seen) == 1 and read("Kconfig") is None:
            for path in sorted(paths):
                self._load(path, [], seen)

    def _load(self, path: str, outer: list[str], seen: set[str]) -> None:
        if path in seen or len(seen) > 5000:
            return
        seen.add(path)
        text = self.read(path)
        if text is None:
            return
        blocks: list[list[str]] = []  # if/menu dependencies, innermost last
        current: str | None = None
        for raw in text.replace("\\\n", " ").splitlines():
            line = raw.split("#", 1)[0].strip()
            words = line.split(None, 1)
            if not words:
                continue
            keyword, rest = words[0], (words[1] if len(words) > 1 else "")
            around = outer + [s for block in blocks for s in block]
            if keyword in ("config", "menuconfig"):
                current = rest.strip()
                self.depends.setdefault(current, []).extend(around)
            elif keyword == "depends" and rest.startswith("on"):
                deps = plain_symbols(rest[2:])
                if current is not None:
                    self.depends.setdefault(current, []).extend(deps)
                elif blocks:
                    blocks[-1].extend(deps)
            elif keyword in ("if",):
                blocks.append(plain_symbols(rest))
                current = None
            elif keyword in ("menu", "choice"):
                blocks.append([])
                current = None
            elif keyword in ("endif", "endmenu", "endchoice"):
                if blocks:
                    blocks.pop()
                current = None
            elif keyword in ("source", "rsource", "osource", "orsource"):
                name = rest.strip().strip('"')
                if "$" in name:
                    name = name.replace("$(SRCARCH)", "x86").replace("$SRCARCH", "x86")
                if keyword.startswith(("r", "or")):
                    name = str(PurePosixPath(path).parent / name)
                self._load(name, around, seen)
                current = None
            elif keyword in ("comment", "mainmenu"):
                current = None

    def with_dependencies(self, symbols: Iterable[str]) -> list[str]:
        """`symbols` and, transitively, their plain dependencies (in order, once each)."""
        result: list[str] = []
        todo = list(symbols)
        while todo:
            symbol = todo.pop(0)
            if symbol in result:
                continue
            result.append(symbol)
            todo += [d for d in self.depends.get(symbol, []) if d not in result]
        return result


def plain_symbols(expression: str) -> list[str]:
    """The symbols an expression requires whatever else holds: the plain names of its
    top-level `&&` terms (a `||` alternative, a negation or a comparison requires nothing
    certain, and is left to olddefconfig)."""
    terms = _top_level_and(expression.strip())
    found = []
    for term in terms:
        term = term.strip()
        if term.startswith("(") and term.endswith(")") and "||" not in term:
            found += plain_symbols(term[1:-1])
            continue
        term = re.sub(r"\s*=\s*[ym]$", "", term)
        if _IDENT.match(term) and term not in ("y", "m", "n"):
            found.append(term)
    return found


def _top_level_and(expression: str) -> list[str]:
    terms, depth, start = [], 0, 0
    if "||" in expression.replace(" ", "") and "(" not in expression:
        return [t for t in expression.split("&&") if "||" not in t]
    for i, char in enumerate(expression):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and expression.startswith("&&", i):
            terms.append(expression[start:i])
            start = i + 2
    terms.append(expression[start:])
    return [t for t in terms if not ("||" in t and not t.strip().startswith("("))]


def dropped(choice: ConfigChoice, config_text: str) -> list[str]:
    """The wanted symbols the resulting .config does not have on."""
    on = {m.group(1) for m in re.finditer(r"^CONFIG_(\w+)=[ym]$", config_text, re.MULTILINE)}
    return [s for s in choice.wanted if s not in on]


def rust_on(config_text: str) -> bool:
    return re.search(r"^CONFIG_RUST=y$", config_text, re.MULTILINE) is not None


def kunit_on(config_text: str) -> bool:
    return re.search(r"^CONFIG_KUNIT=y$", config_text, re.MULTILINE) is not None
