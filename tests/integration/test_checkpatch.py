"""The real scripts/checkpatch.pl of a real kernel tree, on real commits."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from patchpilot.core.checks.checkpatch import (
    Checkpatch,
    CheckpatchOptions,
    checkpatch_argv,
    parse_output,
    run_checkpatch,
    run_checkpatch_parallel,
)
from tests.helpers import commit, git

VENV_PYTHON = CheckpatchOptions(python=sys.executable)  # has ply and GitPython
BAD_RS = ("fn f() {\n    let x = 1; \n    let " + "y" * 100 + " = 2;\n}\n")


def patch_of(tree: Path, rev: str = "HEAD") -> str:
    return git(tree, "format-patch", "-1", "--stdout", rev)


def clean_change(tree: Path, word: str = "small") -> str:
    path = "samples/rust/rust_minimal.rs"
    text = (tree / path).read_text()
    new = re.sub(r"Rust \w+ sample", f"Rust {word} sample", text, count=1)
    assert new != text
    commit(tree, {path: new}, f"samples: rust: minimal: reword the {word} description\n\n"
           "Say what the sample shows in its description.")
    return patch_of(tree)


def bad_new_file(tree: Path) -> str:
    (tree / "samples/rust/rust_bad.rs").write_text(BAD_RS)
    git(tree, "add", "samples/rust/rust_bad.rs")
    git(tree, "commit", "-q", "-m", "samples: rust: add a bad sample\n\nIt is bad.")
    return patch_of(tree)


def kinds(findings):
    return {(f.rule, f.file, f.line) for f in findings}


def test_clean_rust_patch_has_no_findings(kernel_tree):
    result = run_checkpatch(kernel_tree, [clean_change(kernel_tree)], VENV_PYTHON)
    assert result.per_patch == [[]]
    assert result.tool == []


def test_bad_patch_findings_on_the_right_lines(kernel_tree):
    result = run_checkpatch(kernel_tree, [bad_new_file(kernel_tree)], VENV_PYTHON)
    found = result.per_patch[0]
    assert kinds(found) >= {
        ("SPDX_LICENSE_TAG", "samples/rust/rust_bad.rs", 1),
        ("TRAILING_WHITESPACE", "samples/rust/rust_bad.rs", 2),
        ("LONG_LINE", "samples/rust/rust_bad.rs", 3),
        ("MISSING_SIGN_OFF", None, None),
    }
    severities = {f.rule: f.severity for f in found}
    assert severities["TRAILING_WHITESPACE"] == "error"
    assert severities["LONG_LINE"] == "warning"


def test_lines_match_checkpatch_showfile(kernel_tree):
    """Our patch-line mapping agrees with checkpatch's own --showfile on file findings."""
    bad_new_file(kernel_tree)
    out = git(kernel_tree, "format-patch", "-1", "-o", str(kernel_tree / ".." / "out")).strip()
    import subprocess
    proc = subprocess.run(["perl", "scripts/checkpatch.pl", "--terse", "--show-types",
                           "--showfile", "--no-summary", "--strict", out],
                          cwd=kernel_tree, capture_output=True, text=True)
    theirs = set()
    for line in proc.stdout.splitlines():
        m = re.match(r"^(\S+):(\d+): \w+:(\w+):", line)
        if m and m[3] in ("SPDX_LICENSE_TAG", "TRAILING_WHITESPACE", "LONG_LINE"):
            theirs.add((m[3], m[1], int(m[2])))
    ours = kinds(run_checkpatch(kernel_tree, [Path(out).read_text()]).per_patch[0])
    assert len(theirs) == 3 and theirs <= ours


def test_batch_attributes_findings_to_their_patch(kernel_tree):
    patches = [clean_change(kernel_tree, "first"), bad_new_file(kernel_tree),
               clean_change(kernel_tree, "third")]
    serial = run_checkpatch(kernel_tree, patches, VENV_PYTHON)
    assert serial.per_patch[0] == [] and serial.per_patch[2] == []
    assert ("LONG_LINE", "samples/rust/rust_bad.rs", 3) in kinds(serial.per_patch[1])
    parallel = run_checkpatch_parallel(kernel_tree, patches, VENV_PYTHON, jobs=2)
    assert parallel.per_patch == serial.per_patch
    as_check = Checkpatch(kernel_tree, VENV_PYTHON, jobs=2).run(patches)
    assert as_check == serial.per_patch


def test_spdxcheck_failure_is_surfaced(kernel_tree, tmp_path):
    commit(kernel_tree, {"samples/rust/rust_lic.rs":
                         "// SPDX-License-Identifier: GPL-2.0-bogus\n\n//! Licence test.\n"},
           "samples: rust: add a licence test\n\nTest the licence check.")
    patch = patch_of(kernel_tree)
    # A real python3 that cannot see site-packages, so spdxcheck.py cannot import ply.
    bare = tmp_path / "bare-python"
    bare.write_text(f"#!/bin/sh\nexec {sys.executable} -I -S \"$@\"\n")
    bare.chmod(0o755)
    without = run_checkpatch(kernel_tree, [patch], CheckpatchOptions(python=str(bare)))
    assert [f.rule for f in without.tool] == ["STDERR"]
    assert "ply" in without.tool[0].message and "spdxcheck" in without.tool[0].hint
    assert "SPDX_LICENSE_TAG" not in {f.rule for f in without.per_patch[0]}
    with_ply = run_checkpatch(kernel_tree, [patch], VENV_PYTHON)
    assert with_ply.tool == []
    spdx = [f for f in with_ply.per_patch[0] if f.rule == "SPDX_LICENSE_TAG"]
    assert [(f.line, "GPL-2.0-bogus" in f.message) for f in spdx] == [(1, True)]


def test_unknown_commit_id_only_when_not_ignored(kernel_tree):
    path = "samples/rust/rust_minimal.rs"
    text = (kernel_tree / path).read_text().replace("Rust minimal sample", "Rust tiny sample")
    commit(kernel_tree, {path: text},
           "samples: rust: minimal: fix the description\n\nReword it.\n\n"
           "Fixes: 0123456789ab (\"samples: rust: add minimal sample\")")
    patch = patch_of(kernel_tree)
    plain = run_checkpatch(kernel_tree, [patch], VENV_PYTHON)
    assert ("UNKNOWN_COMMIT_ID", None, None) in kinds(plain.per_patch[0])
    ignored = run_checkpatch(kernel_tree, [patch],
                             CheckpatchOptions(python=sys.executable,
                                               ignore_unknown_commit_id=True))
    assert "UNKNOWN_COMMIT_ID" not in {f.rule for f in ignored.per_patch[0]}


def test_commit_message_findings_deduplicated_against_checkpatch(kernel_tree):
    from patchpilot.core.checks.commit_msg import check_commit_message, drop_checkpatch_duplicates

    patch = bad_new_file(kernel_tree)  # committed without -s
    subject = git(kernel_tree, "log", "-1", "--format=%s")
    body = git(kernel_tree, "log", "-1", "--format=%b")
    author = git(kernel_tree, "log", "-1", "--format=%an <%ae>").strip()
    ours = check_commit_message(subject, body, author, ["samples/rust/rust_bad.rs"])
    assert "B1" in {f.rule for f in ours}
    theirs = run_checkpatch(kernel_tree, [patch], VENV_PYTHON).per_patch[0]
    assert "MISSING_SIGN_OFF" in {f.rule for f in theirs}
    assert "B1" not in {f.rule for f in drop_checkpatch_duplicates(ours, theirs)}


def test_spdxcheck_answers_are_kept_for_the_run_with_the_same_verdicts(kernel_tree, tmp_path):
    """checkpatch.pl starts scripts/spdxcheck.py for every SPDX line; within a run each
    expression is asked once, and the findings are exactly those of checkpatch.pl run with
    the plain interpreter."""
    files = {f"samples/rust/rust_l{i}.rs": f"// SPDX-License-Identifier: {lic}\n\n//! L{i}.\n"
             for i, lic in enumerate(["GPL-2.0", "GPL-2.0-bogus", "GPL-2.0", "MIT",
                                      "GPL-2.0-bogus", "GPL-2.0 OR MIT"])}
    names = sorted(files)
    commit(kernel_tree, {n: files[n] for n in names[:3]},
           "samples: rust: add licence tests\n\nTest the licence check.")
    commit(kernel_tree, {n: files[n] for n in names[3:]},
           "samples: rust: add more licence tests\n\nTest the licence check again.")
    patches = [patch_of(kernel_tree, "HEAD~1"), patch_of(kernel_tree)]
    log = tmp_path / "started"
    counting = tmp_path / "counting-python"
    counting.write_text(f"#!/bin/sh\ncase \"$1\" in *spdxcheck.py) echo \"$1\" >> {log};; esac\n"
                        f"exec {sys.executable} \"$@\"\n")
    counting.chmod(0o755)
    kept = run_checkpatch(kernel_tree, patches, CheckpatchOptions(python=str(counting)))
    assert len(log.read_text().splitlines()) == 4  # GPL-2.0, bogus, MIT, GPL-2.0 OR MIT
    spdx = [(f.file, "GPL-2.0-bogus" in f.message) for p in kept.per_patch for f in p
            if f.rule == "SPDX_LICENSE_TAG"]
    assert spdx == [("samples/rust/rust_l1.rs", True), ("samples/rust/rust_l4.rs", True)]
    # The same run with the interpreter first on PATH and nothing kept.
    plain_bin = tmp_path / "plain-bin"
    plain_bin.mkdir()
    (plain_bin / "python3").write_text(f"#!/bin/sh\nexec {sys.executable} \"$@\"\n")
    (plain_bin / "python3").chmod(0o755)
    dirs = tmp_path / "patches"
    dirs.mkdir()
    names = []
    for i, text in enumerate(patches):
        (dirs / f"{i}.patch").write_text(text)
        names.append(str(dirs / f"{i}.patch"))
    env = {**os.environ, "PATH": f"{plain_bin}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(checkpatch_argv(kernel_tree, names, CheckpatchOptions()),
                          cwd=kernel_tree, env=env, capture_output=True, text=True)
    assert proc.stderr == ""
    plain, _ = parse_output(proc.stdout, names, patches)
    assert plain == kept.per_patch
