"""One key map with conventions (tui/keys.py): docs/tui.md's table is the bindings' table, the
global keys are never redefined, one key means one kind of thing everywhere, the footer keeps
`q Back` and `? Keys` at 80 columns, users rebind by id in config.toml, and hints name the
keys of the screen they appear on."""

from __future__ import annotations

import re
from pathlib import Path

from patchpilot.core import paths
from patchpilot.tui import keys
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.hints import in_tui_words
from patchpilot.tui.screens import REGISTRY, all_bindings
from patchpilot.tui.screens.home import HomeScreen
from patchpilot.tui.screens.send import SendScreen
from patchpilot.tui.screens.series import SeriesScreen
from patchpilot.tui.widgets.dialogs import DISCARD, SAVE, YES, Confirm
from patchpilot.tui.widgets.footer import KeyFooter, fit
from tests.integration.test_send import rust_series
from tests.tui.test_app import settle, two_series

README = Path(__file__).resolve().parents[2] / "docs" / "tui.md"  # the key table


def own_bindings():
    return {name: b for name, b in all_bindings(REGISTRY).items() if name != "all screens"}


def test_the_readme_key_table_is_the_bindings_table():
    text = README.read_text()
    table = re.search(r"<!-- keys: .*? -->\n(.*?)\n<!-- /keys -->", text, re.S)
    assert table, "docs/tui.md has no generated key table"
    assert table.group(1).splitlines() == keys.key_table(all_bindings(REGISTRY))


def test_no_screen_redefines_a_global_key():
    for screen, bindings in own_bindings().items():
        for binding in bindings:
            taken = set(binding.key.split(",")) & keys.GLOBAL_KEYS
            assert not taken, f"{screen}: {binding.id} takes the global key(s) {taken}"


def test_one_key_means_one_kind_of_thing():
    kinds: dict[str, set[str]] = {}
    for bindings in all_bindings(REGISTRY).values():
        for binding in bindings:
            for key in binding.key.split(","):
                kinds.setdefault(key, set()).add(keys.META[binding.id].kind)
    mixed = {k: v for k, v in kinds.items() if len(v) > 1}
    assert not mixed, mixed
    # the keys that confirm, save or discard in a dialog do nothing harmless on a screen
    for answer in (YES, SAVE, DISCARD):
        for key in answer.keys:
            assert kinds.get(key, {"rewrite"}) <= {"rewrite", "send"}, (key, kinds.get(key))


def test_the_footer_keeps_back_and_keys_when_narrow():
    bindings = [(b, True, "") for b in keys.GLOBAL + keys.APP + keys.SCREEN_KEYS
                if b.show]
    display = {b.key: keys.shown(b.key) for b, _, _ in bindings}
    chosen = [b.id for b, _, _ in fit(bindings, 30, display)]
    assert chosen[:2] == ["app.back", "app.help"]
    wide = [b.id for b, _, _ in fit(bindings, 200, display)]
    # esc Back shows only where q is not bound (q types text there)
    assert set(wide) == {b.id for b, _, _ in bindings} - {"app.escape"}


def footer_keys(screen) -> list[str]:
    return [f"{k.key_display} {k.description}" for k in screen.query_one(KeyFooter).children]


async def test_rebinding_by_id_in_config_toml(kernel_tree):
    rust_series(kernel_tree, 1)
    config = paths.user_config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[keys]\n"send.send" = "ctrl+x"\n"no.such.binding" = "z"\n')
    app = PatchpilotApp(kernel_tree)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert any("no.such.binding" in n.message for n in app._notifications)
        series = app.screen
        assert isinstance(series, SeriesScreen)
        shown = footer_keys(series)
        assert shown[:2] == ["q Back", "? Keys"], shown  # at 80 columns, first
        await pilot.press("s")
        await settle(pilot)
        send = app.screen
        assert isinstance(send, SendScreen) and send.prepared is not None
        assert "^x Send…" in footer_keys(send)
        await pilot.press("x")  # the old key does nothing now
        await pilot.pause()
        assert app.screen is send
        await pilot.press("ctrl+x")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await pilot.pause()
        assert "ctrl+x" in in_tui_words("then run patchpilot send again", send)


async def test_hints_say_the_keys_of_the_screen(kernel_tree):
    two_series(kernel_tree)
    app = PatchpilotApp(kernel_tree, auto_open=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        home, series = app.screen, SeriesScreen("b4/second")
        assert isinstance(home, HomeScreen)
        send = SendScreen("b4/second")
        fix = "patchpilot recipients --write (or --add-cc rust-for-linux@vger.kernel.org)"
        assert in_tui_words(fix, send) == "press m, then w"
        assert in_tui_words("patchpilot cover --edit", series) == "press e"
        assert in_tui_words("enroll it first: patchpilot enroll BASE", series) == \
            "enroll it first: press + on the home screen"
        assert in_tui_words("enroll it first: patchpilot enroll BASE", home) == \
            "enroll it first: press +"
        assert in_tui_words("fetch it: patchpilot replies --refresh", series) == \
            "fetch it: press v, then f"
        assert in_tui_words("no replies fetched yet: patchpilot replies --refresh", send) == \
            in_tui_words("fetch it: patchpilot replies --refresh", send).replace(
                "fetch it", "no replies fetched yet")  # replies and reroll: the same words
        assert in_tui_words("fix what each line says, or send anyway with --override b4",
                            send) == "fix what each line says, or x (it asks before overriding)"
        assert in_tui_words("git switch b4/x", send) == "git switch b4/x"  # not ours: kept


async def test_the_footer_is_drawn_again_only_when_its_keys_change(kernel_tree):
    """Screens refresh their bindings on every update; the footer keeps its keys unless what
    it shows changes (a key enabled or greyed, another width)."""
    two_series(kernel_tree)
    app = PatchpilotApp(kernel_tree, auto_open=False)
    async with app.run_test(size=(30, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        before = list(footer.children)
        app.screen.refresh_bindings()
        await settle(pilot)
        assert list(footer.children) == before  # nothing changed: the same widgets
        await pilot.resize_terminal(160, 45)
        await settle(pilot)
        assert len(footer.children) > len(before)  # wider: drawn again, with more keys
