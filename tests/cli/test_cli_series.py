"""`patchpilot series/new/enroll` in-process: the JSON contract and every bad input.

Bad input must end in exit code 2, one line on stderr, no traceback, and the repository left
exactly as it was.
"""

from __future__ import annotations

import io
import json
import os
import stat

import pytest

from patchpilot.cli.main import main
from tests.helpers import commit, git, rust_sample


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return int(code), out.getvalue(), err.getvalue()


def repo_state(tree) -> str:
    """Everything a command could change: refs, HEAD, config, index and work tree status."""
    return "\n".join([
        git(tree, "for-each-ref"), git(tree, "rev-parse", "HEAD"),
        git(tree, "symbolic-ref", "-q", "HEAD") if git_ok(tree, "symbolic-ref", "-q", "HEAD")
        else "detached",
        (tree / ".git" / "config").read_text(), git(tree, "status", "--porcelain=v1"),
    ])


def git_ok(tree, *args) -> bool:
    try:
        git(tree, *args)
        return True
    except AssertionError:
        return False


def assert_usage_error(code: int, err: str, needle: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "hint:" in lines[0], err


def make_b4_series(tree, name="demo", patches=1) -> None:
    code, _, err = run("-C", str(tree), "new", name, "--fork-point", "master")
    assert code == 0, err
    for i in range(patches):
        commit(tree, {f"samples/rust/rust_s{i}.rs": rust_sample(f"rust_s{i}")},
               f"samples: rust: add sample {i}")


def test_series_json_contract(kernel_tree):
    make_b4_series(kernel_tree, patches=2)
    code, out, err = run("-C", str(kernel_tree), "series", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"branch", "base", "head", "revision", "change_id", "b4_managed",
                         "cover", "prerequisites", "patches"}
    assert data["prerequisites"] == []  # none declared (b4 prep --edit-deps)
    assert data["branch"] == "b4/demo" and data["b4_managed"] is True
    assert data["head"] == git(kernel_tree, "rev-parse", "HEAD").strip()
    assert data["base"] == git(kernel_tree, "rev-parse", "master").strip()
    assert set(data["cover"]) == {"subject", "body"}
    assert data["cover"]["subject"].startswith("EDITME")
    assert [p["index"] for p in data["patches"]] == [1, 2]
    assert set(data["patches"][0]) == {"index", "commit", "patch_id", "subject", "author",
                                       "files"}
    assert data["patches"][1]["files"] == ["samples/rust/rust_s1.rs"]
    assert data["patches"][1]["author"] == "Test Dev <dev@example.org>"


def test_series_text_output(kernel_tree):
    make_b4_series(kernel_tree)
    code, out, _ = run("-C", str(kernel_tree), "series")
    assert code == 0
    assert "b4/demo  v1" in out and "[1/1]" in out and "samples/rust/rust_s0.rs" in out


def test_new_refuses_existing_name(kernel_tree):
    make_b4_series(kernel_tree, patches=0)
    before = repo_state(kernel_tree)
    code, _, err = run("-C", str(kernel_tree), "new", "demo")
    assert_usage_error(code, err, "already exists")
    assert repo_state(kernel_tree) == before


def test_not_a_git_repo(tmp_path):
    code, _, err = run("-C", str(tmp_path), "series")
    assert_usage_error(code, err, "not a git repository")


def test_missing_directory(tmp_path):
    code, _, err = run("-C", str(tmp_path / "nope"), "series")
    assert_usage_error(code, err, "no such directory")


def test_git_repo_that_is_not_a_kernel_tree(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "README").write_text("hello\n")
    git(tmp_path, "add", "README")
    git(tmp_path, "commit", "-q", "-m", "init")
    code, _, err = run("-C", str(tmp_path), "series")
    assert_usage_error(code, err, "not a kernel tree")


def test_detached_head(kernel_tree):
    git(kernel_tree, "checkout", "-q", "--detach")
    before = repo_state(kernel_tree)
    code, _, err = run("-C", str(kernel_tree), "series")
    assert_usage_error(code, err, "detached")
    assert repo_state(kernel_tree) == before


def test_no_commits_over_base(kernel_tree):
    make_b4_series(kernel_tree, patches=0)
    code, _, err = run("-C", str(kernel_tree), "series")
    assert_usage_error(code, err, "no commits over its base")


def test_plain_branch_without_base_says_how_to_choose(kernel_tree):
    git(kernel_tree, "switch", "-q", "-c", "topic")
    commit(kernel_tree, {"samples/rust/rust_t.rs": rust_sample("rust_t")}, "samples: add t")
    code, _, err = run("-C", str(kernel_tree), "series")
    assert_usage_error(code, err, "--base")
    code, out, _ = run("-C", str(kernel_tree), "series", "--base", "master", "--json")
    assert code == 0 and len(json.loads(out)["patches"]) == 1


def test_merge_commit_in_range(kernel_tree):
    git(kernel_tree, "switch", "-q", "-c", "side")
    commit(kernel_tree, {"samples/rust/rust_a.rs": rust_sample("rust_a")}, "samples: add a")
    git(kernel_tree, "switch", "-q", "-c", "topic", "master")
    commit(kernel_tree, {"samples/rust/rust_b.rs": rust_sample("rust_b")}, "samples: add b")
    git(kernel_tree, "merge", "-q", "--no-edit", "side")
    before = repo_state(kernel_tree)
    code, _, err = run("-C", str(kernel_tree), "series", "--base", "master")
    assert_usage_error(code, err, "merge commit")
    assert repo_state(kernel_tree) == before


def test_dirty_tree_reads_with_a_warning_but_new_refuses(kernel_tree):
    make_b4_series(kernel_tree)
    (kernel_tree / "MAINTAINERS").write_text("changed\n")
    code, out, err = run("-C", str(kernel_tree), "series", "--json")
    assert code == 0 and json.loads(out)["patches"]
    assert "warning" in err and "uncommitted" in err
    before = repo_state(kernel_tree)
    code, _, err = run("-C", str(kernel_tree), "new", "other")
    assert_usage_error(code, err, "uncommitted changes")
    assert repo_state(kernel_tree) == before


def test_corrupt_b4_cover_json(kernel_tree):
    make_b4_series(kernel_tree, patches=0)
    message = git(kernel_tree, "log", "-1", "--format=%B")
    broken = message.replace('"revision": 1,', '"revision": 1,,')
    assert broken != message
    git(kernel_tree, "commit", "-q", "--amend", "--allow-empty", "-m", broken)
    before = repo_state(kernel_tree)
    code, _, err = run("-C", str(kernel_tree), "series")
    assert_usage_error(code, err, "corrupt")
    assert repo_state(kernel_tree) == before


def test_b4_missing(kernel_tree, monkeypatch):
    monkeypatch.setenv("PATCHPILOT_B4", str(kernel_tree / "no-such-b4"))
    before = repo_state(kernel_tree)
    code, _, err = run("-C", str(kernel_tree), "new", "x")
    assert_usage_error(code, err, "b4 is not installed")
    assert repo_state(kernel_tree) == before


def test_b4_unsupported_version(kernel_tree, tmp_path, monkeypatch):
    # The bad input is an old b4 itself; a real b4 0.14 cannot be installed beside 0.16 in
    # this venv, so a two-line script that answers --version like b4 0.14 stands in for it.
    old = tmp_path / "b4"
    old.write_text("#!/bin/sh\necho 0.14.3\n")
    old.chmod(old.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATCHPILOT_B4", str(old))
    before = repo_state(kernel_tree)
    code, _, err = run("-C", str(kernel_tree), "new", "x")
    assert_usage_error(code, err, "not supported")
    assert repo_state(kernel_tree) == before


def test_enroll_then_series(kernel_tree):
    git(kernel_tree, "switch", "-q", "-c", "work")
    commit(kernel_tree, {"samples/rust/rust_e.rs": rust_sample("rust_e")}, "samples: add e")
    code, out, err = run("-C", str(kernel_tree), "enroll", "master", "--json")
    assert code == 0, err
    assert json.loads(out)["b4_managed"] is True
    code, _, err = run("-C", str(kernel_tree), "enroll", "master")
    assert_usage_error(code, err, "already managed")


def test_usage_error_is_one_line():
    code, _, err = run("frobnicate")
    assert_usage_error(code, err, "invalid choice")


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_exit_zero(flag):
    code, out, _ = run(flag)
    assert code == 0 and "patchpilot" in out


def test_console_script_exit_code(kernel_tree):
    """The installed entry point maps errors to exit code 2 too (not only main())."""
    import subprocess
    import sys
    script = os.path.join(os.path.dirname(sys.executable), "patchpilot")
    proc = subprocess.run([script, "-C", str(kernel_tree), "series"], capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_new_on_a_b4_branch_shows_b4s_words_and_suggests_fork_point(kernel_tree):
    make_b4_series(kernel_tree)
    before = repo_state(kernel_tree)
    code, _, err = run("-C", str(kernel_tree), "new", "second")
    assert code == 1 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    # b4's own words, then what it asked, then how to go on
    assert "This appears to already be a b4-prep managed branch." in lines[0]
    assert "The new branch will be marked as depending on this series." in lines[0]
    assert "b4 then asked 'Press Enter to confirm or Ctrl-C to abort'" in lines[0]
    base = git(kernel_tree, "rev-parse", "master").strip()[:12]
    assert f"patchpilot new second --fork-point REV (e.g. {base}" in lines[0]
    assert repo_state(kernel_tree) == before
    code, out, err = run("-C", str(kernel_tree), "new", "second", "--fork-point", "master")
    assert code == 0 and "b4/second" in out, err


def test_enroll_in_a_fresh_clone_suggests_the_remote_branch(kernel_tree, tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(kernel_tree), str(clone))
    git(clone, "switch", "-q", "-c", "work")
    git(clone, "branch", "-q", "-D", "master")  # only origin/master is left
    commit(clone, {"samples/rust/rust_w.rs": rust_sample("rust_w")}, "samples: rust: add w")
    before = repo_state(clone)
    code, _, err = run("-C", str(clone), "enroll", "master")
    assert_usage_error(code, err, "master names no commit")
    assert "did you mean origin/master? patchpilot enroll origin/master" in err
    assert repo_state(clone) == before
    git(clone, "branch", "-q", "--set-upstream-to=origin/master")
    code, _, err = run("-C", str(clone), "new", "x", "--fork-point", "mastr")
    assert_usage_error(code, err, "--fork-point mastr names no commit")
    assert "did you mean origin/master?" in err  # the upstream of the current branch
    code, out, err = run("-C", str(clone), "enroll", "origin/master", "--json")
    assert code == 0 and json.loads(out)["patches"][0]["subject"] == "samples: rust: add w", err
