"""The Rust KUnit tests and doctests, run as Documentation/rust/testing.rst says: the kernel's own
tools/testing/kunit/kunit.py boots the build in QEMU and parses KTAP; its `--json` gives the
results. The location of a failure is the line KUnit itself printed (`# <test>.location:` or
`ASSERTION FAILED at`), read from the log kunit.py keeps (<build dir>/test.log). No UI.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from patchpilot.core.build.model import TestFailure

KUNIT = "tools/testing/kunit/kunit.py"


def exec_argv(out: Path, result: Path, timeout: int, arch: str = "x86_64") -> list[str]:
    """kunit.py exec on an existing build (no configure, no make: our build made it)."""
    return ["python3", KUNIT, "exec", f"--build_dir={out}", f"--arch={arch}",
            f"--timeout={timeout}", f"--json={result}"]


def statuses(result: Path) -> dict[str, str]:
    """suite.case -> PASS / FAIL / SKIP / ERROR, from kunit.py's JSON."""
    try:
        data = json.loads(result.read_text())
    except (OSError, ValueError):
        return {}
    found: dict[str, str] = {}
    _walk(data, "", found)
    return found


def _walk(group: dict[str, Any], prefix: str, found: dict[str, str]) -> None:
    name = str(group.get("name", ""))
    here = prefix if name == "KUnit Test Group" else f"{prefix}{name}."
    for case in group.get("test_cases", []):
        found[here + str(case.get("name"))] = str(case.get("status"))
    for sub in group.get("sub_groups", []):
        _walk(sub, here, found)


def locations(log: str) -> dict[str, str]:
    """test case name -> the file:line KUnit printed for it (a failed assertion first)."""
    where: dict[str, str] = {}
    for match in re.finditer(r"# (\w+)\.location: (\S+:\d+)", log):
        where.setdefault(match.group(1), match.group(2))
    for match in re.finditer(r"# (\w+): ASSERTION FAILED at (\S+:\d+)", log):
        where[match.group(1)] = match.group(2)
    for match in re.finditer(r"# (\w+): EXPECTATION FAILED at (\S+:\d+)", log):
        where.setdefault(match.group(1), match.group(2))
    return where


def new_failures(before: dict[str, str], after: dict[str, str],
                 where: dict[str, str]) -> list[TestFailure]:
    """Tests that fail now and did not before (passing, skipped or absent)."""
    failures = []
    for name, status in sorted(after.items()):
        if status in ("FAIL", "ERROR") and before.get(name) not in ("FAIL", "ERROR"):
            failures.append(TestFailure(name, status, where.get(name.rsplit(".", 1)[-1], "")))
    return failures
