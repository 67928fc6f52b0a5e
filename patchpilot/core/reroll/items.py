"""Name the Rust items a reroll changed, from the syntax tree (tree-sitter, checks.rust.syntax).

The range-diff says which lines of a patch differ between the revision as sent and the branch
(rangediff.ChangedLine); each is found in that patch's diff (its new-file line; a removed line
stands at the next new-file line), the file as that patch left it is parsed, and the innermost
item holding the line is named: `fn pilot_first_byte`, `fn Page::new` (a method), `impl Drop
for Page`, `struct Page`, `enum`, `trait`, `mod`, `const`, `static`, `type`, `macro_rules!`,
`module!`. A doc comment or attribute belongs to the item below it. Git's hunk header (the
nearest "function-looking" line above a hunk) is not used for Rust: it names whatever item
came before. Files other than `.rs` keep git's guess (rangediff). No UI.
"""

from __future__ import annotations

from collections.abc import Iterable

from tree_sitter import Node
from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from patchpilot.core.checks.rust.syntax import COMMENTS, parse, text_of
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import Series
from patchpilot.core.series.patches import Patch
from patchpilot.core.series.rangediff import ChangedLine, PatchChange, SentRange

NAMED = {"function_item": "fn", "function_signature_item": "fn", "struct_item": "struct",
         "enum_item": "enum", "union_item": "union", "trait_item": "trait", "mod_item": "mod",
         "const_item": "const", "static_item": "static", "type_item": "type",
         "macro_definition": "macro_rules!"}
CONTAINERS = ("impl_item", "trait_item", "mod_item")
MAX_ITEMS = 6


def name_items(repo: GitRepo, old: SentRange, series: Series,
               changes: list[PatchChange]) -> None:
    """Put the names of the Rust items each changed patch changed into its `functions`."""
    for change in changes:
        if change.status != "changed" or change.old is None or change.new is None:
            continue
        patches = {"old": old.patches[change.old - 1], "new": series.patches[change.new - 1]}
        names = [n for n in _names(repo, patches, change.changed) if n not in change.functions]
        change.functions = [*names, *change.functions][:MAX_ITEMS]


def _names(repo: GitRepo, patches: dict[str, Patch], lines: list[ChangedLine]) -> list[str]:
    found: list[str] = []
    trees: dict[tuple[str, str], Node | None] = {}
    for side, path, row in _rows(patches, lines):
        key = (side, path)
        if key not in trees:
            trees[key] = _tree(repo, patches[side].commit, path)
        root = trees[key]
        name = item_at(root, row) if root is not None else None
        if name and name not in found:
            found.append(name)
    return found


def _rows(patches: dict[str, Patch],
          lines: list[ChangedLine]) -> Iterable[tuple[str, str, int]]:
    """(side, path, 0-based row in the file as that side's patch left it) per changed line."""
    indexes: dict[str, dict[str, list[tuple[str, int | None]]]] = {}
    for line in lines:
        if not line.path.endswith(".rs"):
            continue
        index = indexes.setdefault(line.side, _index(patches[line.side].diff_text))
        entries = index.get(line.path, [])
        wanted = (line.sign, line.text.rstrip())
        for i, (entry, _) in enumerate(entries):
            if entry == f"{wanted[0]}{wanted[1]}":
                target = next((t for _, t in entries[i:] if t is not None), None)
                if target is not None:
                    yield line.side, line.path, target - 1
                break


def _index(diff: str) -> dict[str, list[tuple[str, int | None]]]:
    """{path: [(sign + text, new-file line or None), ...]} of a patch's diff."""
    try:
        patchset = PatchSet(diff)
    except UnidiffParseError:
        return {}
    return {pf.path: [(str(line.line_type) + line.value.rstrip("\n").rstrip(),
                       line.target_line_no) for hunk in pf for line in hunk]
            for pf in patchset}


def _tree(repo: GitRepo, commit: str, path: str) -> Node | None:
    text = repo.try_run("show", f"{commit}:{path}", strip=False)
    return parse(text).root_node if text is not None else None


def item_at(root: Node, row: int) -> str | None:
    """The name of the innermost item holding 0-based `row` (see the module docstring)."""
    path: list[Node] = []
    node = root
    while True:
        inside = next((c for c in node.named_children
                       if c.start_point[0] <= row <= _last_row(c)), None)
        if inside is None:
            break
        if inside.type in COMMENTS or inside.type == "attribute_item":
            below = _item_below(inside)
            if below is not None:
                path.append(below)
            break
        path.append(inside)
        node = inside
    items = [n for n in path if n.type in NAMED or n.type == "impl_item" or _item_level(n)]
    return _name(items[-1], items[:-1]) if items else None


def _item_level(node: Node) -> bool:
    """A `module! {...}` or a `use` among the items (not a statement inside a body)."""
    return node.type in ("macro_invocation", "use_declaration") and node.parent is not None \
        and node.parent.type in ("source_file", "declaration_list")


def _last_row(node: Node) -> int:
    """The last row a node covers (a line comment ends at column 0 of the next row)."""
    end_row, end_col = node.end_point
    return end_row - 1 if end_col == 0 and end_row > node.start_point[0] else end_row


def _item_below(node: Node) -> Node | None:
    """The item an outer doc comment, an attribute or a comment right above it belongs to:
    the next sibling that is none of those, with no blank line between (an inner `//!` doc or
    a file header belongs to no item)."""
    current: Node | None = node
    while current is not None and (current.type in COMMENTS or current.type == "attribute_item"):
        if current.type in COMMENTS and text_of(current).startswith(("//!", "/*!")):
            return None
        below = current.next_named_sibling
        if below is None or below.start_point[0] > _last_row(current) + 1:
            return None
        current = below
    return current


def _name(item: Node, outer: list[Node]) -> str:
    if item.type == "impl_item":
        return _impl(item)
    if item.type == "macro_invocation":
        macro = item.child_by_field_name("macro")
        return f"{text_of(macro) if macro else 'macro'}!"
    if item.type == "use_declaration":
        return " ".join(text_of(item).split())[:60]
    name = item.child_by_field_name("name")
    label = text_of(name) if name is not None else "?"
    owner = next((n for n in reversed(outer) if n.type in CONTAINERS), None)
    if NAMED[item.type] == "fn" and owner is not None and owner.type != "mod_item":
        label = f"{_owner(owner)}::{label}"
    return f"{NAMED[item.type]} {label}"


def _impl(node: Node) -> str:
    kind, trait = node.child_by_field_name("type"), node.child_by_field_name("trait")
    shown = text_of(kind) if kind is not None else "?"
    return f"impl {text_of(trait)} for {shown}" if trait is not None else f"impl {shown}"


def _owner(node: Node) -> str:
    field = "type" if node.type == "impl_item" else "name"
    found = node.child_by_field_name(field)
    return text_of(found).split("<", 1)[0] if found is not None else "?"
