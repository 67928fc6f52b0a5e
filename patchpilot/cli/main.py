"""The command line: `patchpilot [-C DIR] <command>`; no command opens the TUI.

main(argv) returns an ExitCode and never raises for user errors: a PatchpilotError is printed as
one line on stderr. Subcommands live in one small module each and register themselves here.
Textual is imported only when the TUI is opened.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import TextIO

from patchpilot import __version__
from patchpilot.cli import (check_cmd, config_cmd, doctor_cmd, prep_cmd, recipients_cmd,
                            replies_cmd, series_cmd)
from patchpilot.cli import cover_cmd, send_cmd
from patchpilot.cli.output import Output
from patchpilot.core.errors import ExitCode, PatchpilotError

COMMANDS = (series_cmd, prep_cmd, recipients_cmd, check_cmd, doctor_cmd, config_cmd, cover_cmd,
            send_cmd, replies_cmd)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise PatchpilotError(message, hint=f"see {self.prog} --help")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="patchpilot",
                     description="Check, address, send and follow Rust patch series for "
                                 "the Linux kernel. With no command, opens the TUI.")
    parser.add_argument("-C", dest="directory", metavar="DIR", default=".",
                        help="run as if started in DIR (a kernel git tree)")
    parser.add_argument("--version", action="version", version=f"patchpilot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> ExitCode:
    """Run one command; return its exit code."""
    out = Output(stdout or sys.stdout, stderr or sys.stderr)
    try:
        with contextlib.redirect_stdout(out.stdout):  # --help and --version print here
            args = build_parser().parse_args(argv)
        if args.command is None:
            return _open_tui(args)
        return args.handler(args, out)
    except PatchpilotError as exc:
        out.error(exc)
        return exc.exit_code
    except SystemExit as exc:  # --help / --version
        return ExitCode(exc.code or 0) if isinstance(exc.code, int) else ExitCode.USAGE
    except KeyboardInterrupt:
        out.warn("interrupted")
        return ExitCode.FAILURE


def _open_tui(args) -> ExitCode:
    from patchpilot.core.series import open_kernel_repo

    open_kernel_repo(args.directory)  # fail here, with one line, before the screen opens
    from patchpilot.tui.app import PatchpilotApp

    PatchpilotApp(os.path.abspath(args.directory)).run()
    return ExitCode.OK


def run() -> None:
    """Console-script entry point."""
    sys.exit(int(main()))
