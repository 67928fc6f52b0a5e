"""Hints in the TUI's words carry no CLI flag the TUI has no key for: clippy's "no build
configured" hint and the "no base" error of a plain branch, both as core really raises them
on a real tree, said on a real screen."""

from __future__ import annotations

import pytest

from patchpilot.core.checks.clippy import series_findings
from patchpilot.core.checks.inputs import prepare
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import load_series
from patchpilot.tui.app import PatchpilotApp
from tests.helpers import commit, git, rust_sample
from tests.tui.test_app import SIZE, settle, two_series


async def test_no_cli_flags_in_the_hints_a_screen_shows(kernel_tree):
    two_series(kernel_tree)
    repo = GitRepo(kernel_tree)
    series = load_series(repo)
    (finding,) = series_findings(repo, series, prepare(repo, series), "", 60)[1]
    git(kernel_tree, "switch", "-q", "-c", "plain", "master")
    commit(kernel_tree, {"samples/rust/rust_p.rs": rust_sample("rust_p")}, "samples: rust: p")
    with pytest.raises(PatchpilotError) as raised:
        load_series(repo, "plain")
    app = PatchpilotApp(kernel_tree, auto_open=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        clippy, base = app.screen.say(finding.hint or ""), app.screen.say(raised.value)
    assert "--kbuild" in (finding.hint or "") and "--base" in (raised.value.hint or "")
    assert "--kbuild" not in clippy and "git config patchpilot.checks.kbuild DIR" in clippy
    assert "--base" not in base and "git config patchpilot.series.base REV" in base
