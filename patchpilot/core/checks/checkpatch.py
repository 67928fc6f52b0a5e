"""Run the kernel tree's scripts/checkpatch.pl on patches and turn its output into Findings.

Patches are the text `git format-patch` produces. Many patches go to one checkpatch run (its
cost is mostly start-up); `run_checkpatch_parallel` spreads batches over cores. Output is read
in `--terse --show-types` form with patch-file line numbers, which patchmap.py maps to the
patched file and its new-file line: in a batch `--terse` drops the per-file headers, so
`--showfile` output could not be attributed to a patch (and it puts commit-message findings on
the last file). Whatever checkpatch prints on stderr (e.g. scripts/spdxcheck.py's traceback
when `ply`/GitPython are missing) becomes a finding. Runs perl and nothing else; no git
writes; no UI.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.patchmap import Place, patch_line_map
from patchpilot.core.errors import PatchpilotError

TOOL = "checkpatch"
SCRIPT = "scripts/checkpatch.pl"
_LEVELS = {"ERROR": "error", "WARNING": "warning", "CHECK": "info"}
_REPORT = re.compile(
    r"^(?P<name>[^:]+):(?P<line>\d+): (?P<level>ERROR|WARNING|CHECK):(?P<type>[A-Z0-9_]+): "
    r"(?P<msg>.*)$")
# Types about the commit as a whole, whatever line checkpatch puts them on.
COMMIT_TYPES = frozenset({
    "MISSING_SIGN_OFF", "NO_AUTHOR_SIGN_OFF", "FROM_SIGN_OFF_MISMATCH", "COMMIT_MESSAGE",
    "BAD_SIGN_OFF", "DUPLICATE_SIGN_OFF", "COMMIT_LOG_LONG_LINE", "GIT_COMMIT_ID",
    "BAD_FIXES_TAG", "BAD_REPORTED_BY_LINK", "BAD_STABLE_ADDRESS_STYLE", "EMAIL_SUBJECT",
    "UNKNOWN_COMMIT_ID", "COMMIT_LOG_USE_LINK", "COMMIT_COMMENT_SYMBOL",
})


@dataclass(frozen=True)
class CheckpatchOptions:
    """How to run checkpatch.pl.

    `python` is an interpreter to run as the `python3` that checkpatch calls for
    scripts/spdxcheck.py (None: the first `python3` on PATH).
    """

    strict: bool = True
    ignore: tuple[str, ...] = ()
    ignore_unknown_commit_id: bool = False
    max_line_length: int | None = None
    python: str | None = None
    extra_args: tuple[str, ...] = ()


@dataclass
class CheckpatchRun:
    """Findings per patch (same order as the input) and about the tool itself."""

    per_patch: list[list[Finding]]
    tool: list[Finding] = field(default_factory=list)


def checkpatch_argv(tree: Path, files: Sequence[str], options: CheckpatchOptions) -> list[str]:
    """The command line for one batch of patch files."""
    argv = ["perl", str(tree / SCRIPT), "--terse", "--show-types", "--no-summary",
            "--no-color"]
    if options.strict:
        argv.append("--strict")
    ignore = list(options.ignore) + (["UNKNOWN_COMMIT_ID"] if options.ignore_unknown_commit_id
                                     else [])
    if ignore:
        argv += ["--ignore", ",".join(ignore)]
    if options.max_line_length:
        argv.append(f"--max-line-length={options.max_line_length}")
    return argv + list(options.extra_args) + list(files)


def run_checkpatch(tree: Path, patches: Sequence[str],
                   options: CheckpatchOptions = CheckpatchOptions()) -> CheckpatchRun:
    """Check every patch text in `patches` with one checkpatch.pl run in `tree`."""
    if not patches:
        return CheckpatchRun([])
    if not (tree / SCRIPT).is_file():
        raise PatchpilotError(f"{tree} has no {SCRIPT}",
                              hint="point patchpilot at the top directory of a kernel tree")
    with tempfile.TemporaryDirectory(prefix="patchpilot-checkpatch-") as tmp:
        names = _write_patches(Path(tmp), patches)
        proc = _run(tree, checkpatch_argv(tree, names, options), _env(Path(tmp), options))
    per_patch, unparsed = parse_output(proc.stdout, names, patches)
    tool = stderr_findings(proc.stderr) + _unparsed_findings(unparsed)
    if proc.returncode not in (0, 1):
        tool.append(Finding(TOOL, "FAILED", "error", None, None,
                            f"checkpatch.pl exited with status {proc.returncode}",
                            "run it by hand: " + shlex.join(proc.args[:2])))
    return CheckpatchRun(per_patch, tool)


def _write_patches(tmp: Path, patches: Sequence[str]) -> list[str]:
    names = []
    for index, text in enumerate(patches, start=1):
        path = tmp / f"{index:04d}.patch"
        path.write_text(text)
        names.append(str(path))
    return names


# The `python3` checkpatch.pl finds first on PATH. It runs `scripts/spdxcheck.py -` once per
# SPDX line (a Python start that imports ply and GitPython and parses LICENSES/: about 0.3 s
# each); the answer depends only on the expression on stdin and the tree, which do not change
# during one run, so it is kept (stdout, stderr, status) for the rest of the run and replayed.
# Anything else goes to the real interpreter.
_PYTHON_SHIM = """#!/bin/sh
# patchpilot: python3 for checkpatch.pl; spdxcheck.py answers kept for this run in {memo}
python={python}
if [ "$#" -eq 2 ] && [ "$2" = "-" ]; then
    case "$1" in
    scripts/spdxcheck.py|*/scripts/spdxcheck.py)
        input=$(mktemp {memo}/in.XXXXXX) || exec "$python" "$@"
        cat > "$input"
        key=$(sha256sum < "$input" | cut -c1-40) || key=""
        answer={memo}/"$key"
        if [ -n "$key" ] && [ -f "$answer.rc" ]; then
            rm -f "$input"
            cat "$answer.out"
            cat "$answer.err" >&2
            exit "$(cat "$answer.rc")"
        fi
        "$python" "$@" < "$input" > "$input.out" 2> "$input.err"
        status=$?
        cat "$input.out"
        cat "$input.err" >&2
        if [ -n "$key" ]; then
            mv -f "$input.out" "$answer.out" && mv -f "$input.err" "$answer.err" &&
                echo "$status" > "$answer.rc"
        fi
        rm -f "$input" "$input.out" "$input.err"
        exit "$status"
        ;;
    esac
fi
exec "$python" "$@"
"""


def _env(tmp: Path, options: CheckpatchOptions) -> dict[str, str]:
    """checkpatch.pl's environment: a `python3` first on PATH that is `options.python` (else
    the `python3` found on PATH now) and keeps spdxcheck.py's answers for the run."""
    env = dict(os.environ)
    python = options.python or shutil.which("python3", path=env.get("PATH"))
    if python:
        memo = tmp / "spdx"
        memo.mkdir()
        shim = tmp / "bin" / "python3"
        shim.parent.mkdir()
        shim.write_text(_PYTHON_SHIM.format(python=shlex.quote(python),
                                            memo=shlex.quote(str(memo))))
        shim.chmod(0o755)
        env["PATH"] = f"{shim.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(tree: Path, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True,
                              errors="replace", stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise PatchpilotError("perl is not installed; checkpatch.pl needs it",
                              hint="install perl (apt-get install perl)") from None


def parse_output(stdout: str, names: Sequence[str],
                 patches: Sequence[str]) -> tuple[list[list[Finding]], list[str]]:
    """Findings per patch from `--terse --show-types` output, and the lines not understood."""
    index = {name: i for i, name in enumerate(names)}
    maps = [patch_line_map(text) for text in patches]
    per_patch: list[list[Finding]] = [[] for _ in patches]
    unparsed = []
    for line in stdout.splitlines():
        match = _REPORT.match(line)
        if not match or match["name"] not in index:
            if line.strip():
                unparsed.append(line)
            continue
        i = index[match["name"]]
        per_patch[i].append(_finding(match, maps[i]))
    return per_patch, unparsed


def _finding(match: re.Match[str], places: dict[int, Place]) -> Finding:
    kind = match["type"]
    file, line = places.get(int(match["line"]), (None, None))
    if kind in COMMIT_TYPES:
        file, line = None, None
    return Finding(TOOL, kind, _LEVELS[match["level"]], file, line, match["msg"])


def stderr_findings(stderr: str) -> list[Finding]:
    """One finding per distinct block of stderr output (tracebacks stay whole)."""
    text = stderr.strip()
    if not text:
        return []
    blocks = list(dict.fromkeys(re.split(r"\n(?=Traceback \(most recent call last\):)", text)))
    return [_stderr_finding(block) for block in blocks]


def _stderr_finding(block: str) -> Finding:
    last = block.strip().splitlines()[-1]
    hint = "checkpatch.pl wrote this on stderr; its checks may be incomplete"
    if "spdxcheck" in block:
        hint = ("scripts/spdxcheck.py needs `ply` and GitPython in the `python3` that "
                "checkpatch runs; until then SPDX identifiers are not validated")
    return Finding(TOOL, "STDERR", "warning", None, None, last, hint, fix=None)


def _unparsed_findings(lines: list[str]) -> list[Finding]:
    return [Finding(TOOL, "UNPARSED", "info", None, None, line,
                    "checkpatch.pl printed a line patchpilot does not understand")
            for line in dict.fromkeys(lines)]


def run_checkpatch_parallel(tree: Path, patches: Sequence[str],
                            options: CheckpatchOptions = CheckpatchOptions(),
                            jobs: int | None = None) -> CheckpatchRun:
    """Like run_checkpatch, with the patches split into `jobs` batches (default: one per
    core) run at the same time; results come back in input order."""
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(patches)))
    if jobs <= 1:
        return run_checkpatch(tree, patches, options)
    size = -(-len(patches) // jobs)
    batches = [list(patches[i:i + size]) for i in range(0, len(patches), size)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = list(pool.map(lambda batch: run_checkpatch(tree, batch, options), batches))
    tool = list(dict.fromkeys(f for run in runs for f in run.tool))
    return CheckpatchRun([p for run in runs for p in run.per_patch], tool)


@dataclass
class Checkpatch:
    """checkpatch.pl as a `Check`: findings about the tool itself go with the first patch."""

    tree: Path
    options: CheckpatchOptions = CheckpatchOptions()
    jobs: int | None = None
    name: str = TOOL

    def run(self, patches: Sequence[str]) -> list[list[Finding]]:
        """Check the patch texts (git format-patch output) in series order."""
        result = run_checkpatch_parallel(self.tree, patches, self.options, self.jobs)
        if result.tool and result.per_patch:
            result.per_patch[0] = result.per_patch[0] + result.tool
        return result.per_patch
