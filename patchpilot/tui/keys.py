"""The key map: every binding has an id, a kind and a footer rank, declared once through `bind`.

Conventions (docs/tui.md "Keys", checked by tests/tui/test_keys.py):
- A small global set that every screen shares and no screen redefines (GLOBAL below): `q` and
  Escape back out, `?` shows the keys, `:` (or ctrl+p) opens the palette, `r` refreshes,
  `j`/`k` and the arrows move, Enter opens the selection, Tab switches panes.
- Per-screen action keys: one letter means one kind of thing everywhere. A key that rewrites
  the branch (`w` write, `t` trailers, `u` undo) or sends mail (`x`) is never a harmless key on
  another screen; screen keys (`c` checks, `m` recipients, `v` replies, `s` send, `e` cover,
  `n` next revision) open the same screen from wherever they appear.
- Dialogs say their keys on their buttons: `y` yes, `n`/Escape no, ctrl+s save, ctrl+d
  discard typed text.
- The footer shows the bindings by rank (lower first), so the important ones survive 80
  columns; `q Back` and `? Keys` rank first.
Users rebind by id in config.toml: `[keys]` then `"send.send" = "ctrl+x"` (App.set_keymap).

`python -m patchpilot.tui.keytable` prints the key table of docs/tui.md from the bindings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.binding import Binding

Kind = Literal["global", "move", "open", "mark", "run", "edit", "rewrite", "send", "start"]
KIND_WORDS: dict[Kind, str] = {
    "global": "the same on every screen", "move": "moves within the screen",
    "open": "opens a screen", "mark": "a note for yourself (no git change)",
    "run": "reads or runs tools (no git change)", "edit": "the editor's text",
    "rewrite": "rewrites the branch (asks first; backup ref)", "send": "sends mail (asks first)",
    "start": "starts a series (asks first)",
}


@dataclass(frozen=True)
class Meta:
    """What a binding is: its kind (conventions above) and its footer rank."""

    kind: Kind
    rank: int
    screen: str


META: dict[str, Meta] = {}


def bind(keys: str, action: str, description: str, id: str, kind: Kind, rank: int = 50,
         show: bool = True, screen: str = "") -> Binding:
    """A Binding with an id, registered with its kind and footer rank."""
    META[id] = Meta(kind, rank, screen or id.partition(".")[0])
    return Binding(keys, action, description, show=show, id=id)


# The global set (screens.base.PilotScreen and the app carry them).
GLOBAL = [
    bind("q", "back", "Back", "app.back", "global", 0),
    bind("escape", "escape", "Back", "app.escape", "global", 0),  # shown where q types
    bind("r", "refresh", "Refresh", "app.refresh", "global", 30),
    bind("j", "cursor(1)", "Down", "app.down", "global", 90, show=False),
    bind("k", "cursor(-1)", "Up", "app.up", "global", 90, show=False),
    bind("tab", "app.focus_next", "Pane", "app.pane", "global", 80),
]
APP = [
    bind("question_mark,f1", "toggle_help", "Keys", "app.help", "global", 1),
    bind("colon", "command_palette", "Palette", "app.palette", "global", 95, show=False),
    bind("ctrl+q", "quit", "Quit", "app.quit", "global", 99, show=False),
]
GLOBAL_KEYS = frozenset({"q", "escape", "r", "j", "k", "tab", "question_mark", "f1", "colon",
                         "enter", "up", "down", "ctrl+q", "ctrl+p"})

# The screen keys, the same on every screen of a series (screens.base.SeriesKeys).
SCREEN_KEYS = [
    bind("c", "open('checks')", "Checks", "series.checks", "open", 20),
    bind("m", "open('recipients')", "Recipients", "series.recipients", "open", 21),
    bind("e", "open('cover')", "Cover", "series.cover", "open", 22),
    bind("s", "open('send')", "Send", "series.send", "open", 23),
    bind("v", "open('replies')", "Replies", "series.replies", "open", 24),
    bind("n", "open('reroll')", "Reroll", "series.reroll", "open", 25),
]
# Fetching the review from the list: the same id, key and words on replies and reroll.
FETCH = bind("f", "fetch", "Fetch replies", "review.fetch", "run", 9)  # shown at 80 columns
OPENS = {b.id: b.action.split("'")[1] for b in SCREEN_KEYS if b.id}  # id -> screen name


def key_table(screens: dict[str, list[Binding]]) -> list[str]:
    """The key table of docs/tui.md (markdown rows) from the bindings of each screen."""
    rows = ["| screen | key | id | does | kind |", "|---|---|---|---|---|"]
    for screen, bindings in screens.items():
        for binding in bindings:
            if binding.id is None:
                continue
            meta = META[binding.id]
            keys = " / ".join(f"`{shown(k)}`" for k in binding.key.split(","))
            rows.append(f"| {screen} | {keys} | `{binding.id}` | {binding.description} | "
                        f"{meta.kind} |")
    return rows


def shown(key: str) -> str:
    """A key as docs/tui.md and the hints write it (of several, the first: `?` for
    `question_mark,f1`)."""
    first = key.split(",")[0]
    return {"question_mark": "?", "colon": ":", "escape": "esc", "plus": "+",
            "space": "space"}.get(first, first)


def validate_keymap(keymap: dict[str, str]) -> list[str]:
    """Problems with a user's [keys] table: unknown ids, or ids of the global set."""
    problems = [f"[keys] {name}: no binding has this id (see the key table in docs/tui.md)"
                for name in keymap if name not in META]
    return problems

