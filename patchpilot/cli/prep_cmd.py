"""`patchpilot new NAME [--fork-point REV]` and `patchpilot enroll BASE` (through b4 prep)."""

from __future__ import annotations

import argparse

from patchpilot.cli import series_cmd
from patchpilot.cli.output import Output, Subparsers
from patchpilot.core.errors import ExitCode
from patchpilot.core.series import prep
from patchpilot.core.series.model import Series, open_kernel_repo


def register(sub: Subparsers) -> None:
    new = sub.add_parser("new", help="start a new b4 series on branch b4/NAME (b4 prep -n)")
    new.add_argument("name", metavar="NAME")
    new.add_argument("--fork-point", metavar="REV", help="fork from REV instead of HEAD")
    new.add_argument("--json", action="store_true", help="print the new series as JSON")
    new.set_defaults(handler=run_new)
    enroll = sub.add_parser("enroll", help="let b4 manage the current branch (b4 prep -e)")
    enroll.add_argument("base", metavar="BASE", help="the commit the series is built on")
    enroll.add_argument("--json", action="store_true", help="print the series as JSON")
    enroll.set_defaults(handler=run_enroll)


def _show(series: Series, args: argparse.Namespace, out: Output) -> ExitCode:
    if args.json:
        out.json(series.to_json())
    else:
        series_cmd.render(series, out)
    return ExitCode.OK


def run_new(args: argparse.Namespace, out: Output) -> ExitCode:
    repo = open_kernel_repo(args.directory)
    return _show(prep.new_series(repo, args.name, args.fork_point), args, out)


def run_enroll(args: argparse.Namespace, out: Output) -> ExitCode:
    repo = open_kernel_repo(args.directory)
    return _show(prep.enroll(repo, args.base), args, out)
