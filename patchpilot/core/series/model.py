"""The series model: which branches hold series, and what a series is made of.

A b4-managed branch gives its base, revision, change-id, cover and sent history from b4's own
state (tracking.py); any other branch is measured from its upstream's merge-base or an explicit
base. Reads only: nothing here changes the repository.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from patchpilot.core.b4.deps import Prerequisite, parse_all
from patchpilot.core.b4.tracking import (
    Tracking,
    foreign_cover_email,
    read_tracking,
    warm_cover_search,
)
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.patches import Patch, parse_trailers, split_message

T = TypeVar("T")

KERNEL_MARKERS = ("MAINTAINERS", "scripts", "Makefile")


@dataclass
class SentRevision:
    """A revision b4 sent: its cover Message-IDs and the `sent/` tag, when there is one."""

    revision: int
    msgids: list[str]
    tag: str | None = None


@dataclass
class Series:
    """A patch series on a branch, patches in order (index from 1)."""

    branch: str
    base: str
    head: str
    revision: int
    change_id: str | None
    b4_managed: bool
    cover_subject: str | None
    cover_body: str | None
    patches: list[Patch]
    strategy: str | None = None
    prefixes: list[str] = field(default_factory=list)
    sent: list[SentRevision] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # b4's declared dependencies (`b4 prep --edit-deps`), in the order they apply
    prerequisites: list[Prerequisite] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The stable `patchpilot series --json` contract (see docs/cli.md)."""
        return {
            "branch": self.branch, "base": self.base, "head": self.head,
            "revision": self.revision, "change_id": self.change_id,
            "b4_managed": self.b4_managed,
            "cover": {"subject": self.cover_subject, "body": self.cover_body},
            "prerequisites": [p.to_json() for p in self.prerequisites],
            "patches": [{"index": p.index, "commit": p.commit, "patch_id": p.patch_id,
                         "subject": p.subject, "author": p.author, "files": p.files}
                        for p in self.patches],
        }


def open_kernel_repo(path: str = ".") -> GitRepo:
    """A git repository that looks like a kernel tree, or a clear error."""
    repo = GitRepo(path)
    missing = [m for m in KERNEL_MARKERS if not (repo.top / m).exists()]
    if missing:
        raise PatchpilotError(f"{repo.top} is not a kernel tree (no {', '.join(missing)})",
                              hint="run patchpilot at the top of a Linux kernel git tree")
    return repo


def list_branches(repo: GitRepo) -> list[tuple[str, Tracking | None]]:
    """Every b4-managed branch, plus the current branch when it is not b4-managed."""
    current = repo.current_branch()
    found = []
    branches = repo.branches()
    warm_cover_search(repo, branches)  # one search of the last year for all of them
    for branch in branches:
        tracking = _tracking_or_none(repo, branch)
        if tracking is not None or branch == current:
            found.append((branch, tracking))
    return found


def _tracking_or_none(repo: GitRepo, branch: str) -> Tracking | None:
    try:
        return read_tracking(repo, branch)
    except PatchpilotError:
        return None


def load_series(repo: GitRepo, branch: str | None = None, base: str | None = None,
                allow_empty: bool = False, light: bool = False) -> Series:
    """The series on `branch` (default: the current one).

    `light` reads commits and messages only: no diffs, patch-ids or work-tree status, for
    commands that work from the patches as mailed (repo.format_patches) instead.
    """
    branch = branch or _current_or_fail(repo)
    dirty = _in_background(repo.is_dirty) if not light else None  # git status, meanwhile
    tip = repo.rev_parse(f"refs/heads/{branch}")
    if tip is None:
        raise PatchpilotError(f"no branch named {branch}", hint="list branches: git branch")
    tracking = read_tracking(repo, branch)
    if tracking is not None and base is None:
        base_commit, start, end = _managed_range(repo, tracking, tip)
    else:
        base_commit = start = _resolve_base(repo, branch, base)
        end = tip
    patches = read_patches(repo, start, end, with_diffs=not light)
    if not patches and not allow_empty:
        raise PatchpilotError(f"branch {branch} has no commits over its base "
                              f"{base_commit[:12]}", hint="commit your work on the branch first")
    series = _assemble(repo, branch, tracking, base_commit, end, patches, not light)
    if tracking is not None and tracking.strategy == "tip-commit":
        above = int(repo.run("rev-list", "--count", f"{tracking.cover_commit}..{branch}"))
        if above:
            series.warnings.append(f"{above} commit(s) above the cover commit are not part "
                                   "of the series (tip-commit keeps the cover at the tip)")
    if dirty is not None and dirty.result():
        series.warnings.append("the work tree has uncommitted changes (read-only view)")
    return series


def _in_background(call: Callable[[], T]) -> Future[T]:
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(call)
    finally:
        pool.shutdown(wait=False)


def _current_or_fail(repo: GitRepo) -> str:
    branch = repo.current_branch()
    if branch is None:
        raise PatchpilotError("HEAD is detached: no current series",
                              hint="check out the series branch (git switch BRANCH)")
    return branch


def _managed_range(repo: GitRepo, tracking: Tracking,
                   tip: str | None = None) -> tuple[str, str, str]:
    """(base, start, last patch) of a b4 branch, as b4 prep --show-info computes them.

    Patches are start..last; with the "commit" strategy start is the cover commit itself.
    """
    tip = tip or repo.rev_parse(f"refs/heads/{tracking.branch}")
    if tracking.strategy == "commit":
        # read_tracking sets both from the cover commit; a listed branch always resolves
        return cast(tuple[str, str, str], (tracking.cover_parent, tracking.cover_commit, tip))
    if not tracking.base_branch:
        raise PatchpilotError(f"b4 tracking of {tracking.branch} names no base-branch",
                              hint="add \"base-branch\" to the tracking JSON")
    base = repo.fork_point(tracking.base_branch, tracking.branch)
    if base is None:
        raise PatchpilotError(f"{tracking.branch} has no common history with "
                              f"{tracking.base_branch}", hint="rebase it onto its base")
    end = tip if tracking.strategy == "branch-description" else tracking.cover_parent
    return base, base, cast(str, end)  # as above


def base_hint(repo: GitRepo, rev: str, command: str) -> str:
    """How to name the commit `rev` was meant to name (origin/master in a fresh clone...)."""
    found = repo.suggest_for(rev)
    if not found:
        return "give a commit, tag or branch name (git branch -a lists them)"
    return f"did you mean {' or '.join(found)}? patchpilot {command} {found[0]}"


def _resolve_base(repo: GitRepo, branch: str, base: str | None) -> str:
    if base is not None:
        resolved = repo.rev_parse(base)
        if resolved is None:
            raise PatchpilotError(f"--base {base} names no commit",
                                  hint=base_hint(repo, base, "series --base"))
        merge = repo.merge_base(resolved, branch)
        if merge is None:
            raise PatchpilotError(f"{base} and {branch} share no history",
                                  hint="choose a base the branch was built on")
        return merge
    hint_cmd = "pass --base REV, set an upstream (git branch --set-upstream-to=REV), " \
               "or let b4 manage it (patchpilot enroll BASE)"
    foreign = foreign_cover_email(repo, branch)
    if foreign:
        raise PatchpilotError(f"branch {branch} has a b4 cover committed by {foreign}, "
                              "not by your user.email", hint="run b4 prep --claim, or " + hint_cmd)
    upstream = repo.upstream_of(branch)
    merge = repo.merge_base(upstream, branch) if upstream else None
    if merge is None:
        raise PatchpilotError(f"cannot tell where the series on {branch} starts",
                              hint=hint_cmd)
    return merge


def read_patches(repo: GitRepo, start: str, end: str, with_diffs: bool = True) -> list[Patch]:
    commits = repo.log(f"{start}..{end}")
    merges = [c.sha[:12] for c in commits if len(c.parents) > 1]
    if merges:
        raise PatchpilotError(f"the series contains merge commit(s) {', '.join(merges)}",
                              hint="a mailed series must be linear: rebase it onto its base")
    diffs = repo.diffs(f"{start}..{end}") if commits and with_diffs else {}
    ids = repo.patch_ids(diffs) if diffs else {}
    patches = []
    for index, info in enumerate(commits, start=1):
        subject, body = split_message(info.message)
        patches.append(Patch(
            index=index, commit=info.sha, author=f"{info.author_name} <{info.author_email}>",
            author_date=info.author_date, subject=subject, body=body,
            trailers=parse_trailers(body), patch_id=ids.get(info.sha, ""),
            diff_text=diffs.get(info.sha, "")))
    return patches


def _assemble(repo: GitRepo, branch: str, tracking: Tracking | None, start: str, end: str,
              patches: list[Patch], with_sent: bool = True) -> Series:
    if tracking is None:
        return Series(branch=branch, base=start, head=end, revision=1, change_id=None,
                      b4_managed=False, cover_subject=None, cover_body=None, patches=patches)
    return Series(
        branch=branch, base=start, head=end, revision=tracking.revision,
        change_id=tracking.change_id, b4_managed=True, cover_subject=tracking.cover_subject,
        cover_body=tracking.cover_body, patches=patches, strategy=tracking.strategy,
        prefixes=tracking.prefixes, prerequisites=parse_all(tracking.prerequisites),
        sent=sent_history(repo, tracking) if with_sent else [])


def sent_history(repo: GitRepo, tracking: Tracking) -> list[SentRevision]:
    """Sent revisions from b4's `history` and its `sent/` tags (by change-id or branch name)."""
    short = tracking.branch.removeprefix("b4/")
    tags = {}
    for tag in repo.tags("refs/tags/sent/*"):
        match = re.fullmatch(r"sent/(.+)-v(\d+)", tag.name)
        if match and match.group(1) in (tracking.change_id, short):
            tags[int(match.group(2))] = tag.name
    revisions = {int(k.lstrip("v")) for k in tracking.history if k.lstrip("v").isdigit()}
    return [SentRevision(revision=n, msgids=list(tracking.history.get(f"v{n}", [])),
                         tag=tags.get(n))
            for n in sorted(revisions | set(tags))]


@dataclass
class SeriesSummary:
    """One line of the home screen: a branch holding a series, without reading its diffs."""

    branch: str
    b4_managed: bool
    current: bool
    revision: int | None = None
    change_id: str | None = None
    cover_subject: str | None = None
    patch_count: int | None = None
    sent_revisions: list[int] = field(default_factory=list)
    problem: str | None = None
    sent: list[SentRevision] = field(default_factory=list)  # with their cover Message-IDs


def summarize(repo: GitRepo, base: str | None = None) -> list[SeriesSummary]:
    """Every series in the repository (see list_branches), cheaply."""
    current = repo.current_branch()
    return [_summary(repo, branch, tracking, branch == current, base)
            for branch, tracking in list_branches(repo)]


def _summary(repo: GitRepo, branch: str, tracking: Tracking | None, current: bool,
             base: str | None) -> SeriesSummary:
    summary = SeriesSummary(branch=branch, b4_managed=tracking is not None, current=current)
    try:
        if tracking is not None:
            _, start, end = _managed_range(repo, tracking)
            summary.revision, summary.change_id = tracking.revision, tracking.change_id
            summary.cover_subject = tracking.cover_subject
            summary.sent = sent_history(repo, tracking)
            summary.sent_revisions = [s.revision for s in summary.sent]
        else:
            start, end = _resolve_base(repo, branch, base), f"refs/heads/{branch}"
        summary.patch_count = int(repo.run("rev-list", "--count", f"{start}..{end}"))
    except PatchpilotError as exc:
        summary.problem = str(exc)
    return summary
