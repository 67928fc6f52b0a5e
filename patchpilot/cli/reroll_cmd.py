"""`patchpilot reroll`, `patchpilot trailers` and `patchpilot undo`.

reroll    the plan: each patch against the sent revision, trailers, comments, the drafted
          changelog; --diff N shows patch N's range-diff, --write-changelog puts the draft into
          the cover, --check re-runs the checks and says which results were reused.
trailers  the trailers collected from the list, with ids; --apply applies the ready ones and
          those accepted with --accept ID, through b4, after a backup ref.
undo      takes back the last rewrite patchpilot made of the branch.
Every rewrite asks first (or takes --yes) and says where the backup is.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from patchpilot.cli.output import Output, Subparsers
from patchpilot.core.b4 import state as b4state
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.git import rewrite
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.reroll import stale
from patchpilot.core.reroll.apply import apply_trailers
from patchpilot.core.reroll.changelog import write_changelog
from patchpilot.core.reroll.plan import RerollPlan, make_plan, recheck
from patchpilot.core.reroll.trailers import (
    APPLIED,
    LEFT,
    READY,
    TrailerItem,
    choose,
    reject,
)
from patchpilot.core.series.model import load_series, open_kernel_repo
from patchpilot.core.text import safe_text


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("reroll", help="prepare the next revision: range-diff against the "
                                           "sent one, trailers, changelog, re-check")
    _common(parser)
    parser.add_argument("--revision", type=int, help="compare with this sent revision "
                                                     "(default: the last one sent)")
    parser.add_argument("--diff", type=int, metavar="N", help="show patch N's range-diff")
    parser.add_argument("--write-changelog", action="store_true",
                        help="write the drafted changelog into the cover's Changes block")
    parser.add_argument("--per-patch", action="store_true",
                        help="with --write-changelog: also note each changed patch's changes "
                             "below its --- line")
    parser.add_argument("--force", action="store_true",
                        help="with --write-changelog: replace a hand-written block")
    parser.add_argument("--check", action="store_true",
                        help="re-run the checks (unchanged patches reuse their results)")
    parser.add_argument("--keep-tags", action="append", default=[], type=int, metavar="N",
                        help="keep the review tags patch N had before its code changed "
                             "(repeatable)")
    parser.add_argument("--drop-tags", action="append", default=[], type=int, metavar="N",
                        help="take those tags out of patch N's commit message (repeatable; "
                             "a rewrite, after a backup ref)")
    parser.set_defaults(handler=run_reroll)

    parser = sub.add_parser("trailers", help="trailers given on the list: list, then apply "
                                             "through b4")
    _common(parser)
    parser.add_argument("--apply", action="store_true", help="apply the ready trailers")
    parser.add_argument("--accept", action="append", default=[], metavar="ID",
                        help="also apply this trailer that was left for you (repeatable)")
    parser.add_argument("--reject", action="append", default=[], metavar="ID",
                        help="never apply this trailer: recorded in b4's "
                             ".git/b4-trailers-ignore.json, so b4 trailers -u leaves it out "
                             "too (repeatable)")
    parser.add_argument("--unreject", action="append", default=[], metavar="ID",
                        help="take a rejected trailer off that list (repeatable)")
    parser.set_defaults(handler=run_trailers)

    parser = sub.add_parser("undo", help="take back the last rewrite patchpilot made")
    parser.add_argument("--branch", metavar="NAME", help="the branch (default: current)")
    parser.add_argument("--yes", action="store_true", help="do not ask (for scripts)")
    parser.set_defaults(handler=run_undo)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--branch", metavar="NAME", help="the series on NAME (default: current)")
    parser.add_argument("--refresh", action="store_true",
                        help="fetch new replies first (else the cached ones are used)")
    parser.add_argument("--yes", action="store_true", help="do not ask (for scripts)")


def confirm(question: str, assume_yes: bool) -> None:
    """Ask before a rewrite; without a terminal, --yes is required."""
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise PatchpilotError(f"refusing to {question} without a confirmation",
                              hint="run it in a terminal, or pass --yes")
    answer = input(f"{question[0].upper()}{question[1:]}? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise PatchpilotError("nothing changed", exit_code=ExitCode.FAILURE)


def _plan(args: argparse.Namespace, repo: GitRepo, out: Output) -> RerollPlan:
    branch = args.branch or repo.current_branch()
    recovered = b4state.recover(repo, branch) if branch else None
    if recovered and recovered.state == "abandoned":
        out.warn(f"an interrupted rewrite ({recovered.what}) was left alone: {recovered.note}; "
                 f"{branch} keeps its commits (the state before it: "
                 f"{rewrite.BACKUP_PREFIX}/{branch}/)")
    elif recovered:
        out.warn(f"an interrupted rewrite ({recovered.what}) was found: {branch} is back at "
                 f"{recovered.before[:12]}; the half-done state is kept under "
                 f"{rewrite.BACKUP_PREFIX}/{branch}/")
    return make_plan(repo, args.branch, getattr(args, "revision", None), refresh=args.refresh)


def _warnings(plan: RerollPlan, out: Output) -> None:
    if plan.offline:
        out.warn(plan.offline)
    for warning in plan.warnings[1 if plan.offline else 0:]:
        out.warn(safe_text(warning, 300))


def run_reroll(args: argparse.Namespace, out: Output) -> ExitCode:
    repo = open_kernel_repo(args.directory)
    plan = _plan(args, repo, out)
    _warnings(plan, out)
    if args.diff is not None:
        change = next((c for c in plan.changes if c.new == args.diff), None)
        if change is None:
            raise PatchpilotError(f"no patch {args.diff} in the series",
                                  hint=f"patches are 1..{len(plan.series.patches)}")
        out.line(safe_text(change.diff, 200_000) or f"patch {args.diff} is {change.status}")
        return ExitCode.OK
    if args.keep_tags or args.drop_tags:
        plan = _decide_tags(args, repo, plan, out)
    result: dict[str, Any] = {"plan": plan.to_json()}
    if args.write_changelog:
        if not args.json:
            out.line(safe_text("\n".join(plan.changelog)))
        confirm(f"write this changelog into the v{plan.series.revision} cover", args.yes)
        notes = plan.notes() if args.per_patch else None
        write_changelog(repo, plan.series, plan.changelog, force=args.force, notes=notes)
        if notes is not None:
            result["patch_notes"] = {str(k): v for k, v in notes.items()}
        result["changelog_written"] = True
        out.warn(f"changelog written into the cover; backup under {rewrite.BACKUP_PREFIX}/"
                 f"{plan.series.branch}/ (patchpilot undo takes it back)")
    if args.check:  # the series as it is now: the changelog may just have rewritten it
        series = load_series(repo, plan.series.branch) if args.write_changelog else plan.series
        done = recheck(repo, series)
        result["checks"] = {"reused": done.reused, "rerun": done.rerun,
                            "summary": done.report.summary()}
    if args.json:
        out.json(result)
    else:
        render(plan, out, result.get("checks"))
    return ExitCode.OK


def _decide_tags(args: argparse.Namespace, repo: GitRepo, plan: RerollPlan,
                 out: Output) -> RerollPlan:
    """--keep-tags / --drop-tags: the user's choice per patch; the plan again after it."""
    if args.keep_tags:
        stale.keep(repo, plan.series, plan.stale, args.keep_tags)
    if args.drop_tags:
        lines = [t for s in plan.stale if s.patch in args.drop_tags for t in s.trailers]
        confirm(f"drop {len(lines)} review tag(s) from patch(es) "
                f"{', '.join(map(str, args.drop_tags))} of {plan.series.branch}", args.yes)
        backup = stale.drop(repo, plan.series, plan.stale, args.drop_tags)
        out.warn(f"dropped {'; '.join(safe_text(t, 120) for t in lines)}; backup {backup} "
                 "(patchpilot undo takes it back)")
    args.refresh = False
    return _plan(args, repo, out)


def render(plan: RerollPlan, out: Output, checks: dict[str, Any] | None = None) -> None:
    out.line(f"{plan.series.branch}: v{plan.series.revision} against v{plan.previous} "
             f"as sent ({plan.tag})")
    for c in plan.changes:
        where = f"{c.old or '-'} -> {c.new or '-'}"
        extra = ", reordered" if c.reordered else ""
        extra += f", message {c.message}" if c.message else ""
        out.line(f"  {where:<8} {c.status:<9}{extra}  {safe_text(c.subject, 100)}")
    ready = sum(t.status == READY for t in plan.trailers)
    left = [t for t in plan.trailers if t.status in LEFT]
    out.line(f"trailers: {len(plan.collected)} collected, {ready} ready, {len(left)} left "
             "for you, "
             f"{sum(t.status == APPLIED for t in plan.trailers)} already applied")
    for tags in plan.stale:
        said = "kept (you chose)" if tags.kept else \
            f"keep: --keep-tags {tags.patch}, drop: --drop-tags {tags.patch}"
        out.line(f"patch {tags.patch} changed since v{tags.since} but keeps tags given before: "
                 f"{safe_text('; '.join(tags.trailers), 300)}  ({said})")
    out.line(f"comments: {len(plan.addressed)} addressed, {len(plan.open_comments)} open")
    for comment in plan.open_comments:
        where = "cover" if comment.patch == 0 else f"patch {comment.patch}"
        text = " ".join(safe_text(comment.text, 400).split())  # one line per comment
        out.line(f"  open [{where}] {safe_text(comment.reviewer, 80)}: {text[:100]}")
    out.line(f"Changes in v{plan.series.revision} (draft):")
    for line in plan.changelog:
        out.line(f"  {safe_text(line, 2000)}")
    if checks:
        out.line(f"checks: reused for patches {checks['reused'] or '-'}, "
                 f"run again for {checks['rerun'] or '-'}")


def run_trailers(args: argparse.Namespace, out: Output) -> ExitCode:
    repo = open_kernel_repo(args.directory)
    plan = _plan(args, repo, out)
    if args.reject or args.unreject:
        for ids, undo, did in ((args.reject, False, "rejected"),
                               (args.unreject, True, "no longer rejected")):
            for item in reject(repo, plan.trailers, ids, undo=undo) if ids else []:
                out.warn(f"{did}: {safe_text(item.line, 200)} (from {item.msgid}), in "
                         ".git/b4-trailers-ignore.json")
        args.refresh = False  # fetched already, if asked
        plan = _plan(args, repo, out)
    _warnings(plan, out)
    if not args.apply:
        if args.json:
            out.json({"trailers": [t.to_json() for t in plan.trailers]})
        else:
            _list_trailers(plan, out)
        return ExitCode.OK
    chosen = choose(plan.trailers, args.accept)
    if not args.json:
        _list_trailers(plan, out, chosen)
    confirm(f"apply {len(chosen)} trailer(s) to {plan.series.branch} (a backup ref is made "
            "first)", args.yes)
    result = apply_trailers(repo, plan.series, chosen)
    if args.json:
        out.json({"applied": [t.to_json() for t in result.applied],
                  "not_applied": [t.to_json() | {"why": result.why.get(t.id, "")}
                                  for t in result.not_applied],
                  "backup": result.backup, "rewritten": result.rewritten})
    else:
        out.line(f"applied {len(result.applied)} trailer(s), {result.rewritten} commit(s) "
                 f"rewritten; backup {result.backup} (patchpilot undo takes it back)")
        for item in result.not_applied:
            out.warn(f"b4 did not apply {safe_text(item.line, 200)} ({item.how}): "
                     f"{safe_text(result.why.get(item.id, ''), 300)}")
    if result.not_applied:  # exit 1 says why, in one line
        out.error(PatchpilotError(f"b4 did not apply {len(result.not_applied)} of the "
                                  f"{len(chosen)} trailer(s) chosen",
                                  hint="each one is named above; the others were applied"))
        return ExitCode.FAILURE
    return ExitCode.OK


def _list_trailers(plan: RerollPlan, out: Output,
                   chosen: list[TrailerItem] | None = None) -> None:
    if not plan.trailers:
        out.line("no trailers given on the list")
    for t in plan.trailers:
        where = "cover" if t.patch == 0 else f"patch {t.patch}"
        to = ",".join(map(str, t.targets)) or "-"
        mark = "+" if chosen is not None and t in chosen else " "
        out.line(f"{mark} {t.id} v{t.revision} [{where}] -> [{to}] {t.status:<15} "
                 f"{safe_text(t.line, 120)}  ({safe_text(t.how, 160)})")


def run_undo(args: argparse.Namespace, out: Output) -> ExitCode:
    repo = open_kernel_repo(args.directory)
    branch = args.branch or repo.current_branch()
    if branch is None:
        raise PatchpilotError("HEAD is detached", hint="pass --branch NAME")
    entry = rewrite.last_undoable(repo, branch)
    if entry is None:
        raise PatchpilotError(f"no patchpilot rewrite of {branch} to undo",
                              hint=f"backups are under {rewrite.BACKUP_PREFIX}/{branch}/")
    confirm(f"undo '{entry.what}' on {branch} (back to {entry.before[:12]})", args.yes)
    entry = rewrite.undo(repo, branch)
    out.line(f"{branch} is back at {entry.before[:12]} (before '{entry.what}')")
    return ExitCode.OK
