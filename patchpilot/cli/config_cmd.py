"""`patchpilot config`: every setting, its value and where the value came from."""

from __future__ import annotations

import argparse

from patchpilot.cli.output import Output, Subparsers
from patchpilot.core.config import Config
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.git.repo import GitRepo


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("config", help="show the effective settings and their sources")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Output) -> ExitCode:
    repo: GitRepo | None
    try:
        repo = GitRepo(args.directory)
    except PatchpilotError:
        repo = None  # settings outside a repository have no git config layer
    settings = Config(repo).all()
    if args.json:
        out.json({s.key: {"value": s.value, "source": s.source} for s in settings})
    else:
        for s in settings:
            out.line(f"{s.key} = {s.value!r}  ({s.source})")
    return ExitCode.OK
