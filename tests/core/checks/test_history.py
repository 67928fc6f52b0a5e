"""B2's history on a deep clone: one bounded walk for the whole series, a per-base index under
.git/patchpilot, Bloom filters when the commit-graph has them, and doctor saying so. Real git
on the deep-history test bed (tests/conftest.py `deep_tree`) and the slim tree; git's own
trace (GIT_TRACE2_EVENT) shows which walks ran."""

from __future__ import annotations

import io
import json
from pathlib import Path

from patchpilot.cli.main import main
from patchpilot.core.checks.history import HistoryIndex, has_bloom_filters, newest, walk
from patchpilot.core.checks.prefix import agreed_prefix, history_prefix
from patchpilot.core.git.repo import GitRepo
from tests.conftest import DEEP_COMMITS
from tests.helpers import commit, git

PHY = "drivers/net/phy/ax88796b_rust.rs"
QT = "drivers/net/phy/qt2025.rs"
SUBJECTS = ["net: phy: ax88796b_rust: tidy imports", "net: phy: ax88796b_rust: document it",
            "rust: net: phy: rename a helper"]


def grow(tree: Path, path: str = PHY, subjects: list[str] = SUBJECTS) -> None:
    """Commits touching `path` (a line at its top: a series' own lines go at the end)."""
    for n, subject in enumerate(subjects):
        commit(tree, {path: f"// History {n}.\n" + (tree / path).read_text()}, subject)


def two_patch_series(tree: Path) -> None:
    git(tree, "switch", "-q", "-c", "topic")
    commit(tree, {PHY: (tree / PHY).read_text() + "// New.\n"}, "phy: ax88796b: add a note")
    commit(tree, {QT: (tree / QT).read_text() + "// New.\n"}, "net: phy: qt2025: add a note")


def traced_check(tree: Path, trace: Path, monkeypatch, *extra: str) -> dict:
    trace.unlink(missing_ok=True)
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
    out = io.StringIO()
    main(["-C", str(tree), "check", "master..", "--tool", "commit", "--json", *extra],
         stdout=out, stderr=io.StringIO())
    monkeypatch.delenv("GIT_TRACE2_EVENT")
    return json.loads(out.getvalue())


def git_calls(trace: Path) -> list[list[str]]:
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    return [e["argv"][1:] for e in events if e["event"] == "start"]


def history_walks(trace: Path) -> list[list[str]]:
    """The path-limited `git log` runs (B2's walks)."""
    return [a for a in git_calls(trace) if "log" in a and "--" in a and a[-1] != "--"]


def windows(trace: Path) -> set[str]:
    """The windows the walks read, by their stop (a deep window is read in two halves)."""
    return {a[a.index("--") - 1] for a in history_walks(trace)}


def test_deep_history_gives_the_suggestion_of_the_history_it_sees(deep_tree, kernel_tree):
    for tree in (deep_tree, kernel_tree):
        grow(tree)
    unbounded = git(deep_tree, "log", "-n40", "--no-merges", "--format=%s", "--", PHY)
    expected = agreed_prefix(unbounded.splitlines())
    assert expected == "net: phy: ax88796b_rust"
    assert history_prefix(deep_tree, "HEAD", [PHY]) == expected
    assert history_prefix(kernel_tree, "HEAD", [PHY]) == expected  # same as without depth


def test_one_bounded_walk_for_the_whole_series(deep_tree, tmp_path, monkeypatch):
    grow(deep_tree)
    git(deep_tree, "config", "patchpilot.checks.history-depth", "1000")
    two_patch_series(deep_tree)
    doc = traced_check(deep_tree, tmp_path / "trace.json", monkeypatch)
    b2 = [f for f in doc["findings"] if f["rule"] == "B2"]
    assert [f["fix"] for f in b2] == ["net: phy: ax88796b_rust: add a note"]
    walks = history_walks(tmp_path / "trace.json")
    assert len(walks) == 1, walks  # not one per patch
    (walk_argv,) = walks
    assert walk_argv[walk_argv.index("--") + 1:] == [PHY, QT]
    base = git(deep_tree, "rev-parse", "master").strip()
    stop = next(a[1:] for a in walk_argv if a.startswith("^"))
    assert base in walk_argv
    # the walk reads exactly the newest 1000 of the DEEP_COMMITS + 4 commits below the base
    assert int(git(deep_tree, "rev-list", "--count", base, f"^{stop}")) == 1000
    assert int(git(deep_tree, "rev-list", "--count", base)) == DEEP_COMMITS + 4


def test_history_beyond_the_bound_is_not_read(kernel_tree):
    grow(kernel_tree)
    for n in range(6):
        git(kernel_tree, "commit", "-q", "--allow-empty", "-m", f"misc: unrelated {n}")
    repo = GitRepo(kernel_tree)
    seen = {depth: len(HistoryIndex(repo, "HEAD", depth).touches([PHY])) for depth in (6, 8, 9)}
    assert seen == {6: 0, 8: 2, 9: 3}  # the newest `depth` commits, no more
    assert history_prefix(kernel_tree, "HEAD", [PHY], depth=6) is None
    assert history_prefix(kernel_tree, "HEAD", [PHY], depth=9) == "net: phy: ax88796b_rust"


def test_index_is_keyed_on_the_base_and_reused(deep_tree, tmp_path, monkeypatch):
    grow(deep_tree)
    two_patch_series(deep_tree)
    trace = tmp_path / "trace.json"
    first = traced_check(deep_tree, trace, monkeypatch)
    base = git(deep_tree, "rev-parse", "master").strip()
    index_dir = deep_tree / ".git" / "patchpilot" / "history"
    assert [f.name for f in index_dir.iterdir()] == [f"{base}-50000.json"]
    assert len(windows(trace)) == 1 and len(history_walks(trace)) == 2  # halves, at once
    # again, even with --no-cache (the index is history, not check results): no walk at all
    again = traced_check(deep_tree, trace, monkeypatch, "--no-cache")
    assert history_walks(trace) == [] and again["findings"] == first["findings"]
    # a new base is a new index entry, from one new walk
    git(deep_tree, "switch", "-q", "master")
    grow(deep_tree, QT, ["net: phy: qt2025: fix a typo", "net: phy: qt2025: tidy"])
    git(deep_tree, "rebase", "-q", "master", "topic")
    moved = traced_check(deep_tree, trace, monkeypatch)
    new_base = git(deep_tree, "rev-parse", "master").strip()
    assert len(windows(trace)) == 1
    assert {f.name for f in index_dir.iterdir()} == {f"{base}-50000.json",
                                                     f"{new_base}-50000.json"}
    assert [f["fix"] for f in moved["findings"] if f["rule"] == "B2"] == [
        "net: phy: ax88796b_rust: add a note"]  # qt2025's own prefix is the patch's: quiet


def test_index_object_walks_once_then_reads_its_file(kernel_tree):
    grow(kernel_tree)
    repo = GitRepo(kernel_tree)
    index = HistoryIndex(repo, "HEAD", expect=[PHY, QT])
    logged = git(kernel_tree, "log", "--format=%s", "--", PHY).splitlines()
    assert [t.subject for t in index.touches([PHY])] == logged == SUBJECTS[::-1] + logged[3:]
    assert index.touches([QT]) and index.walks == 1  # both paths from the first walk
    reread = HistoryIndex(repo, "HEAD")
    assert reread.touches([PHY, QT]) == index.touches([PHY, QT]) and reread.walks == 0


def test_bloom_filters_walk_per_path_with_the_same_answer(kernel_tree, tmp_path, monkeypatch):
    grow(kernel_tree)
    grow(kernel_tree, QT, ["net: phy: qt2025: fix a typo", "net: phy: qt2025: tidy"])
    repo = GitRepo(kernel_tree)
    base = git(kernel_tree, "rev-parse", "HEAD").strip()
    plain = walk(repo, base, 100, [PHY, QT], bloom=False)
    assert not has_bloom_filters(repo.git_dir)
    git(kernel_tree, "commit-graph", "write", "--reachable", "--changed-paths")
    assert has_bloom_filters(repo.git_dir)
    trace = tmp_path / "trace.json"
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
    assert walk(repo, base, 100, [PHY, QT], bloom=True) == plain
    monkeypatch.delenv("GIT_TRACE2_EVENT")
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    stats = [json.loads(e["value"]) if isinstance(e["value"], str) else e["value"]
             for e in events if e["event"] == "data_json" and e.get("key") == "statistics"]
    assert len(stats) == 2 and all(s["definitely_not"] > 0 for s in stats)  # filters used


def test_doctor_says_how_to_enable_bloom_filters(kernel_tree):
    def history_item() -> dict:
        out = io.StringIO()
        main(["-C", str(kernel_tree), "doctor", "--json"], stdout=out, stderr=io.StringIO())
        return next(i for i in json.loads(out.getvalue())["items"] if i["name"] == "history")

    item = history_item()
    assert item["status"] == "info"
    assert "git commit-graph write --reachable --changed-paths" in item["hint"]
    git(kernel_tree, "commit-graph", "write", "--reachable", "--changed-paths")
    assert history_item() == {"name": "history", "status": "ok", "required": None, "hint": "",
                              "found": "commit-graph with changed-path Bloom filters"}


def test_a_deep_window_is_read_in_two_halves_with_the_same_answer(deep_tree, tmp_path,
                                                                   monkeypatch):
    grow(deep_tree)
    repo = GitRepo(deep_tree)
    base = git(deep_tree, "rev-parse", "HEAD").strip()
    trace = tmp_path / "trace.json"
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
    halves = walk(repo, base, 20_000, [PHY, QT], bloom=False)
    monkeypatch.delenv("GIT_TRACE2_EVENT")
    ranges = sorted((a[a.index("--name-only") + 1:a.index("--")] for a in history_walks(trace)),
                    key=lambda r: r[0] != base)  # they run at once: either may start first
    counts = [int(git(deep_tree, "rev-list", "--count", *r)) for r in ranges]
    assert counts == [10_000, 10_000] and ranges[0][0] == base and len(ranges[0]) == 3
    (stop,) = {r[-1] for r in ranges}
    assert int(git(deep_tree, "rev-list", "--count", base, stop)) == 20_000
    whole = git(deep_tree, "log", "--no-merges", "--format=%s", base, stop, "--", PHY, QT)
    assert [t.subject for t in newest(halves[PHY] + halves[QT])] == whole.splitlines()
