"""Time to first content of each TUI screen on the demo tree (headless, real git and b4).

The app is started as a user would (it opens the current series), then each screen is opened
from the series screen; "first content" is the moment the first frame showing the screen's
data (rows in its table, the cover text, the plan) is painted, "complete" the series screen
with its diffs. Three runs; the warm ones (caches: git's, b4's, the checks cache) count.
Compared, in the same run, with `b4 prep --show-info` (what b4 needs to say anything about
the series). Then the same on the 20-patch benchmark series, on the one-commit tree and under
the deep history (PATCHPILOT_BENCH_DEEP commits), with the growth from one to the other.
Prints the seconds and the ratios (lower is better).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import BIN, TREES, isolated_env, scratch, series_tree, timed

SIZE = (120, 40)


# "shown" is the first frame the screen paints with its content: the time the compositor
# finished a refresh while `ready` held (the loop polling `ready` may get its turn much later:
# the frames after it are painted first), else when the poll saw it
_PROBE: dict[str, Any] = {"ready": None, "painted": None}


def watch_paints() -> None:
    from textual.screen import Screen

    original = Screen._compositor_refresh
    if getattr(original, "watched", False):
        return

    def refresh(self: Any) -> None:
        original(self)
        ready = _PROBE["ready"]
        if ready is not None and _PROBE["painted"] is None and ready():
            _PROBE["painted"] = time.perf_counter()

    refresh.watched = True  # type: ignore[attr-defined]
    Screen._compositor_refresh = refresh  # type: ignore[method-assign]


def arm(ready: Callable[[], bool]) -> None:
    """Watch the frames for `ready` from now (before the key press: pressing returns only
    once the key was handled, and the screen may have painted by then)."""
    _PROBE.update(ready=ready, painted=None)


async def wait_for(pilot: Any, ready: Callable[[], bool] | None = None,
                   limit: float = 120.0) -> float:
    """When the first frame with the armed `ready` (or this one, armed now) true was painted
    (perf_counter seconds)."""
    if ready is not None:
        arm(ready)
    ready = _PROBE["ready"]
    assert ready is not None  # armed
    start = time.perf_counter()
    while _PROBE["painted"] is None:
        if time.perf_counter() - start > limit:
            raise SystemExit("bench: a screen never showed its content")
        if ready():  # a state flag with nothing left to paint: the poll's time is the bound
            _PROBE["painted"] = time.perf_counter()
            break
        await pilot.pause(0.005)
    _PROBE["ready"] = None
    return float(_PROBE["painted"])


def rows(screen: Any, selector: str) -> bool:
    tables = screen.query(selector)
    return bool(tables) and tables.first().row_count > 0


SCREENS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "checks": ("c", lambda s: rows(s, "#checks-patches")),
    "recipients": ("m", lambda s: rows(s, "#rcpt-table")),
    "cover": ("e", lambda s: "reading" not in str(s.query_one("#cover-info").content)
              or "[PATCH" in str(s.query_one("#cover-info").content)),
    "send": ("s", lambda s: rows(s, "#send-preflight")),
    "replies": ("v", lambda s: s.report is not None or "reading" not in str(
        s.query_one("#replies-info").content)),
    "reroll": ("n", lambda s: s.plan is not None or "comparing with" not in str(
        s.query_one("#reroll-info").content)),
}


async def one_run(tree: Path) -> dict[str, float]:
    from patchpilot.tui.app import PatchpilotApp
    from patchpilot.tui.screens.series import SeriesScreen

    times: dict[str, float] = {}
    watch_paints()
    start = time.perf_counter()
    app = PatchpilotApp(tree)
    async with app.run_test(size=SIZE) as pilot:
        shown = await wait_for(pilot, lambda: isinstance(app.screen, SeriesScreen)
                               and rows(app.screen, "#patch-table"))
        times["series: first content after start"] = shown - start
        series = app.screen
        shown = await wait_for(pilot, lambda: series.complete)
        times["series: with diffs after start"] = shown - start
        await app.workers.wait_for_complete()
        for name, (key, ready) in SCREENS.items():
            arm(lambda name=name, ready=ready:
                getattr(app.screen, "NAME", "") == name and ready(app.screen))
            pressed = time.perf_counter()
            await pilot.press(key)
            shown = await wait_for(pilot)
            times[f"{name}: first content"] = shown - pressed
            await app.workers.wait_for_complete()
            while app.screen is not series:
                await pilot.press("escape")
                await pilot.pause()
        arm(lambda: rows(app.screen, "#series-table"))
        home = time.perf_counter()
        await pilot.press("q")
        shown = await wait_for(pilot)
        times["home: back from the series"] = shown - home
    return times


def warm_runs(tree: Path) -> dict[str, float]:
    """Three runs; the median of the warm ones (the first fills git's, b4's and our caches)."""
    runs = [asyncio.run(one_run(tree)) for _ in range(3)]
    return {k: round(statistics.median(r[k] for r in runs[1:]), 3) for k in runs[0]}


def main() -> dict[str, Any]:
    with scratch() as tmp:
        tmp_path = Path(tmp)
        env = isolated_env(tmp_path)
        os.environ.update(env)
        from patchpilot.demo.series import build_demo

        tree = build_demo(tmp_path / "demo")
        b4 = timed([str(BIN / "b4"), "prep", "--show-info"], tree, env)
        warm = warm_runs(tree)
        # the 20-patch series on the one-commit tree and under the deep history (issue 12:
        # a contributor's clone): first content must not grow with the history
        deep: dict[str, dict[str, float]] = {}
        for n, kind in enumerate(TREES):
            series, series_env = series_tree(kind, tmp_path / f"tree{n}")
            os.environ.update(series_env)
            deep[kind] = warm_runs(series)
    result: dict[str, Any] = {"bench": "tui first content (demo tree, warm)", **warm,
                              "b4_show_info_s": round(b4, 3)}
    result["ratio series first content / b4 show-info"] = round(
        warm["series: first content after start"] / b4, 2)
    small, big = (deep[k] for k in TREES)
    result["20-patch series"] = {
        name: {TREES[0]: small[name], TREES[1]: big[name],
               "growth": round(big[name] / small[name], 2) if small[name] else None}
        for name in small}
    print(result)
    return result


if __name__ == "__main__":
    main()
