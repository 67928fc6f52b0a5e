"""Damaged state through the commands people run: one line, nothing lost, no traceback.

Recipient choices of the wrong shape are the user's own work: kept aside under a new name,
reported in one line, and `recipients` goes on from none. A damaged send-log summary is kept
aside and reported by `send`. Checks-cache entries of the wrong shape are rebuilt by `check`.
Real kernel tree, real b4 series, real checks.
"""

from __future__ import annotations

import io
import json

import pytest

from patchpilot.cli.main import main
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.recipients.choices import state_file
from patchpilot.core.series.model import load_series
from patchpilot.core.series.prep import new_series
from tests.helpers import commit, rust_sample

ADDED = "Added Person <added@example.org>"
SHAPES = {"a list": "[]", "a number": "5", "null": "null", "a string": '"x"',
          "add_to a number": '{"add_to": 5}', "add_cc numbers": '{"add_cc": [1, 2]}',
          "remove an object": '{"remove": {"a": 1}}', "truncated": '{"add_cc": ["a',
          "garbage": "\x00\x01{{"}


def run(tree, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["-C", str(tree), *argv], stdout=out, stderr=err)
    return int(code), out.getvalue(), err.getvalue()


def one_series(tree) -> GitRepo:
    repo = GitRepo(tree)
    new_series(repo, "pilot", fork_point="master")
    commit(tree, {"samples/rust/rust_alpha.rs": rust_sample("rust_alpha")},
           "samples: rust: add the alpha sample")
    return repo


def test_damaged_recipient_choices_are_kept_aside_and_reported(kernel_tree):
    repo = one_series(kernel_tree)
    path = state_file(repo, load_series(repo))
    for shape, text in [*SHAPES.items(), ("a directory", None)]:
        code, _, err = run(kernel_tree, "recipients", "--add-cc", ADDED)
        assert code == 0, err
        if text is None:
            path.unlink()
            (path / "inside").mkdir(parents=True)
        else:
            path.write_text(text)
        code, out, err = run(kernel_tree, "recipients", "--json")
        assert code == 0 and "Traceback" not in err, (shape, err)
        notes = [ln for ln in err.splitlines() if "recipient choices were damaged" in ln]
        assert len(notes) == 1 and "kept as" in notes[0], (shape, err)
        assert "added@example.org" not in out  # starting from none, said so
        kept = sorted(path.parent.glob(path.name + ".damaged-*"))
        assert kept, shape
        if text is not None:
            assert kept[-1].read_text() == text
        else:
            assert (kept[-1] / "inside").is_dir()
        for old in kept:  # the next shape starts clean
            if old.is_dir():
                (old / "inside").rmdir()
                old.rmdir()
            else:
                old.unlink()


def test_a_damaged_send_log_is_reported_by_send(kernel_tree):
    repo = one_series(kernel_tree)
    series = load_series(repo)
    summary = repo.git_dir / "patchpilot" / "sendlog" / f"{series.change_id}.json"
    summary.parent.mkdir(parents=True)
    summary.write_text("[]")
    code, out, err = run(kernel_tree, "send", "--dry-run")
    assert code == 0 and "Traceback" not in err, err
    assert [ln for ln in err.splitlines() if "was damaged" in ln][0].startswith(
        "patchpilot: warning: the send log")
    assert list(summary.parent.glob(summary.name + ".damaged-*"))


@pytest.mark.parametrize("shape", ["[]", "5", "null", '{"format": 1, "findings": 5}',
                                   '{"format": 1, "findings": [{"tool": 1}]}'])
def test_damaged_checks_cache_entries_are_rebuilt_by_check(kernel_tree, shape):
    one_series(kernel_tree)
    code, first, err = run(kernel_tree, "check", "--tool", "commit,rust", "--json")
    assert "Traceback" not in err, err
    entries = list((GitRepo(kernel_tree).git_dir / "patchpilot" / "checks-cache").rglob("*.json"))
    assert entries
    for entry in entries:
        entry.write_text(shape)
    code, again, err = run(kernel_tree, "check", "--tool", "commit,rust", "--json")
    assert "Traceback" not in err, err
    strip = lambda doc: {k: v for k, v in json.loads(doc).items() if k != "series"}  # noqa: E731
    assert strip(again) == strip(first)
    assert json.loads(again)["series"]["cached"] == 0
    for entry in entries:
        assert json.loads(entry.read_text())["format"] == 1  # rebuilt
