"""The build check's bad input and its faces, on the planted 7.3 series (imported by
test_build_planted_73.py, so that every 7.3 build runs on one worker, in turn):

- the CLI (text and --json) and the send pre-flight's build line;
- an amend of patch 4 rebuilds patches 4 and 5 only;
- a test that hangs in QEMU, a full disk under the build directory, Ctrl-C in the middle of
  make, no toolchain, a toolchain below the tree's minimums: one clear line each, nothing of
  the user's touched, and the next run recovers.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from patchpilot.cli.main import main
from patchpilot.core.build.runner import build_series
from patchpilot.core.build.toolchain import Toolchain, rust_available
from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.send.preflight import build_line
from patchpilot.core.series.model import load_series
from patchpilot.demo import planted
from tests.buildbed import BuildBed
from tests.faults import processes_in, small_disk, spawn
from tests.helpers import git


def cli(tree: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["-C", str(tree), *argv], stdout=out, stderr=err)
    return int(code), out.getvalue(), err.getvalue()


def _branch(tree: Path, name: str, start: str, change: str) -> list[str]:
    """A branch from `start` with one more patch to the sample (a comment line of its own:
    results are cached by tree, and this patch must be built by this run)."""
    git(tree, "checkout", "-q", "-B", name, start)
    path = tree / planted.SAMPLE
    path.write_text(path.read_text().replace(
        "//! Rust minimal sample.", f"//! Rust minimal sample.\n//! {change} {uuid.uuid4()}", 1))
    git(tree, "commit", "-q", "-a", "-s", "-m", f"samples: rust: minimal: {change}")
    return git(tree, "rev-list", "--reverse", f"master..{name}").split()


def _patches(tree: Path, commits: list[str]) -> list[tuple[int, str, str]]:
    return [(i, c, git(tree, "log", "-1", "--format=%s", c).strip())
            for i, c in enumerate(commits, 1)]


def test_the_cli_gives_each_problem_its_patch(planted_build, build_bed: BuildBed):
    tree = planted_build.tree
    build_bed.configure(tree)
    git(tree, "checkout", "-q", "planted")
    code, out, err = cli(tree, "build", "--base", "master")
    assert code == 1, err
    lines = out.splitlines()
    second = planted_build.line(2, planted.SAMPLE, r"return 42;")
    assert f"    {planted.SAMPLE}:{second}: warning clippy::needless_return: unneeded " \
           "`return` statement" in lines
    assert any(line.startswith("    test ") and "rust_doctest_kernel_str_rs_" in line and
               line.endswith(f" at {planted.STR}:" + str(planted_build.line(
                   3, planted.STR, r"1 \+ 1, 3"))) for line in lines), out
    assert any("[5/5]" in line and line.endswith("does not build (cached)") for line in lines)
    assert [line for line in lines if line.startswith("configuration: ")] == [
        "configuration: " + planted_build.report.config]
    assert planted_build.report.config.startswith("tinyconfig + Rust + KUnit + doctests")
    assert lines[-1] == "patch 5 does not build, 1 new warning(s), 1 test failure(s)"
    code, out, _ = cli(tree, "build", "--base", "master", "--json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False
    assert [p["built"] for p in data["patches"]] == [True, True, True, True, False]
    assert data["patches"][1]["warnings"][0]["code"] == "clippy::needless_return"


def test_the_send_preflight_has_a_blocking_build_line(planted_build, build_bed: BuildBed):
    tree = planted_build.tree
    build_bed.configure(tree)
    repo = GitRepo(tree)
    series = load_series(repo, "planted", base="master")
    line = build_line(repo, series, Config(repo))
    assert line.state == "fail" and line.fix == "patchpilot build"
    assert line.detail == "patch 5 does not build, 1 new warning(s), 1 test failure(s)"
    git(tree, "branch", "-f", "first-two", planted_build.commits[1])  # a prefix: cached too
    prefix = build_line(repo, load_series(repo, "first-two", base="master"), Config(repo))
    assert (prefix.state, prefix.detail) == ("fail", "every patch builds, 1 new warning(s), "
                                             f"{planted_build.report.patches[0].tests_run} "
                                             "tests pass")
    _branch(tree, "unbuilt", "master", "never built")
    unbuilt = build_line(repo, load_series(repo, "unbuilt", base="master"), Config(repo))
    assert unbuilt.state == "warn" and "has not been built" in unbuilt.detail
    assert unbuilt.fix == "patchpilot build"


def test_an_amend_of_patch_4_builds_patches_4_and_5_only(planted_build, build_bed: BuildBed):
    tree = planted_build.tree
    commits = planted_build.commits
    git(tree, "checkout", "-q", "-B", "amended", commits[3])
    path = tree / planted.STR
    path.write_text(path.read_text().replace(  # a line of its own: results are cached by tree
        "//! String representations.", f"//! String representations ({uuid.uuid4()}).", 1))
    git(tree, "commit", "-q", "-a", "--amend", "--no-edit")
    git(tree, "cherry-pick", commits[4])
    amended = git(tree, "rev-list", "--reverse", "master..amended").split()
    assert amended[:3] == commits[:3] and amended[3:] != commits[3:]
    events = []
    report = build_series(GitRepo(tree), planted_build.base, _patches(tree, amended),
                          build_bed.options(), on_event=events.append)
    assert [p.cached for p in report.patches] == [True, True, True, False, False]
    built = sorted({e.index for e in events if e.step == "build"})
    assert built == [4, 5]
    assert report.summary() == planted_build.report.summary()


def test_a_test_that_hangs_in_qemu_is_one_line(planted_build, build_bed: BuildBed):
    tree = planted_build.tree
    git(tree, "checkout", "-q", "-B", "hangs", "master")
    path = tree / planted.STR
    text = path.read_text()
    at = text.index("    /// assert_eq!(")
    path.write_text(text[:at] + "    /// loop { core::hint::spin_loop(); }\n" + text[at:])
    git(tree, "commit", "-q", "-a", "-s", "-m", "rust: str: an example that never ends")
    commits = git(tree, "rev-list", "master..hangs").split()
    report = build_series(GitRepo(tree), planted_build.base, _patches(tree, commits),
                          build_bed.options(test_timeout=30))
    hang = report.patches[0]
    assert hang.built is True
    assert "did not finish within 30 s (a test hangs" in hang.failure
    assert report.ok is False and "qemu" not in " ".join(processes_in(build_bed.root))
    assert not [p for p in _qemus() if str(build_bed.root) in p]


def _qemus() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if cmdline.startswith("qemu-system"):
            found.append(cmdline)
    return found


def test_a_full_disk_under_the_build_is_one_line_and_the_next_run_recovers(
        planted_build, build_bed: BuildBed):
    tree = planted_build.tree
    commits = _branch(tree, "disk", planted_build.commits[3], "a line for the full disk")
    patches = _patches(tree, commits)
    home = Path(planted_build.report.home)
    head = git(tree, "rev-parse", "disk")
    with small_disk(home / "out", room=256 * 1024) as disk:
        disk.fill()  # not one byte left for the objects make writes
        report = build_series(GitRepo(tree), planted_build.base, patches, build_bed.options())
    assert report.stopped == f"no space left on the device under {home}"
    assert report.summary() == f"build stopped: no space left on the device under {home}"
    assert git(tree, "rev-parse", "disk") == head and git(tree, "status", "--porcelain") == ""
    again = build_series(GitRepo(tree), planted_build.base, patches, build_bed.options())
    assert [p.cached for p in again.patches] == [True, True, True, True, False]
    assert again.patches[4].built is True and again.patches[4].clean


def test_ctrl_c_stops_make_and_the_next_run_goes_on(planted_build, build_bed: BuildBed):
    tree = planted_build.tree
    build_bed.configure(tree)
    commits = _branch(tree, "interrupted", planted_build.commits[3], "a line to interrupt")
    proc = spawn(tree, "build", "--base", "master", "-v")  # patches 1-4 come from the cache
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:  # patch 5's build has started: clippy-driver compiles
        seen.append(line)
        if line.startswith("    |") and " CLIPPY " in line and any(
                "[5/5] build: running" in s for s in seen):
            break
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "build interrupted: make, clippy and QEMU were stopped" in out, "".join(seen) + \
        out + err
    assert "Traceback" not in err
    home = Path(planted_build.report.home)
    deadline = time.monotonic() + 30
    while processes_in(home / "src") and time.monotonic() < deadline:
        time.sleep(0.5)  # the killed group's last exits
    assert processes_in(home / "src") == []
    assert git(tree, "rev-parse", "interrupted").strip() == commits[-1]
    code, out, err = cli(tree, "build", "--base", "master")
    assert code == 1, out + err  # patches 2 and 3 of the planted series
    verdicts = [line for line in out.splitlines() if re.match(r"^\[\d/5\] [0-9a-f]{12} ", line)]
    assert [line.endswith(" (cached)") for line in verdicts] == [True] * 4 + [False]
    assert verdicts[4].startswith(f"[5/5] {commits[-1][:12]} ") and verdicts[4].endswith(": ok")
    assert out.splitlines()[-1].startswith("every patch builds, 1 new warning(s), ")


def test_no_toolchain_is_the_kernels_own_verdict(planted_build, build_bed: BuildBed, tmp_path):
    # a PATH with the shell tools the Makefile needs, and no rustc, bindgen or clang
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("make", "sh", "bash", "sed", "grep", "head", "cat", "awk", "expr", "tr", "cut",
                 "mktemp", "rm", "mkdir", "uname", "readlink", "basename", "dirname", "env",
                 "sort", "tail", "wc", "test", "ln", "cp", "mv", "touch", "cmp", "python3"):
        found = subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True,
                               text=True).stdout.strip()
        if found.startswith("/"):
            (bare / tool).symlink_to(found)
    bare_toolchain = Toolchain(("env", f"PATH={bare}"))
    with pytest.raises(PatchpilotError) as raised:
        build_series(GitRepo(planted_build.tree), planted_build.base, planted_build.patches,
                     build_bed.options(toolchain=bare_toolchain))
    message = str(raised.value)
    assert message.startswith("the toolchain cannot build Rust for this tree: ")
    assert "could not be found" in message and "\n" not in message


def test_a_toolchain_below_the_trees_minimum_is_named(planted_build, build_bed: BuildBed):
    # 7.3 asks more of rustc on powerpc (1.95) than the root's Debian 13 rustc 1.85 has
    home = Path(planted_build.report.home)
    verdict = rust_available(build_bed.toolchain, home / "src", arch="powerpc")
    assert verdict.ok is False
    assert "too old" in verdict.summary and "1.85" in verdict.output
    assert rust_available(build_bed.toolchain, home / "src", arch="x86_64").ok


def test_a_broken_doc_link_is_a_rustdoc_warning_on_its_line(planted_build, build_bed: BuildBed):
    tree = planted_build.tree
    git(tree, "checkout", "-q", "-B", "doclink", "master")
    path = tree / planted.STR
    path.write_text(path.read_text().replace("//! String representations.",
                                             "//! String representations, see [`NoSuchStr`].",
                                             1))
    git(tree, "commit", "-q", "-a", "-s", "-m", "rust: str: link a type that is not there")
    commits = git(tree, "rev-list", "master..doclink").split()
    report = build_series(GitRepo(tree), planted_build.base, _patches(tree, commits),
                          build_bed.options())
    patch = report.patches[0]
    assert patch.built is True and "docs" in patch.steps
    links = [w for w in patch.warnings if "NoSuchStr" in w.message]
    assert [(w.code, w.file, w.line) for w in links] == [
        ("rustdoc::broken_intra_doc_links", planted.STR,
         planted.line_of(tree, commits[0], planted.STR, "NoSuchStr"))], patch.warnings


def test_doctor_gives_the_kernels_verdict_on_the_build_toolchain(planted_build,
                                                                 build_bed: BuildBed):
    tree = planted_build.tree
    build_bed.configure(tree)
    code, out, _ = cli(tree, "doctor", "--json")
    items = {i["name"]: i for i in json.loads(out)["items"]}
    assert items["rustavailable"]["status"] == "ok"
    assert items["rustavailable"]["found"].startswith("Rust is available")
    assert "rustc rustc 1.85" in items["build tools"]["found"]
    assert "bindgen bindgen 0.71" in items["build tools"]["found"]
