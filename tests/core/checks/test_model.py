"""The findings model: severities, JSON, ordering, fixes; and the core's import hygiene."""

from __future__ import annotations

import subprocess
import sys

import pytest

from patchpilot.core.checks.model import (
    Finding,
    apply_fixes,
    at_least,
    severity_rank,
    sort_findings,
    worst,
)


def test_severity_ordering():
    assert severity_rank("error") < severity_rank("warning") < severity_rank("info")
    assert at_least("error", "warning") and not at_least("info", "warning")
    assert worst(["info", "error", "warning"]) == "error" and worst([]) is None
    with pytest.raises(ValueError, match="fatal"):
        severity_rank("fatal")
    with pytest.raises(ValueError):
        Finding("t", "r", "fatal", None, None, "m")


def test_to_json_and_sorting():
    a = Finding("rust-rules", "A4", "error", "rust/x.rs", 9, "m", "h")
    b = Finding("checkpatch", "MISSING_SIGN_OFF", "error", None, None, "s")
    c = Finding("rustfmt", "A1", "warning", "rust/x.rs", 2, "f", fix="x", end_line=3)
    assert c.to_json() == {"tool": "rustfmt", "rule": "A1", "severity": "warning",
                           "file": "rust/x.rs", "line": 2, "message": "f", "hint": "",
                           "fix": "x", "end_line": 3, "lint": None}
    assert sort_findings([a, c, b]) == [b, c, a]


def test_apply_fixes():
    text = "a\nb\nc\nd\n"
    fixes = [Finding("t", "r", "info", "f", 2, "m", fix="B1\nB2", end_line=3),
             Finding("t", "r", "info", "f", 3, "overlaps", fix="X"),
             Finding("t", "r", "info", "f", 4, "delete", fix="")]
    assert apply_fixes(text, fixes) == "a\nB1\nB2\n"
    assert apply_fixes(text, []) == text


def test_checks_import_no_ui():
    code = ("import sys, patchpilot.core.checks.rust.rules, patchpilot.core.checks.checkpatch, "
            "patchpilot.core.checks.rustfmt, patchpilot.core.checks.commit_msg; "
            "print(sorted(m for m in ('textual', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
