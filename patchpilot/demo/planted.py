"""A series with one known problem per patch, on a full kernel tree (6.12 or 7.3), for the build
check's tests and benchmarks:

    1 clean          samples/rust/rust_minimal.rs: a message reworded
    2 clippy         the same sample returns through `return` (clippy::needless_return)
    3 breaks doctest rust/kernel/str.rs: a false assert_eq! in the first doc example
    4 fixes doctest  the line taken out again
    5 does not build the sample assigns a string to a u32 (E0308)

The clone shares the cached tree's objects and checks out only the top level, rust/ and
samples/rust (a sparse checkout): the build never reads the user's work tree. No Textual here.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from patchpilot.core.errors import PatchpilotError

SAMPLE = "samples/rust/rust_minimal.rs"
STR = "rust/kernel/str.rs"
IDENTITY = ["-c", "user.name=Planted Developer", "-c", "user.email=planted@example.org"]
ENV_DATES = {"GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
             "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}
SUBJECTS = [
    "samples: rust: minimal: reword the init message",
    "samples: rust: minimal: print the answer",
    "rust: str: check one more sum in the first example",
    "rust: str: drop the wrong sum from the first example",
    "samples: rust: minimal: keep the answer as a number",
]


def _git(tree: Path, *args: str) -> str:
    proc = subprocess.run(["git", *IDENTITY, *args], cwd=tree, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env={**os.environ, **ENV_DATES})
    if proc.returncode != 0:
        raise PatchpilotError(f"git {args[0]} failed: {proc.stderr.strip()[-300:]}")
    return proc.stdout


def clone(template: Path, dest: Path) -> Path:
    """A sparse clone of a cached full tree (top level, rust/, samples/rust, scripts/)."""
    subprocess.run(["git", "clone", "-q", "--local", "--no-checkout", str(template), str(dest)],
                   check=True, capture_output=True)
    _git(dest, "sparse-checkout", "set", "rust", "samples/rust", "scripts", "tools/testing/kunit")
    _git(dest, "checkout", "-q", "master")
    return dest


def _edit(tree: Path, path: str, change: Callable[[str], str]) -> None:
    file = tree / path
    file.write_text(change(file.read_text()))
    _git(tree, "add", path)


def _commit(tree: Path, subject: str) -> None:
    _git(tree, "commit", "-q", "-s", "-m", f"{subject}\n\nA planted patch for the build check.")


def _answer(text: str) -> str:
    text = text.replace("impl kernel::Module for RustMinimal {",
                        "fn answer() -> u32 {\n    return 42;\n}\n\n"
                        "impl kernel::Module for RustMinimal {", 1)
    return text.replace('        pr_info!("Am I built-in? {}\\n", !cfg!(MODULE));\n',
                        '        pr_info!("Am I built-in? {}\\n", !cfg!(MODULE));\n'
                        '        pr_info!("The answer is {}\\n", answer());\n', 1)


BROKEN = "    /// assert_eq!(1 + 1, 3);\n"


def _doctest(breaks: bool) -> Callable[[str], str]:
    """A failing assertion put into the file's first example (after its first assert_eq!
    line), or taken out again."""
    def change(text: str) -> str:
        if not breaks:
            return text.replace(BROKEN, "", 1)
        lines = text.splitlines(keepends=True)
        at = next(i for i, line in enumerate(lines) if line.lstrip().startswith(
            "/// assert_eq!("))
        return "".join(lines[:at + 1] + [BROKEN] + lines[at + 1:])
    return change


def plant(tree: Path, branch: str = "planted") -> list[str]:
    """Make the five patches on a new branch from master; returns their commit ids."""
    _git(tree, "checkout", "-q", "-b", branch, "master")
    _edit(tree, SAMPLE, lambda t: t.replace("Rust minimal sample (init)",
                                            "Rust minimal sample (starting)", 1))
    _commit(tree, SUBJECTS[0])
    _edit(tree, SAMPLE, _answer)
    _commit(tree, SUBJECTS[1])
    _edit(tree, STR, _doctest(True))
    _commit(tree, SUBJECTS[2])
    _edit(tree, STR, _doctest(False))
    _commit(tree, SUBJECTS[3])
    _edit(tree, SAMPLE, lambda t: t.replace("fn answer() -> u32 {\n",
                                            "fn answer() -> u32 {\n    let answer: u32 = "
                                            "\"forty-two\";\n", 1))
    _commit(tree, SUBJECTS[4])
    return _git(tree, "rev-list", "--reverse", f"master..{branch}").split()


def line_of(tree: Path, commit: str, path: str, pattern: str) -> int:
    """The 1-based line of `path` at `commit` that matches `pattern` (for the tests)."""
    text = _git(tree, "show", f"{commit}:{path}")
    for number, line in enumerate(text.splitlines(), 1):
        if re.search(pattern, line):
            return number
    raise PatchpilotError(f"{pattern!r} not in {path} at {commit[:12]}")
