"""The command line: `patchpilot [-C DIR] <command>`; no command opens the TUI.

main(argv) returns an ExitCode and never raises for user errors: a PatchpilotError is printed as
one line on stderr. Subcommands live in one small module each and register themselves here.
Textual is imported only when the TUI is opened.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import NoReturn, TextIO

from patchpilot import __version__
from patchpilot.cli.output import Output
from patchpilot.core.errors import ExitCode, PatchpilotError

# Subcommand modules, and the commands each registers. Only the module of the command being
# run is imported (so `series` does not pay for requests, tree-sitter...); --help and unknown
# words import them all.
COMMANDS = {
    "series_cmd": ("series",), "prep_cmd": ("new", "enroll"), "recipients_cmd": ("recipients",),
    "check_cmd": ("check",), "build_cmd": ("build",), "doctor_cmd": ("doctor",),
    "config_cmd": ("config",),
    "cover_cmd": ("cover", "prefixes"), "send_cmd": ("send", "export"),
    "replies_cmd": ("replies",), "reply_cmd": ("reply",),
    "reroll_cmd": ("reroll", "trailers", "undo"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise PatchpilotError(message, hint=f"see {self.prog} --help")


def _wanted(argv: list[str] | None) -> list[str]:
    """The modules to import for `argv`: the one holding its command, else all of them."""
    words = list(argv if argv is not None else sys.argv[1:])
    while words[:1] == ["-C"]:
        words = words[2:]
    if not words:
        return []  # the TUI: no command module (its start is the first paint)
    command = words[0]
    for module, commands in COMMANDS.items():
        if command in commands:
            return [module]
    return list(COMMANDS)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog="patchpilot",
                     description="Check, address, send and follow Rust patch series for "
                                 "the Linux kernel. With no command, opens the TUI.")
    parser.add_argument("-C", dest="directory", metavar="DIR", default=".",
                        help="run as if started in DIR (a kernel git tree)")
    parser.add_argument("--version", action="version", version=f"patchpilot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _wanted(argv) if argv is not None else COMMANDS:
        importlib.import_module(f"patchpilot.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> ExitCode:
    """Run one command; return its exit code."""
    out = Output(stdout or sys.stdout, stderr or sys.stderr)
    try:
        with contextlib.redirect_stdout(out.stdout):  # --help and --version print here
            args = build_parser(argv if argv is not None else sys.argv[1:]).parse_args(argv)
        if args.command is None:
            return _open_tui(args)
        with _signals_interrupt():
            code: ExitCode = args.handler(args, out)
        return code
    except PatchpilotError as exc:
        out.error(exc)
        return exc.exit_code
    except SystemExit as exc:  # --help / --version
        return ExitCode(exc.code or 0) if isinstance(exc.code, int) else ExitCode.USAGE
    except KeyboardInterrupt:  # Ctrl-C (the send also stops on SIGHUP and SIGTERM)
        out.error(PatchpilotError("interrupted"))
        return ExitCode.FAILURE


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """While a command runs, SIGHUP (the terminal closed) and SIGTERM stop it as Ctrl-C does:
    b4 runs in a process group of its own, and only an exception makes patchpilot stop it
    (and its relay) and put a half-done rewrite back. Main thread only (as signals are)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    saved = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGHUP, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _open_tui(args: argparse.Namespace) -> ExitCode:
    from patchpilot.core.series.model import open_kernel_repo

    open_kernel_repo(args.directory)  # fail here, with one line, before the screen opens
    from patchpilot.tui.app import PatchpilotApp

    PatchpilotApp(os.path.abspath(args.directory)).run()
    return ExitCode.OK


def run() -> None:
    """Console-script entry point."""
    try:
        code = int(main())
        sys.stdout.flush()
    except BrokenPipeError:  # `patchpilot series | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)
