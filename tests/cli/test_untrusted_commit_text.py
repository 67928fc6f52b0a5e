"""Commit text is as untrusted as mail: no escape sequence from a subject, a message or a file
name reaches the terminal or a script through `series` or `check`, in text or --json.

The commits are real (git keeps ESC and BEL in a subject as written; the code quotes them in
a string, which checkpatch quotes back); so are the checks run.
"""

from __future__ import annotations

import io
import json

from patchpilot.cli.main import main
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.prep import new_series
from tests.helpers import commit, rust_sample

HOSTILE = "\x1b]0;pwned\x07\x1b[31m"


def run(tree, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["-C", str(tree), *argv], stdout=out, stderr=err)
    return int(code), out.getvalue(), err.getvalue()


def hostile_series(tree) -> None:
    new_series(GitRepo(tree), "pilot", fork_point="master")
    commit(tree, {"samples/rust/rust_alpha.rs": rust_sample(f"rust_alpha{HOSTILE}")},
           f"samples: rust: {HOSTILE}add the alpha sample\n\nWhy: {HOSTILE}because.")


def assert_clean(text: str) -> None:
    for bad in ("\x1b", "\x07", "\\u001b", "\\u0007", "]0;pwned"):
        assert bad not in text, repr(text)


def test_series_and_check_never_print_escapes_from_commits(kernel_tree):
    hostile_series(kernel_tree)
    code, out, err = run(kernel_tree, "series")
    assert code == 0, err
    assert "samples: rust: [31madd the alpha sample" not in out  # the CSI is gone whole
    assert "samples: rust: add the alpha sample" in out and "alpha.rs" in out
    assert_clean(out + err)
    code, out, err = run(kernel_tree, "series", "--json")
    assert code == 0, err
    assert_clean(out + err)
    patch = json.loads(out)["patches"][0]
    assert patch["subject"] == "samples: rust: add the alpha sample"
    assert patch["files"] == ["samples/rust/rust_alpha.rs"]
    code, out, err = run(kernel_tree, "check", "--tool", "commit,rust,checkpatch")
    assert "Traceback" not in err
    assert "samples: rust: add the alpha sample: " in out
    assert_clean(out + err)
    code, out, err = run(kernel_tree, "check", "--tool", "commit,rust,checkpatch", "--json")
    assert "Traceback" not in err
    assert_clean(out + err)
    messages = " ".join(f["message"] for f in json.loads(out)["findings"])
    assert "Why" in messages  # the tools do quote the hostile lines, cleaned
