"""The only module that runs b4: argv builders, output parsers and one runner.

b4 has no stable Python API, so patchpilot drives it through its command line. The runner
never lets b4 wait on a terminal: stdin is either the exact answer b4 asks for or /dev/null,
and any editor b4 might start is replaced by `true` unless the caller supplies one.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from patchpilot.core.errors import ExitCode, PatchpilotError

SUPPORTED = (0, 16)
TIMEOUT = 600


@dataclass(frozen=True)
class B4Result:
    """What a b4 run left behind."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str


def executable() -> str:
    """The b4 to run: $PATCHPILOT_B4, else the one installed beside patchpilot, else PATH."""
    configured = os.environ.get("PATCHPILOT_B4")
    if configured:
        return configured
    beside = Path(sys.executable).with_name("b4")
    if beside.exists():
        return str(beside)
    return shutil.which("b4") or "b4"


def _env(editor: str | None, config: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    for key, value in (config or {}).items():  # like `git -c KEY=VALUE`, for b4's git calls
        env[f"GIT_CONFIG_KEY_{count}"], env[f"GIT_CONFIG_VALUE_{count}"] = key, value
        count += 1
    env["GIT_CONFIG_COUNT"] = str(count)
    env["GIT_EDITOR"] = editor or "true"
    for var in ("EDITOR", "VISUAL"):
        env.pop(var, None)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["NO_COLOR"] = "1"
    return env


def run(args: list[str], cwd: Path, answer: str | None = None, editor: str | None = None,
        check: bool = True, config: dict[str, str] | None = None) -> B4Result:
    """Run `b4 ARGS` in `cwd`; `answer` is fed to its prompts, otherwise stdin is /dev/null.

    `config` adds git config values for this run only (e.g. b4.send-auto-to-cmd).
    """
    argv = [executable(), *args]
    try:
        # its own process group: when patchpilot is interrupted, b4 and everything it
        # started (the send relay, hooks) are stopped with it, not left running alone
        proc = subprocess.Popen(
            argv, cwd=cwd, env=_env(editor, config), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, process_group=0,
            stdin=subprocess.PIPE if answer is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        raise PatchpilotError(f"b4 is not installed ({argv[0]} not found)",
                              hint="pip install 'b4==0.16.*', or set PATCHPILOT_B4")
    try:
        stdout, stderr = proc.communicate(answer, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        _stop(proc)
        raise PatchpilotError(f"b4 {' '.join(args)} did not finish in {TIMEOUT}s",
                              hint="run the same b4 command by hand to see where it waits",
                              exit_code=ExitCode.FAILURE)
    except BaseException:  # Ctrl-C, or a signal the caller turned into an exception
        _stop(proc)
        raise
    result = B4Result(argv, proc.returncode, stdout, stderr)
    if check and proc.returncode != 0:
        raise PatchpilotError(f"b4 {args[0]} failed: {last_error(result)}",
                              hint="the repository was left as b4 left it",
                              exit_code=ExitCode.FAILURE)
    return result


def _stop(proc: subprocess.Popen[str]) -> None:
    """Kill b4's process group and reap b4."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    for stream in (proc.stdout, proc.stderr, proc.stdin):
        if stream is not None:
            stream.close()


_LABEL = re.compile(r"^(CRITICAL|ERROR|IMPORTANT|WARNING|NOTE):")


def asked(result: B4Result) -> str | None:
    """When b4 stopped at a question for a terminal (input() on a closed stdin: an EOFError),
    what it said before asking, in its own words, and the question; else None."""
    if "EOFError" not in result.stderr:
        return None
    said = []
    for line in result.stderr.splitlines():
        if line.startswith("Traceback"):
            break
        said.append(line.rstrip())
    starts = [n for n, line in enumerate(said) if _LABEL.match(line)]
    words = " ".join(ln.strip() for ln in said[starts[-1] if starts else -1:] if ln.strip())
    question = (result.stdout.strip().splitlines() or ["a question"])[-1].strip()
    return f"{words} (b4 then asked {question!r}, which needs a terminal)".strip()


def last_error(result: B4Result) -> str:
    """What b4 said before a question it could not ask, else the most telling line it
    printed: a CRITICAL/ERROR line, else the last line."""
    question = asked(result)
    if question:
        return question
    lines = [ln.strip() for ln in (result.stderr + result.stdout).splitlines() if ln.strip()]
    for number, line in enumerate(lines):
        if line.startswith(("CRITICAL:", "ERROR:")):
            # b4 puts the failing command's own message on the next line
            follow = lines[number + 1] if number + 1 < len(lines) else ""
            return f"{line} {follow}".strip() if line.endswith(":") else line
    tail = [ln for ln in lines if not ln.startswith(("Traceback", "File "))]
    return tail[-1] if tail else f"exit code {result.returncode}"


def said(result: B4Result) -> str:
    """What b4 told the user, in one line: its CRITICAL/ERROR/WARNING/IMPORTANT lines and
    the lines that continue them; never the traceback of a prompt it could not ask, nor the
    prompt itself. Empty when b4 said nothing of the kind."""
    kept: list[str] = []
    following = False
    for line in (result.stderr + "\n" + result.stdout).splitlines():
        text = line.strip()
        if text.startswith(("CRITICAL:", "ERROR:", "WARNING:", "IMPORTANT:")):
            following = True
            kept.append(text)
        elif following and line.startswith(" ") and text and not text.startswith("File "):
            kept.append(text)
        else:
            following = False
    return " ".join(kept)


def version(cwd: Path) -> tuple[int, int, int]:
    """b4's version, or an error when it is missing or not the supported minor release."""
    out = run(["--version"], cwd=cwd, check=False)
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out.stdout + out.stderr)
    if out.returncode != 0 or not match:
        raise PatchpilotError(f"cannot tell b4's version ({last_error(out)})",
                              hint="pip install 'b4==0.16.*'")
    found = (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
    if found[:2] != SUPPORTED:
        raise PatchpilotError(
            f"b4 {'.'.join(map(str, found))} is not supported (patchpilot needs "
            f"{SUPPORTED[0]}.{SUPPORTED[1]}.x)", hint="pip install 'b4==0.16.*'")
    return found


# -- argv builders --------------------------------------------------------------------------

def prep_new(name: str, fork_point: str | None = None) -> list[str]:
    argv = ["prep", "-n", name]
    return argv + ["-f", fork_point] if fork_point else argv


def prep_enroll(base: str) -> list[str]:
    return ["prep", "-e", base]


def prep_show_info() -> list[str]:
    return ["prep", "--show-info"]


# -- output parsers -------------------------------------------------------------------------

def parse_show_info(text: str) -> dict[str, str]:
    """`b4 prep --show-info` prints `key: value` lines; keep them in order."""
    info = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep and key and " " not in key:
            info[key] = value.strip()
    return info


def prep_edit_cover() -> list[str]:
    """Run with editor=`cp FILE`: b4 appends its temp file's path, so FILE becomes the cover."""
    return ["prep", "--edit-cover"]


def prep_auto_to_cc() -> list[str]:
    return ["prep", "--auto-to-cc"]


def prep_set_prefixes(prefixes: list[str]) -> list[str]:
    """`--set-prefixes` replaces b4's extra prefixes; one empty string clears them."""
    return ["prep", "--set-prefixes", *(prefixes or [""])]


# -- send -------------------------------------------------------------------------------------

# b4 send waits on `input('Press Enter to proceed or Ctrl-C to abort')` once, and once more
# before that when its own pre-flight checks fail ("Press Enter to ignore and send anyway").
SEND_PROCEED = "\n"
SEND_IGNORE_PREFLIGHT = "\n"
DRYRUN_START = "--- DRYRUN: message follows ---"
DRYRUN_END = "--- DRYRUN: message ends ---"


def send(dry_run: bool = False, output_dir: str | None = None, reflect: bool = False,
         preview_to: list[str] | None = None, sign: bool = False) -> list[str]:
    """`b4 send` in one of its modes; with `sign`, b4 signs with patatt as it does by default
    (send.sign says when a key is configured), else `--no-sign`."""
    argv = ["send"] if sign else ["send", "--no-sign"]
    if output_dir:
        return argv + ["-o", output_dir]
    if dry_run:
        argv.append("--dry-run")
    if reflect:
        argv.append("--reflect")
    if preview_to:
        argv += ["--preview-to", *preview_to]
    return argv


def parse_dry_run(text: str) -> list[str]:
    """The raw messages `b4 send --dry-run` printed (b4 indents each line with `    | `)."""
    messages: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == DRYRUN_START:
            current = []
        elif stripped == DRYRUN_END and current is not None:
            messages.append("\n".join(current) + "\n")
            current = None
        elif current is not None:
            body = line.split("|", 1)[1] if "|" in line else ""
            current.append(body[1:] if body.startswith(" ") else body)
    return messages
