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
    base = git(deep_tree, "rev-parse", "master").strip()
    calls = git_calls(tmp_path / "trace.json")
    assert ["rev-list", "--max-count=1001", base] in calls  # the window: 1000 commits
    walks = history_walks(tmp_path / "trace.json")
    assert len(walks) == 1, walks  # not one per patch
    (walk_argv,) = walks
    # qt2025.rs is the same at every probe of the window: not walked; ax88796b_rust.rs only
    # in the newest part (1000 / 16 commits), where it changed
    assert walk_argv[walk_argv.index("--") + 1:] == [PHY]
    revs = walk_argv[walk_argv.index("--name-only") + 1:walk_argv.index("--")]
    assert revs[0] == base and all(r.startswith("^") for r in revs[1:])
    assert int(git(deep_tree, "rev-list", "--count", *revs)) == 63
    assert int(git(deep_tree, "rev-list", "--count", base)) == DEEP_COMMITS + 4


def test_parts_of_the_window_where_a_path_did_not_change_are_not_read(deep_tree, tmp_path,
                                                                     monkeypatch):
    """The cost of a base never seen: a path whose blob is the same at both ends of a part
    of the window is not walked there, so the series' young files (unchanged for the whole
    window) cost no walk at all; the answer is the full walk's. The limit, by design: a
    change undone within one part (here two commits, the second restoring the file) goes
    unseen, where `git log` would list both."""
    grow(deep_tree)
    before = (deep_tree / QT).read_text()
    commit(deep_tree, {QT: before + "// Tried.\n"}, "net: phy: qt2025: try a thing")
    commit(deep_tree, {QT: before}, "net: phy: qt2025: undo the thing")
    churn = "history/0/0.txt"  # the deep history changes it every 961 commits
    repo = GitRepo(deep_tree)
    base = git(deep_tree, "rev-parse", "HEAD").strip()
    stop = git(deep_tree, "rev-list", "--skip=50000", "--max-count=1", base).strip()
    trace = tmp_path / "trace.json"
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
    found = walk(repo, base, 50_000, [PHY, QT, churn, "samples/rust/rust_print.rs"], False)
    monkeypatch.delenv("GIT_TRACE2_EVENT")
    for path in (PHY, churn):
        whole = git(deep_tree, "log", "-n40", "--no-merges", "--format=%H", base, f"^{stop}",
                    "--", path)
        assert [t.sha for t in found[path]] == whole.split()
    assert found[QT] == [] and found["samples/rust/rust_print.rs"] == []
    assert len(git(deep_tree, "log", "--format=%H", "-n3", "--", QT).split()) == 3
    asked = {p for w in history_walks(trace) for p in w[w.index("--") + 1:]}
    assert asked == {PHY, churn}


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
    assert len(history_walks(trace)) == 1  # where ax88796b_rust.rs changed: the newest part
    # again, even with --no-cache (the index is history, not check results): no walk at all
    again = traced_check(deep_tree, trace, monkeypatch, "--no-cache")
    assert history_walks(trace) == [] and again["findings"] == first["findings"]
    # a new base is a new index entry, from one new walk
    git(deep_tree, "switch", "-q", "master")
    grow(deep_tree, QT, ["net: phy: qt2025: fix a typo", "net: phy: qt2025: tidy"])
    git(deep_tree, "rebase", "-q", "master", "topic")
    moved = traced_check(deep_tree, trace, monkeypatch)
    new_base = git(deep_tree, "rev-parse", "master").strip()
    assert len(history_walks(trace)) == 1  # both files changed in the newest part only
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
    # filters used by both walks (each reads only the parts where its path changed)
    assert len(stats) == 2 and all(s["filter_not_present"] == 0 and s["maybe"] for s in stats)
    assert any(s["definitely_not"] for s in stats)


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
    churn = "history/0/0.txt"  # changes every 961 commits: in every part of the window
    repo = GitRepo(deep_tree)
    base = git(deep_tree, "rev-parse", "HEAD").strip()
    trace = tmp_path / "trace.json"
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
    parts = walk(repo, base, 20_000, [PHY, churn], bloom=False)
    monkeypatch.delenv("GIT_TRACE2_EVENT")
    walks = history_walks(trace)
    ranges = [w[w.index("--name-only") + 1:w.index("--")] for w in walks]
    counts = sorted(int(git(deep_tree, "rev-list", "--count", *r)) for r in ranges)
    # the newest part for both paths (ax88796b_rust.rs changed there only), then the rest
    # of the window for the churning file in two halves, run at once: each commit once
    assert len(walks) == 3 and sum(counts) == 20_000 and counts[0] == 1250
    stop = git(deep_tree, "rev-list", "--skip=20000", "--max-count=1", base).strip()
    whole = git(deep_tree, "log", "-n40", "--no-merges", "--format=%s", base, f"^{stop}", "--",
                PHY, churn)
    assert [t.subject for t in newest(parts[PHY] + parts[churn])] == whole.splitlines()
