"""`patchpilot config`: every setting, its value as written and where it came from; a value
that does not parse, or a setting patchpilot does not know, is named (exit 1)."""

from __future__ import annotations

import argparse

from patchpilot.cli.output import Output, Subparsers
from patchpilot.core.config import KINDS, Config
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
    config = Config(repo)
    problems = config.problems()
    settings = []
    for key in KINDS:
        try:
            settings.append(config.get(key))
        except PatchpilotError:
            continue  # named in `problems`
    if args.json:
        out.json({s.key: {"value": s.value, "shown": s.shown, "source": s.source}
                  for s in settings} | ({"problems": problems} if problems else {}))
    else:
        for s in settings:
            out.line(f"{s.key} = {s.shown}  ({s.source})")
        for problem in problems:
            out.warn(problem)
    return ExitCode.FAILURE if problems else ExitCode.OK
