"""`patchpilot recipients [RANGE] [--json] [--add-to/--add-cc/--remove ADDR] [--write]`."""

from __future__ import annotations

import argparse

from patchpilot.cli.output import Output, Subparsers
from patchpilot.cli.series_cmd import load_for_range
from patchpilot.core.config import Config
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.recipients.compute import SeriesRecipients, compute, preload
from patchpilot.core.series.model import open_kernel_repo
from patchpilot.core.text import safe_text


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("recipients", help="To/Cc of the series and of each patch, with "
                                               "the reason for every address")
    parser.add_argument("range", nargs="?", metavar="RANGE",
                        help="BASE..BRANCH (default: the current series)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--branch", metavar="NAME",
                        help="the series on NAME (default: current; --write needs it checked "
                             "out)")
    parser.add_argument("--add-to", action="append", default=[], metavar="ADDR",
                        help="always send this series to ADDR (remembered across rerolls)")
    parser.add_argument("--add-cc", action="append", default=[], metavar="ADDR",
                        help="always copy ADDR")
    parser.add_argument("--add-bcc", action="append", default=[], metavar="ADDR",
                        help="also deliver every message of a real send to ADDR, as an "
                             "envelope recipient only: never in a header (remembered)")
    parser.add_argument("--remove", action="append", default=[], metavar="ADDR",
                        help="never send this series to ADDR (To, Cc or Bcc)")
    parser.add_argument("--restore", action="append", default=[], metavar="ADDR",
                        help="undo an earlier --remove of ADDR")
    parser.add_argument("--reset", action="store_true", help="forget your additions/removals")
    parser.add_argument("--get-maintainer", action="store_true",
                        help="use scripts/get_maintainer.pl itself instead of the engine")
    parser.add_argument("--write", action="store_true",
                        help="store them as To:/Cc: trailers in the b4 cover (as b4 prep "
                             "--auto-to-cc does), after backing up the branch")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Output) -> ExitCode:
    repo = open_kernel_repo(args.directory)
    maint = preload(repo)
    if args.range and args.branch:
        raise PatchpilotError("give RANGE or --branch, not both",
                              hint="RANGE is BASE..BRANCH")
    series = load_for_range(repo, args.range, args.branch, light=True)
    if args.add_to or args.add_cc or args.remove or args.reset or args.restore or \
            args.add_bcc:
        from patchpilot.core.recipients.choices import update_choices

        choices = update_choices(repo, series, args.add_to, args.add_cc, args.remove,
                                 args.reset, args.restore, args.add_bcc)
        if choices.notice:
            out.warn(choices.notice)
    flags = {"recipients.engine": "get_maintainer"} if args.get_maintainer else {}
    result = compute(repo, series, Config(repo, flags=flags), maint=maint)
    for problem in result.problems:
        out.warn(f"MAINTAINERS:{problem.lineno}: {problem.message}")
    for note in result.notes:
        out.warn(note)
    if args.write:  # imported here: it brings b4's runner, which listing does not need
        from patchpilot.core.recipients.write import write_cover

        backup = write_cover(repo, series, result)
        out.warn(f"wrote To:/Cc: trailers into the cover of {series.branch} "
                 f"(previous branch kept as {backup})")
    if args.json:
        out.json(result.to_json())
    else:
        render(result, out)
    return ExitCode.OK


def render(result: SeriesRecipients, out: Output) -> None:
    for header, addresses in (("To", result.to), ("Cc", result.cc)):
        for address in addresses:
            why = result.reasons.get(address, [])
            first = why[0] if why else None
            reason = f"{first.entry or ''} {first.match} ({first.role}, {first.source})" \
                if first else ""
            more = f" +{len(why) - 1} more" if len(why) > 1 else ""
            out.line(f"{header}: {safe_text(address, 300)}    # {reason}{more}")
    for address in result.bcc:
        out.line(f"Bcc: {safe_text(address, 300)}    # added by you: delivered, never in a "
                 "header")
    for removed in result.removed:
        out.line(f"removed by you: {removed}")
    for patch in result.patches:
        out.line(f"[{patch.index}] {patch.commit[:12]}  to {len(patch.to)}, cc {len(patch.cc)}")
