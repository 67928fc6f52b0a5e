"""`patchpilot check [RANGE] [--json] [--tool NAME,...] [--fail-on error|warning] [--no-cache]`:
checkpatch, rustfmt, the Rust and commit-message rules and clippy, per patch."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from patchpilot.cli.output import Output, Subparsers
from patchpilot.cli.untrusted import clean
from patchpilot.core.errors import ExitCode, PatchpilotError

if TYPE_CHECKING:  # the command imports the checks only when it runs
    from patchpilot.core.checks.model import Finding
    from patchpilot.core.checks.runner import CheckReport, PatchResult
    from patchpilot.core.config import Config
    from patchpilot.core.git.repo import GitRepo
    from patchpilot.core.series.model import Series


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("check", help="check every patch of the series (or RANGE)")
    parser.add_argument("range", nargs="?", metavar="RANGE",
                        help="BASE..HEAD to check instead of the current series")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--tool", metavar="NAME,...",
                        help="only these tools: checkpatch, rustfmt, rust, commit, clippy, klint")
    parser.add_argument("--fail-on", choices=("error", "warning"), default=None,
                        help="exit 1 when a finding is this bad (default: checks.fail-on)")
    parser.add_argument("--no-cache", action="store_true",
                        help="run everything afresh and leave the cache as it was")
    parser.add_argument("--profile", metavar="NAME", help="rust-for-linux, kernel or auto")
    parser.add_argument("--kbuild", metavar="DIR",
                        help="a kernel build directory with CONFIG_RUST=y, for clippy")
    parser.add_argument("--branch", metavar="NAME", help="another branch than the current one")
    parser.add_argument("--base", metavar="REV",
                        help="where the series starts, for a branch b4 does not manage")
    parser.add_argument("--with-prerequisites", action="store_true",
                        help="check the series applied on its base-commit over the patches "
                             "of its b4 prerequisites, in a scratch worktree")
    parser.add_argument("--prerequisites-from", metavar="MBOX",
                        help="with --with-prerequisites: take their patches from this mbox "
                             "instead of the list (threads already fetched come from the "
                             "cache)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Output) -> ExitCode:
    from patchpilot.core.checks.profiles import parse_tools
    from patchpilot.core.checks.runner import check_series, prefetch, series_for_range
    from patchpilot.core.config import Config
    from patchpilot.core.series.model import load_series, open_kernel_repo

    repo = open_kernel_repo(args.directory)
    tools = ",".join(parse_tools(args.tool)) if args.tool is not None else None
    config = Config(repo, flags={"checks.tools": tools, "checks.profile": args.profile,
                                 "checks.kbuild": args.kbuild, "checks.fail-on": args.fail_on})
    fail_on = config.text("checks.fail-on")
    if fail_on not in ("error", "warning"):
        raise PatchpilotError(f"checks.fail-on: {fail_on!r}", hint="use error or warning")
    prefetch(config)  # meanwhile, the series is read
    if args.range:
        series = series_for_range(repo, args.range)
    else:
        base = args.base or config.text("series.base") or None
        series = load_series(repo, args.branch, base=base)
    live = None if args.json else _InOrder(len(series.patches), out)
    if args.with_prerequisites or args.prerequisites_from:
        report, extra = _with_prerequisites(repo, series, config, args, live, out)
    else:
        report = check_series(repo, series, config, use_cache=not args.no_cache,
                              on_result=live)
        extra = {}
    if args.json:
        out.json(clean({**report.to_json(), **extra}))
    else:
        render_summary(report, out)
    return ExitCode.FAILURE if report.fails(fail_on) else ExitCode.OK


def _with_prerequisites(repo: GitRepo, series: Series, config: Config,
                        args: argparse.Namespace, live: _InOrder | None,
                        out: Output) -> tuple[CheckReport, dict[str, Any]]:
    """The series checked over its prerequisites (core.checks.prerequisites), their patches
    from --prerequisites-from or the list (review.prereqs)."""
    from pathlib import Path

    from patchpilot.core.checks.prerequisites import check_with_prerequisites
    from patchpilot.core.review.prereqs import (
        LoreSource,
        MboxSource,
        Source,
        check_prerequisites,
        series_mails,
    )
    from patchpilot.core.review.replies import make_client

    if not series.prerequisites:
        raise PatchpilotError(f"{series.branch} declares no prerequisites",
                              hint="b4 prep --edit-deps adds them; patchpilot series shows them")
    source: Source
    if args.prerequisites_from:
        path = Path(args.prerequisites_from)
        if not path.is_file():
            raise PatchpilotError(f"no such mbox: {path}", hint="give a saved thread or mbox")
        source = MboxSource(path.read_bytes())
    else:
        source = LoreSource(make_client(repo, config), refresh=False)
    found = check_prerequisites(repo, series, source, apply=False)
    if found.failing:
        first = found.failing[0]
        raise PatchpilotError(f"prerequisite {first.line}: {first.reason}",
                              hint="b4 prep --edit-deps, or --prerequisites-from MBOX")
    report, applied = check_with_prerequisites(
        repo, series, found.base, found.patches, found.subjects, series_mails(repo, series),
        config, use_cache=not args.no_cache, on_result=live)
    if not args.json:
        out.line(f"checked on {found.base} ({applied.base[:12]}) with "
                 f"{len(applied.subjects)} prerequisite patch(es) applied below the series")
    return report, {"prerequisites": applied.to_json()}


class _InOrder:
    """Print patches in series order as soon as each and those before it are done."""

    waiting: dict[int, PatchResult]

    def __init__(self, total: int, out: Output) -> None:
        self.total, self.out, self.waiting, self.next = total, out, {}, 1

    def __call__(self, result: PatchResult) -> None:
        self.waiting[result.index] = result
        while self.next in self.waiting:
            render_patch(self.waiting.pop(self.next), self.total, self.out)
            self.next += 1


def render_patch(result: PatchResult, total: int, out: Output) -> None:
    """One patch's findings as they arrive (the `file:line: severity tool/rule` form); the
    subject, file names and tools' messages (which quote the patch) are untrusted."""
    cached = " (cached)" if result.cached else ""
    out.line(f"[{result.index}/{total}] {result.commit[:12]} {clean(result.subject)}: "
             f"{result.status}{cached}")
    for f in result.findings:
        where = _where(f)
        lint = f" [{f.lint}]" if f.lint and f.lint != f.rule else ""
        out.line(clean(f"    {where}: {f.severity} {f.tool}/{f.rule}{lint}: {f.message}"))
        if f.hint:
            out.line(clean(f"        hint: {f.hint}"))
        if f.fix is not None and "\n" not in f.fix:
            out.line(clean(f"        fix:  {f.fix}"))


def render_summary(report: CheckReport, out: Output) -> None:
    counts = report.summary()
    out.line(f"{len(report.results)} patches ({report.cached} from the cache), profile "
             f"{report.profile}: {counts['error']} errors, {counts['warning']} warnings, "
             f"{counts['info']} info")


def _where(finding: Finding) -> str:
    if finding.file is not None:
        return f"{finding.file}:{finding.line}" if finding.line else finding.file
    if finding.tool in ("commit", "checkpatch"):
        return f"commit message:{finding.line}" if finding.line else "commit message"
    return "patch"
