"""(Imported by tests/integration/test_build_planted_73.py: every 7.3 build on one worker.)
The build check on the checks screen at 80x24, with real builds: the planted series on a full
7.3 tree (patchpilot.demo.planted), built by the Debian 13 tool root's toolchain in the shared
warm build home (tests/buildbed.py; `make LLVM=1 CLIPPY=1`, rustdoc, kunit.py in QEMU).

A series built before shows its build at once from the cache (nothing builds by itself); `b`
builds, with the running step in each patch's cell, make's last line below, and each patch's
results as soon as it is done, while the screen keeps answering keys; ctrl+c, or leaving the
screen, kills the build's make. The series the live tests build carry a line of their own, so
no run finds them in the cache.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import DataTable, Static

from patchpilot.core.build.model import Event
from patchpilot.core.build.runner import build_series
from patchpilot.core.git.repo import GitRepo
from patchpilot.demo import planted
from patchpilot.tui.app import PatchpilotApp
from patchpilot.tui.screens.checks import ChecksScreen
from patchpilot.tui.widgets.buildcells import Throttle, progress_text
from patchpilot.tui.widgets.fittable import FitTable
from tests.buildbed import BuildBed, planted_tree
from tests.helpers import git
from tests.tui.test_app import plain, settle
from tests.tui.test_state import until

SIZE = (80, 24)


@pytest.fixture(scope="module")
def planted73(build_bed: BuildBed, tmp_path_factory) -> tuple[Path, str, list[str]]:
    """The planted series on 7.3, built once with the default settings (found in the cache
    when the build home is warm: then this builds nothing)."""
    from tests.conftest import KERNEL_CACHE

    tree, base, commits = planted_tree(KERNEL_CACHE, "7.3",
                                       tmp_path_factory.mktemp("planted") / "linux")
    patches = [(i, c, planted.SUBJECTS[i - 1]) for i, c in enumerate(commits, 1)]
    report = build_series(GitRepo(tree), base, patches, build_bed.options())
    assert report.complete, report.summary()
    build_bed.configure(tree)
    git(tree, "config", "patchpilot.series.base", base)
    return tree, base, commits


def live_branch(tree: Path, name: str, patches: int) -> None:
    """A branch from master whose patches nobody built before (a line of their own): the first
    returns through `return` (clippy::needless_return), the others add a comment line. Docs
    and tests off: a build is make alone."""
    token = uuid.uuid4().hex[:12]
    git(tree, "checkout", "-q", "-B", name, "master")
    path = tree / planted.SAMPLE
    text = path.read_text().replace("impl kernel::Module for RustMinimal {",
                                    f"fn answer() -> u32 {{\n    // {token}\n    return 42;\n}}"
                                    "\n\nimpl kernel::Module for RustMinimal {", 1)
    path.write_text(text.replace('        pr_info!("Am I built-in? {}\\n", !cfg!(MODULE));\n',
                                 '        pr_info!("Am I built-in? {}\\n", !cfg!(MODULE));\n'
                                 '        pr_info!("The answer is {}\\n", answer());\n', 1))
    git(tree, "commit", "-q", "-a", "-s", "-m", "samples: rust: minimal: print the answer")
    for n in range(2, patches + 1):
        path.write_text(path.read_text().replace("//! Rust minimal sample.",
                                                 f"//! Rust minimal sample.\n//! {token} {n}",
                                                 1))
        git(tree, "commit", "-q", "-a", "-s", "-m", f"samples: rust: minimal: note {n}")
    git(tree, "config", "patchpilot.build.docs", "false")
    git(tree, "config", "patchpilot.build.tests", "false")


def live_app(tree: Path, name: str, patches: int) -> PatchpilotApp:
    live_branch(tree, name, patches)
    return PatchpilotApp(tree, auto_open=False)


async def open_checks(pilot, branch: str) -> ChecksScreen:
    pilot.app.open_screen("checks", branch=branch)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ChecksScreen)
    return screen


def build_cells(screen: ChecksScreen) -> list[str]:
    table = screen.query_one("#checks-patches", FitTable)
    at = [c.key for c in table.cols].index("build")
    return [cell.plain if isinstance(cell, Text) else str(cell) for cell in
            (row[at] for row in table.data)]


def shown_cells(screen: ChecksScreen) -> list[str]:
    """The Build column as drawn (the table's own cells: the column fits at 80 columns)."""
    table = screen.query_one("#checks-patches", DataTable)
    return [str(table.get_cell_at((row, 2))) for row in range(table.row_count)]


def build_line(screen: ChecksScreen) -> str:
    content = screen.query_one("#checks-build", Static).content
    return content.plain if isinstance(content, Text) else str(content)


def why(screen: ChecksScreen) -> dict[int, tuple[str, list[str]]]:
    """What each finished patch's build said (for a failing assertion's message)."""
    return {i: (b.failure, [e.message for e in b.errors][:3]) for i, b in screen.builds.items()}


def stat(pid: str) -> tuple[str, int, int] | None:
    """(state, parent, session) of a process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1]), int(fields[3])


def build_sessions() -> set[int]:
    """The sessions of the commands this test's build started (the runner gives each command
    its own session; make's children stay in it even when their parent is gone)."""
    me, parents, sessions = os.getpid(), {}, {}
    for entry in Path("/proc").iterdir():
        found = stat(entry.name) if entry.name.isdigit() else None
        if found:
            parents[int(entry.name)], sessions[int(entry.name)] = found[1], found[2]
    ours = set()
    for pid in parents:
        up = parents.get(pid)
        while up and up != me:
            up = parents.get(up)
        if up == me and sessions[pid] != os.getsid(0):
            ours.add(sessions[pid])
    return ours


def alive(sessions: set[int]) -> list[str]:
    """The live (not zombie) processes of `sessions`, with their command lines."""
    found = []
    for entry in Path("/proc").iterdir():
        info = stat(entry.name) if entry.name.isdigit() else None
        if info and info[2] in sessions and info[0] != "Z":
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            found.append(f"{entry.name}: {cmdline[:120]}")
    return found


def making(sessions: set[int]) -> bool:
    return any(" make " in f" {line.split(': ', 1)[1]}" or "/make " in line
               for line in alive(sessions))


async def wait_for(pilot, predicate) -> None:
    """Let the app run until `predicate()` holds (a bound of half an hour against a hang, not
    a timing: a build may first wait for the other tests' builds in the shared build home)."""
    await until(pilot, predicate, tries=36000)


async def test_a_series_built_before_shows_its_build_at_once(planted73):
    tree, base, commits = planted73
    app = PatchpilotApp(tree, auto_open=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checks(pilot, "planted")
        assert not screen.building  # from the cache: nothing was built
        assert build_cells(screen) == ["cached ok", "cached 1 warn", "cached tests fail",
                                       "cached ok", "cached no build"]
        assert [c.split()[-1] for c in shown_cells(screen)] == ["ok", "warn", "fail", "ok",
                                                                "build"]
        line = build_line(screen)
        assert "build: patch 5 does not build, 1 new warning(s), 1 test failure(s)" in line
        assert "config tinyconfig + Rust + KUnit + doctests" in line
        assert "toolchain " + screen.build_report.toolchain in line
        await pilot.press("j")  # patch 2: the clippy warning, on its line, in the diff
        await pilot.pause()
        found = [(f.tool, f.rule, f.severity, f.file, f.line) for f in screen.selected_findings
                 if f.tool == "build"]
        line_no = planted.line_of(tree, commits[1], planted.SAMPLE, r"return 42;")
        assert found == [("build", "clippy::needless_return", "warning", planted.SAMPLE,
                          line_no)]
        findings = screen.query_one("#checks-findings", DataTable)
        findings.focus()
        findings.move_cursor(row=[f.tool for f in screen.selected_findings].index("build"))
        await pilot.press("enter")
        await pilot.pause()
        diff = plain(screen.query_one("#checks-diff-text").content).splitlines()
        assert screen.diff_target is not None and "return 42;" in diff[screen.diff_target]
        screen.query_one("#checks-patches", DataTable).focus()
        await pilot.press("j")  # patch 3: the failing doctest, where KUnit put it
        await pilot.pause()
        kunit = [f for f in screen.selected_findings if f.tool == "kunit"]
        doctest = planted.line_of(tree, commits[2], planted.STR, r"assert_eq!\(1 \+ 1, 3\)")
        assert [(f.file, f.line, f.severity) for f in kunit] == [(planted.STR, doctest,
                                                                   "error")]
        await pilot.press("j", "j")  # patch 5: its error
        await pilot.pause()
        assert "E0308" in [f.rule for f in screen.selected_findings if f.tool == "build"]


async def test_b_builds_with_progress_per_patch_while_the_screen_answers(planted73):
    tree = planted73[0]
    live_branch(tree, "live", patches=2)
    app = PatchpilotApp(tree, auto_open=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checks(pilot, "live")
        assert build_cells(screen) == ["-", "-"]  # never built: nothing builds by itself
        await pilot.press("b")
        seen: list[list[str]] = []
        lines: set[str] = set()
        moved = []

        def note() -> bool:
            cells = build_cells(screen)
            if not seen or seen[-1] != cells:
                seen.append(cells)
            lines.add(build_line(screen).strip())
            return cells[1] == "build…"

        await wait_for(pilot, note)  # patch 2 builds: patch 1 is done, its results shown
        assert screen.building and build_cells(screen)[0] == "1 warn"
        assert [f.rule for f in screen.selected_findings if f.tool == "build"] == [
            "clippy::needless_return"]
        await pilot.press("j")  # the screen answers during the build
        moved.append((screen.selected_index, screen.building))
        await pilot.press("k")
        moved.append((screen.selected_index, screen.building))
        await wait_for(pilot, lambda: note() and False or not screen.building)
    assert moved == [(2, True), (1, True)]
    assert seen[0] == ["queued", "queued"] and seen[-1] == ["1 warn", "ok"], (seen,
                                                                             why(screen))
    assert ["build…", "queued"] in seen and ["1 warn", "build…"] in seen, seen
    assert any(line.startswith("building patch 2/2: build…") for line in lines), lines
    assert any(line.split("build… ", 1)[-1].strip() for line in lines
               if line.startswith("building patch")), lines  # make's own last line
    assert screen.build_report is not None and screen.build_report.summary() == \
        "every patch builds, 1 new warning(s)"


async def build_until_make_runs(pilot, branch: str, patch: int) -> tuple[ChecksScreen,
                                                                          set[int]]:
    """Open the checks of `branch`, press b, and wait until the make of patch `patch` (one
    this test's build started) compiles; the sessions of the build's commands."""
    screen = await open_checks(pilot, branch)
    await pilot.press("b")
    sessions: set[int] = set()

    def compiling() -> bool:
        sessions.update(build_sessions())
        return build_cells(screen)[patch - 1] == "build…" and making(sessions)

    await wait_for(pilot, compiling)
    return screen, sessions


async def test_ctrl_c_kills_make_and_keeps_the_finished_patches(planted73):
    app = live_app(planted73[0], "stopped", patches=2)
    async with app.run_test(size=SIZE) as pilot:
        screen, sessions = await build_until_make_runs(pilot, "stopped", patch=2)
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: not screen.building)
        assert build_cells(screen) == ["1 warn", "cancelled"], why(screen)
        assert screen.build_report is not None and screen.build_report.cancelled
        assert "build: build cancelled" in build_line(screen)
        assert alive(sessions) == []  # make, rustc and clippy-driver went with it
        await pilot.press("b")  # the build directory is usable: patch 1 comes from the cache
        await wait_for(pilot, lambda: not screen.building)
        assert build_cells(screen) == ["cached 1 warn", "ok"], why(screen)


async def test_leaving_the_screen_cancels_its_build(planted73):
    app = live_app(planted73[0], "left", patches=1)
    async with app.run_test(size=SIZE) as pilot:
        screen, sessions = await build_until_make_runs(pilot, "left", patch=1)
        await pilot.press("q")
        assert app.screen is not screen and screen.build_cancel.is_set()
        await wait_for(pilot, lambda: not alive(sessions))
        await settle(pilot)  # the worker has returned: no thread builds on


def test_make_lines_reach_the_screen_ten_a_second_and_every_step_change_at_once():
    passed: list[Event] = []
    now = [0.0]
    throttle = Throttle(passed.append, every=0.1, clock=lambda: now[0])
    throttle(Event(1, "build", "running"))
    for n in range(1000):  # a second of make's lines, a thousand of them
        now[0] = n / 1000
        throttle(Event(1, "build", "running", f"  CC      file{n}.o"))
    throttle(Event(1, "build", "ok"))  # within the same millisecond: still passed on
    throttle(Event(1, "done", "ok"))
    lines = [e.line for e in passed if e.line]
    assert 9 <= len(lines) <= 10 and lines[0] == "  CC      file100.o"  # 0.1 s after the start
    assert [(e.step, e.state) for e in passed if not e.line] == [
        ("build", "running"), ("build", "ok"), ("done", "ok")]


def test_the_progress_line_is_untrusted_text():
    line = '{"$message_type":"diagnostic","message":"unused [bold]x[/bold]","level":"warning"}'
    assert progress_text(Event(2, "build", "running"), 5, line).plain == \
        "building patch 2/5: build… warning: unused [bold]x[/bold]"
    shown = progress_text(Event(0, "build", "running"), 5, "  LD\x1b[2J vmlinux\r").plain
    assert shown.startswith("building the base: build… LD") and "\x1b" not in shown
