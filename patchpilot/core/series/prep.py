"""Start a series: a new b4 branch (`b4 prep -n`) or an existing branch enrolled (`b4 prep -e`).

Every state change goes through b4 (b4cli); this module checks the preconditions first so the
user gets one clear message and the repository is left as it was.
"""

from __future__ import annotations

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.b4.tracking import read_tracking
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import Series, base_hint, load_series


def _require_clean(repo: GitRepo, doing: str = "work on it") -> None:
    if repo.is_dirty():
        raise PatchpilotError(f"the work tree has uncommitted changes (b4 refuses to {doing})",
                              hint="commit or stash them first")


def require_b4_checkout(repo: GitRepo, series: Series, doing: str) -> None:
    """What every b4 rewrite or send needs: b4 manages the branch, it is checked out, clean."""
    if not series.b4_managed:
        raise PatchpilotError(f"{series.branch} is not managed by b4: cannot {doing}",
                              hint="enroll it first: patchpilot enroll BASE")
    if repo.current_branch() != series.branch:
        raise PatchpilotError(f"{series.branch} is not checked out",
                              hint=f"git switch {series.branch}")
    _require_clean(repo, doing)


def new_series(repo: GitRepo, name: str, fork_point: str | None = None) -> Series:
    """Create branch b4/NAME with a cover commit, forked at FORK_POINT (default HEAD)."""
    if not name or name.startswith("-") or repo.try_run("check-ref-format", "--branch",
                                                         f"b4/{name}") is None:
        raise PatchpilotError(f"{name!r} is not a valid series name",
                              hint="use letters, digits and dashes, e.g. rust-phy-fix")
    if repo.rev_parse(f"refs/heads/b4/{name}"):
        raise PatchpilotError(f"branch b4/{name} already exists",
                              hint=f"switch to it (git switch b4/{name}) or pick another name")
    if fork_point is not None and repo.rev_parse(fork_point) is None:
        raise PatchpilotError(f"--fork-point {fork_point} names no commit",
                              hint=base_hint(repo, fork_point, f"new {name} --fork-point"))
    if fork_point is None and repo.rev_parse("HEAD") is None:
        raise PatchpilotError("the repository has no commits", hint="commit a base first")
    _require_clean(repo)
    b4cli.version(repo.top)
    result = b4cli.run(b4cli.prep_new(name, fork_point), cwd=repo.top, check=False)
    if result.returncode != 0:
        raise PatchpilotError(f"b4 prep -n failed: {b4cli.last_error(result)}",
                              hint=_new_hint(repo, name, result), exit_code=ExitCode.FAILURE)
    return load_series(repo, f"b4/{name}", allow_empty=True)


def _new_hint(repo: GitRepo, name: str, result: b4cli.B4Result) -> str:
    """On a b4 branch, b4 asks before chaining the new series onto the current one: say how
    to start it elsewhere instead."""
    current = repo.current_branch()
    if b4cli.asked(result) is None or current is None or read_tracking(repo, current) is None:
        return "nothing was changed; run the same b4 prep -n by hand to see more"
    try:
        where = load_series(repo, current, light=True, allow_empty=True).base[:12]
    except PatchpilotError:
        where = "master"
    return (f"{current} is a b4 series: start the new one elsewhere with patchpilot new {name} "
            f"--fork-point REV (e.g. {where}, where {current} starts), or run b4 prep -n "
            f"{name} in a terminal to chain it onto {current}; nothing was changed")


def enroll(repo: GitRepo, base: str) -> Series:
    """Let b4 manage the current branch, its series starting after BASE."""
    branch = repo.current_branch()
    if branch is None:
        raise PatchpilotError("HEAD is detached: nothing to enroll",
                              hint="check out the branch that holds your commits")
    if repo.rev_parse(base) is None:
        raise PatchpilotError(f"{base} names no commit", hint=base_hint(repo, base, "enroll"))
    if read_tracking(repo, branch) is not None:
        raise PatchpilotError(f"branch {branch} is already managed by b4",
                              hint="patchpilot series shows it")
    _require_clean(repo)
    b4cli.version(repo.top)
    b4cli.run(b4cli.prep_enroll(base), cwd=repo.top)
    return load_series(repo, branch, allow_empty=True)
