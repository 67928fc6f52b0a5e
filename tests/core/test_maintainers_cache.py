"""The on-disk MAINTAINERS index: same answers as a fresh parse, rebuilt whenever MAINTAINERS,
.mailmap or .get_maintainer.ignore change, and never the reason a run fails."""

from __future__ import annotations

import os
from pathlib import Path

from patchpilot.core.recipients.maintainers import index as maintainers_index
from patchpilot.core.recipients.maintainers.engine import Maintainers
from patchpilot.core.recipients.maintainers.parse import read_text, typevalue
from tests.core.test_maintainers import patch, tree_with

ENTRIES = ("FOO DRIVER\nM:\tAnn Maint <ann@example.org>\nR:\t\"Rob Q. Rev\" <rob@example.org>\n"
           "L:\tfoo@lists.example.org\nS:\tMaintained\nF:\tdrivers/foo/\nF:\tinclude/foo*.h\n"
           "X:\tdrivers/foo/skip.c\nK:\t\\bfoo_widget\\b\nN:\tfooish\n\n"
           "BAR DRIVER\nM:\tBea Bar <bea@example.org>\nS:\tMaintained\nF:\tdrivers/bar/\n"
           "Z:\tstray letter\n")
PATCHES = [patch("drivers/foo/a.c"), patch("drivers/foo/skip.c"), patch("include/foo_x.h"),
           patch("lib/x.c", added="foo_widget();"), patch("sound/fooish.c"),
           patch("drivers/bar/b.c")]


def answers(engine: Maintainers) -> list:
    found = [(r.to, r.cc, r.reasons) for r in map(engine.recipients, PATCHES)]
    return found + [[(p.lineno, p.line, p.message) for p in engine.problems]]


def index_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.index"))


def test_cached_index_gives_the_same_answers(tmp_path):
    tree = tree_with(tmp_path / "tree", ENTRIES, {".mailmap": "Ann M <ann@example.org>\n"})
    cache = tmp_path / "cache"
    fresh = answers(Maintainers.load(tree))
    assert answers(Maintainers.load(tree, cache_dir=cache)) == fresh  # builds and stores
    assert len(index_files(cache)) == 1
    assert answers(Maintainers.load(tree, cache_dir=cache)) == fresh  # reads it back
    assert "Ann M <ann@example.org>" in Maintainers.load(tree, cache).recipients(PATCHES[0]).to


def test_a_changed_maintainers_is_parsed_again(tmp_path):
    tree = tree_with(tmp_path / "tree", ENTRIES)
    cache = tmp_path / "cache"
    assert "Ann Maint <ann@example.org>" in \
        Maintainers.load(tree, cache).recipients(PATCHES[0]).to
    path = tree / "MAINTAINERS"
    stat = path.stat()
    # Same size and modification time: only the content tells the change.
    path.write_text(path.read_text().replace("Ann Maint <ann@", "Ann Mains <ann@"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    engine = Maintainers.load(tree, cache)
    assert "Ann Mains <ann@example.org>" in engine.recipients(PATCHES[0]).to
    assert answers(engine) == answers(Maintainers.load(tree))
    assert len(index_files(cache)) == 2


def test_a_changed_mailmap_or_ignore_file_is_read_again(tmp_path):
    tree = tree_with(tmp_path / "tree", ENTRIES)
    cache = tmp_path / "cache"
    Maintainers.load(tree, cache)
    (tree / ".mailmap").write_text("Ann Real <ann@example.org>\n")
    assert "Ann Real <ann@example.org>" in \
        Maintainers.load(tree, cache).recipients(PATCHES[0]).to
    (tree / ".get_maintainer.ignore").write_text("bea@example.org\n")
    assert Maintainers.load(tree, cache).ignore == {"bea@example.org"}


def test_a_corrupt_index_is_rebuilt_and_the_run_goes_on(tmp_path):
    tree = tree_with(tmp_path / "tree", ENTRIES)
    cache = tmp_path / "cache"
    fresh = answers(Maintainers.load(tree))
    Maintainers.load(tree, cache)
    [path] = index_files(cache)
    good = path.read_bytes()
    head = len(maintainers_index._MAGIC) + 64  # then the key and the payload's digest
    broken = [b"", b"garbage", good[:len(good) // 2], good[:-1] + bytes([good[-1] ^ 1]),
              good[:head] + b"\xff" * 40]
    for blob in broken:
        path.write_bytes(blob)
        assert answers(Maintainers.load(tree, cache)) == fresh
        assert path.read_bytes() == good  # rewritten
    path.unlink()
    path.mkdir()  # cannot even be read as a file
    assert answers(Maintainers.load(tree, cache)) == fresh


def test_an_index_of_another_shape_with_a_valid_digest_is_rebuilt(tmp_path, monkeypatch):
    tree = tree_with(tmp_path / "tree", ENTRIES)
    cache = tmp_path / "cache"
    fresh = answers(Maintainers.load(tree))
    # What an older patchpilot with the same key might have left: a well-formed file whose
    # payload is not an index.
    monkeypatch.setattr(maintainers_index, "_payload", lambda index: (1, 2, 3))
    Maintainers.load(tree, cache)
    monkeypatch.undo()
    assert answers(Maintainers.load(tree, cache)) == fresh


def test_an_unwritable_cache_dir_only_costs_time(tmp_path):
    tree = tree_with(tmp_path / "tree", ENTRIES)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    assert answers(Maintainers.load(tree, blocked / "cache")) == \
        answers(Maintainers.load(tree))


def test_only_a_few_index_files_are_kept(tmp_path):
    tree = tree_with(tmp_path / "tree", ENTRIES)
    cache = tmp_path / "cache"
    for number in range(7):
        (tree / ".mailmap").write_text(f"Ann {number} <ann@example.org>\n")
        Maintainers.load(tree, cache)
    assert len(index_files(cache)) == maintainers_index._KEEP
    assert not list(cache.glob("*.tmp"))


def test_the_full_kernel_index_round_trips(full_tree, tmp_path):
    """The real MAINTAINERS: a cached engine answers exactly as a freshly parsed one."""
    from tests.integration.test_maintainers_parity import make_patch, sample_files

    cache = tmp_path / "cache"
    Maintainers.load(full_tree, cache)
    fresh, cached = Maintainers.load(full_tree), Maintainers.load(full_tree, cache)
    paths = [p for group in sample_files(full_tree).values() for p in group[:25]]
    for path in paths:
        one, two = fresh.recipients(make_patch(path)), cached.recipients(make_patch(path))
        assert (one.to, one.cc, one.reasons) == (two.to, two.cc, two.reasons), path
    assert [(p.lineno, p.message) for p in fresh.problems] == \
        [(p.lineno, p.message) for p in cached.problems]
    assert list(cached.fields) == typevalue(read_text(full_tree / "MAINTAINERS"))
    assert cached.entry_named("RUST") is not None
    assert [cached.entries[e].name for e in range(len(cached.entries))][:3] == \
        [e.name for e in list(fresh.entries)[:3]]
