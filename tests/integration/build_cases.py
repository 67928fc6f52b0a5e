"""The build check on the planted series (patchpilot.demo.planted), with a real kernel build:
the Debian 13 tool root's rustc, clippy-driver, bindgen and clang, `make LLVM=1 CLIPPY=1`,
`make rustdoc`, and kunit.py booting each build in QEMU (TCG).

Shared by test_build_planted_612.py and test_build_planted_73.py (one file per kernel line, so
that the two builds may run on two workers); each of them defines the `release` fixture.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from patchpilot.core.build.model import BuildReport, Event
from patchpilot.core.build.runner import build_series
from patchpilot.core.git.repo import GitRepo
from patchpilot.demo import planted
from tests.buildbed import BuildBed, planted_tree


@dataclass
class Planted:
    tree: Path
    base: str
    commits: list[str]
    report: BuildReport
    events: list[Event]

    @property
    def patches(self) -> list[tuple[int, str, str]]:
        return [(i, c, planted.SUBJECTS[i - 1]) for i, c in enumerate(self.commits, 1)]

    def line(self, index: int, path: str, pattern: str) -> int:
        return planted.line_of(self.tree, self.commits[index - 1], path, pattern)


@pytest.fixture(scope="module")
def planted_build(release: str, build_bed: BuildBed, tmp_path_factory) -> Planted:
    from tests.conftest import KERNEL_CACHE

    tree, base, commits = planted_tree(KERNEL_CACHE, release,
                                       tmp_path_factory.mktemp("planted") / "linux")
    events: list[Event] = []
    repo = GitRepo(tree)
    patches = [(i, c, planted.SUBJECTS[i - 1]) for i, c in enumerate(commits, 1)]
    report = build_series(repo, base, patches, build_bed.options(), on_event=events.append)
    return Planted(tree, base, commits, report, events)


def test_the_clean_patch_is_clean(planted_build):
    report = planted_build.report
    assert not report.stopped and not report.cancelled, report.stopped
    first = report.patches[0]
    assert first.built is True
    assert (first.errors, first.warnings, first.test_failures, first.failure) == ([], [], [],
                                                                                  ""), first
    assert first.tests_run > 100  # the doctests ran (6.12: 114 of them, 7.3: 353)


def test_the_new_clippy_warning_is_on_its_patch_and_line(planted_build):
    second = planted_build.report.patches[1]
    assert second.built is True
    found = [(w.code, w.file, w.line) for w in second.warnings]
    line = planted_build.line(2, planted.SAMPLE, r"return 42;")
    assert found == [("clippy::needless_return", planted.SAMPLE, line)], second.warnings
    assert "remove `return`" in second.warnings[0].help
    # printed again when later patches rebuild the sample, and never given to them
    for later in planted_build.report.patches[2:4]:
        assert not [w for w in later.warnings if w.code == "clippy::needless_return"]


def test_the_broken_doctest_fails_on_its_patch_at_the_assertion(planted_build):
    third = planted_build.report.patches[2]
    assert third.built is True and third.warnings == [] and third.errors == []
    assert len(third.test_failures) == 1, third.test_failures
    failure = third.test_failures[0]
    assert failure.name.rsplit(".", 1)[-1].startswith("rust_doctest_kernel_str_rs_")
    line = planted_build.line(3, planted.STR, r"assert_eq!\(1 \+ 1, 3\)")
    assert failure.location == f"{planted.STR}:{line}"
    assert "docs" in third.steps  # the patch touches rust/: make rustdoc ran after it


def test_the_fix_passes_again_and_is_clean(planted_build):
    fourth = planted_build.report.patches[3]
    assert fourth.built is True and fourth.clean, fourth
    assert fourth.tests_run == planted_build.report.patches[0].tests_run


def test_the_patch_that_does_not_build_is_named_with_its_error(planted_build):
    report = planted_build.report
    fifth = report.patches[4]
    assert fifth.built is False
    line = planted_build.line(5, planted.SAMPLE, r"forty-two")
    assert ("E0308", planted.SAMPLE, line) in [(e.code, e.file, e.line) for e in fifth.errors]
    assert fifth.tests_run == 0 and "tests" not in fifth.steps
    assert report.summary() == ("patch 5 does not build, 1 new warning(s), "
                                "1 test failure(s)")
    assert report.ok is False and report.complete is True


def test_progress_names_each_patch_and_step_as_it_goes(planted_build):
    seen = [(e.index, e.step, e.state) for e in planted_build.events if not e.line]
    for index in range(1, 6):
        # each patch: checked out, built, then done (or found cached in a warm run)
        assert (index, "done", "cached") in seen or (
            (index, "build", "running") in seen and seen.index((index, "build", "running"))
            < seen.index((index, "done", "ok" if index in (1, 4) else "failed")))


def test_a_check_again_with_nothing_changed_builds_nothing(planted_build, build_bed):
    events: list[Event] = []
    again = build_series(GitRepo(planted_build.tree), planted_build.base,
                         planted_build.patches, build_bed.options(), on_event=events.append)
    assert [p.cached for p in again.patches] == [True] * 5
    assert not [e for e in events if e.step in ("checkout", "build", "tests")]
    assert [p.to_json() | {"cached": False, "seconds": 0} for p in again.patches] == \
        [p.to_json() | {"cached": False, "seconds": 0} for p in planted_build.report.patches]
