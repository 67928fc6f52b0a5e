"""SVG snapshots of every screen at 80x24 (designed for it) and 160x45 (it grows), on one
fixed series: fixed author and committer dates and identity, a fixed change-id, b4's
branch-description strategy (no cover commit, whose date b4 would also look at), built at a
fixed path (the home screen shows it) under a lock. Real b4, real checkpatch and rustfmt.

The commit ids also depend on the cached slim kernel tree (Debian's linux-source-6.12), and so
on whichever point release of that package the machine got: the pictures carry stand-ins for
them instead (`StableIds`: the ids of this tree's base and patches, full or abbreviated, become
fixed hex of the same length; the only text of the screens that is replaced, and only in the
picture compared). Review an SVG before accepting it: `pytest tests/tui/test_snapshots.py --snapshot-update`,
then look at tests/tui/__snapshots__/ (rsvg-convert makes a PNG of one).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import TextArea

from patchpilot.demo import kernelsrc
from patchpilot.tui.app import PatchpilotApp
from tests.helpers import commit, git, rust_sample
from tests.tui.test_app import settle

FIXED = {"GIT_AUTHOR_DATE": "2025-02-03T10:00:00Z", "GIT_COMMITTER_DATE": "2025-02-03T10:00:00Z"}
BRANCH = "b4/snapshot"
CHANGE_ID = "20250203-snapshot-0123456789ab"
COVER = ("samples: rust: two snapshot samples\n\nTwo small samples, the second with an "
         "unsafe read that still needs its SAFETY comment.\n")
UNSAFE = "\n/// Reads.\npub fn read(p: &u32) -> u32 {\n    unsafe { core::ptr::read(p) }\n}\n"
SIZES = {"80x24": (80, 24), "160x45": (160, 45)}
SCREENS = {"home": None, "series": None, "checks": "c", "recipients": "m", "cover": "e",
           "send": "s", "replies": "v", "reroll": "n"}


@pytest.fixture
def snapshot_tree(slim_template, monkeypatch) -> Iterator[Path]:
    """The fixed series, at a fixed path, one test at a time (a lock file)."""
    top = Path(tempfile.gettempdir()) / f"patchpilot-snapshot-{os.getuid()}"
    top.mkdir(exist_ok=True)
    with open(top / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        tree = top / "linux"
        shutil.rmtree(tree, ignore_errors=True)
        kernelsrc.clone_tree(slim_template, tree)
        git(tree, "branch", "--unset-upstream")
        for name, value in FIXED.items():
            monkeypatch.setenv(name, value)
        build_series(tree)
        yield tree
        shutil.rmtree(tree, ignore_errors=True)


def build_series(tree: Path) -> None:
    git(tree, "switch", "-q", "-c", BRANCH, "master")
    git(tree, "config", f"branch.{BRANCH}.b4-prep-cover-strategy", "branch-description")
    git(tree, "config", f"branch.{BRANCH}.description", COVER)
    tracking = {"series": {"revision": 1, "change-id": CHANGE_ID, "prefixes": [],
                           "presubject": "", "base-branch": "master"}}
    git(tree, "config", f"branch.{BRANCH}.b4-tracking", json.dumps(tracking))
    commit(tree, {"samples/rust/rust_snap.rs": rust_sample("rust_snap")},
           "samples: rust: add the snap sample\n\nAdd a sample that prints a line at load.")
    commit(tree, {"samples/rust/rust_snap.rs": rust_sample("rust_snap") + UNSAFE},
           "samples: rust: snap: add a read helper\n\nRead a value through a reference.")


class StableIds(PatchpilotApp):
    """The app, with the tree's own commit ids replaced in its screenshots by stand-ins of the
    same length (layout is what the pictures test; the ids change with the package release)."""

    CSS_PATH = Path(sys.modules[PatchpilotApp.__module__].__file__).with_name("app.tcss")

    def __init__(self, tree: Path, **kwargs) -> None:
        super().__init__(tree, **kwargs)
        base = git(tree, "rev-parse", "master").strip()
        patches = git(tree, "rev-list", "--reverse", f"master..{BRANCH}").split()
        self.stand_ins = {base: "ba5e" * 10,
                          **{sha: f"{n:x}" * 40 for n, sha in enumerate(patches, 1)}}

    def stable(self, text: str) -> str:
        def swap(match: re.Match[str]) -> str:
            run = match.group(0)
            for sha, stand_in in self.stand_ins.items():
                if sha.startswith(run):
                    return stand_in[:len(run)]
            return run
        return re.sub(r"(?<![0-9a-f])[0-9a-f]{7,40}(?![0-9a-f])", swap, text)

    def export_screenshot(self, *args, **kwargs) -> str:
        return self.stable(super().export_screenshot(*args, **kwargs))


def test_stand_ins_replace_only_this_trees_ids(snapshot_tree):
    app = StableIds(snapshot_tree)
    base = git(snapshot_tree, "rev-parse", "master").strip()
    text = f"base {base[:12]} commit {base} change-id 20250203-snapshot-0123456789ab ffffffff"
    assert app.stable(text) == ("base ba5eba5eba5e commit " + "ba5e" * 10
                                + " change-id 20250203-snapshot-0123456789ab ffffffff")


def opened(key: str | None):
    async def run_before(pilot) -> None:
        await settle(pilot)
        if key:
            await pilot.press(key)
            await settle(pilot)
        for area in pilot.app.screen.query(TextArea):
            area.cursor_blink = False  # a blinking cursor is not a layout
            # Textual keys its line cache on the cursor only while it blinks: a line drawn in
            # the blink's dark phase is reused without the steady cursor (a picture in five
            # differed); draw the lines again.
            area._line_cache.clear()
            area.refresh()
        await settle(pilot)
    return run_before


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen(screen, size, snapshot_tree, snap_compare):
    app = StableIds(snapshot_tree, auto_open=screen != "home")
    assert snap_compare(app, terminal_size=SIZES[size], run_before=opened(SCREENS[screen]))
