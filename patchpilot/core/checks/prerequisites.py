"""`patchpilot check --with-prerequisites`: the checks run on the series as it will be
applied, on its base-commit with its prerequisites' patches below it.

A scratch worktree (git.worktree, under .git/patchpilot/worktrees/) is checked out at the
base-commit; the prerequisites' patches (mails the caller found on the list or in a local
mbox: this module does no network) and then the series' own are applied with `git am`; the
checks run there on the series' patches; the worktree is removed afterwards, and the user's
tree and branches are untouched. Patches from the list are untrusted: one that changes what
the checks execute (scripts/) stops the run before anything runs. Results keep the branch's
own commit ids (patch by patch, in order), so a finding points at the commit the user has.
No UI; raises PatchpilotError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from patchpilot.core.checks.runner import CheckReport, PatchResult, check_series, series_for_range
from patchpilot.core.config import Config
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.git import worktree
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import Series

# what the checks execute from the tree (checkpatch.pl, its helpers, spdxcheck.py...)
TOOL_PATHS = ("scripts/",)


@dataclass
class Applied:
    """What the checked tree was made of."""

    base: str  # the base-commit, resolved
    subjects: list[str] = field(default_factory=list)  # the prerequisites' patches
    checked_base: str = ""  # the scratch commit under the series (the last prerequisite)
    checked_head: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"base": self.base, "patches": self.subjects,
                "checked_base": self.checked_base, "checked_head": self.checked_head}


def check_with_prerequisites(repo: GitRepo, series: Series, base: str | None,
                             prerequisites: list[bytes], subjects: list[str],
                             series_mails: list[bytes], config: Config,
                             use_cache: bool = True,
                             on_result: Callable[[PatchResult], object] | None = None,
                             ) -> tuple[CheckReport, Applied]:
    """Check `series` applied (as `series_mails`) over `prerequisites` at `base`."""
    resolved = repo.rev_parse(base or "")
    if resolved is None:
        raise PatchpilotError(f"the prerequisites' base-commit {base or '(none)'} names no "
                              "commit here", hint="b4 prep --edit-deps: give a base-commit "
                                                  "this tree has (git fetch it first)")
    applied = Applied(resolved, list(subjects))
    with worktree.scratch(repo, resolved) as tree:
        _apply(tree, prerequisites, "the prerequisites' patches do not apply on "
                                    f"{base}", "b4 prep --check-deps says which")
        applied.checked_base = tree.run("rev-parse", "HEAD")
        _refuse_tools_from_the_list(tree, resolved, applied.checked_base)
        _apply(tree, series_mails, "the series does not apply over its prerequisites",
               "rebase it onto them, or fix the prerequisites (b4 prep --edit-deps)")
        applied.checked_head = tree.run("rev-parse", "HEAD")
        there = series_for_range(tree, f"{applied.checked_base}..{applied.checked_head}")
        mine = {p.index: p.commit for p in series.patches}
        report = check_series(tree, there, config, use_cache=use_cache,
                              on_result=_renamed(on_result, mine))
    report.results = [_own(r, mine) for r in report.results]
    report.base, report.head = series.base, series.head
    return report, applied


def _refuse_tools_from_the_list(tree: GitRepo, base: str, head: str) -> None:
    """The checks run the tree's own scripts (checkpatch.pl and the Python it starts): a
    prerequisite from the list that changes them would run code nobody reviewed here."""
    changed = tree.run("diff", "--name-only", base, head).splitlines()
    tools = [path for path in changed if path.startswith(TOOL_PATHS)]
    if tools:
        raise PatchpilotError(f"a prerequisite patch changes {tools[0]}, which the checks run; "
                              "patchpilot does not run tools that came from the list",
                              hint="read and apply it yourself, then check the series",
                              exit_code=ExitCode.FAILURE)


def _apply(tree: GitRepo, mails: list[bytes], what: str, hint: str) -> None:
    error = worktree.am(tree, worktree.mbox_of(mails))
    if error:
        raise PatchpilotError(f"{what} ({error[:200]})", hint=hint,
                              exit_code=ExitCode.FAILURE)


def _own(result: PatchResult, mine: dict[int, str]) -> PatchResult:
    return replace(result, commit=mine.get(result.index, result.commit))


def _renamed(on_result: Callable[[PatchResult], object] | None, mine: dict[int, str],
             ) -> Callable[[PatchResult], object] | None:
    if on_result is None:
        return None
    return lambda result: on_result(_own(result, mine))
