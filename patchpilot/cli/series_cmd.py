"""`patchpilot series [--json] [--branch NAME] [--base REV]`: the series and its patches."""

from __future__ import annotations

import argparse

from patchpilot.cli.output import Output, Subparsers
from patchpilot.cli.untrusted import clean
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.series.model import Series, load_series, open_kernel_repo
from patchpilot.core.text import safe_text


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("series", help="show the current series: base, revision, patches")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--branch", metavar="NAME", help="another branch than the current one")
    parser.add_argument("--base", metavar="REV",
                        help="where the series starts, for a branch b4 does not manage")
    parser.set_defaults(handler=run)


def load_for_range(repo: GitRepo, range_: str | None, branch: str | None = None,
                   base: str | None = None, light: bool = False) -> Series:
    """The series a command works on: RANGE (BASE..BRANCH), else BRANCH/--base/settings."""
    from patchpilot.core.config import Config

    if range_:
        if ".." not in range_:
            raise PatchpilotError(f"RANGE {range_!r} is not BASE..BRANCH",
                                  hint="e.g. master..b4/my-series, or master.. for HEAD")
        base, _, branch = range_.partition("..")
        branch = branch or None
    base = base or Config(repo).text("series.base") or None
    return load_series(repo, branch, base=base, light=light)


def run(args: argparse.Namespace, out: Output) -> ExitCode:
    repo = open_kernel_repo(args.directory)
    series = load_for_range(repo, None, args.branch, args.base)
    for warning in series.warnings:
        out.warn(clean(warning))
    if args.json:
        out.json(clean(series.to_json()))
    else:
        render(series, out)
    return ExitCode.OK


def render(series: Series, out: Output) -> None:
    """The series as text; commit text goes through `clean` (it is untrusted)."""
    managed = f"b4-managed ({series.strategy} cover)" if series.b4_managed else "not b4-managed"
    out.line(f"{series.branch}  v{series.revision}  {managed}")
    out.line(f"  base       {series.base}")
    if series.change_id:
        out.line(f"  change-id  {series.change_id}")
    if series.cover_subject is not None:
        out.line(f"  cover      {clean(series.cover_subject)}")
    for prereq in series.prerequisites:
        out.line(f"  depends    {safe_text(prereq.line, 300)}")
    for sent in series.sent:
        tag = f" ({sent.tag})" if sent.tag else ""
        out.line(clean(f"  sent v{sent.revision}    {' '.join(sent.msgids) or '-'}{tag}"))
    out.line("")
    total = len(series.patches)
    for patch in series.patches:
        stats = f"+{patch.added} -{patch.removed}"
        out.line(f"  [{patch.index}/{total}] {patch.commit[:12]} {clean(patch.subject)}  {stats}")
        for path in patch.files:
            out.line(f"          {clean(path)}")
