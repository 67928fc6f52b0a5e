"""The man page, made from the argparse parser (one source: what `--help` says is what the
man page says). `python -m patchpilot.cli.manpage > man/patchpilot.1` writes it;
tests/cli/test_manpage.py fails when the committed page and the parser differ.

Plain roff (man(7)), no date (the page must not change with the day it is made).
"""

from __future__ import annotations

import argparse
import sys

from patchpilot import __version__
from patchpilot.cli.main import build_parser

SEE_ALSO = "b4(5), git-send-email(1), get_maintainer.pl, checkpatch.pl"
PAGES = ("send", "review", "reroll", "checks", "recipients", "tui", "configuration")


def roff(text: str) -> str:
    """Text as roff reads it literally: backslashes and dashes escaped, no line starting
    with a control character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + ln if ln.startswith((".", "'")) else ln
                     for ln in text.splitlines())


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str,
                                                                 argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                found.append((name, helps.get(name, ""), sub))
    return found


def _options(parser: argparse.ArgumentParser) -> list[str]:
    lines: list[str] = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if action.option_strings:
            named = action.metavar or action.dest.upper()
            metavar = "" if action.nargs == 0 else \
                " " + (" ".join(named) if isinstance(named, tuple) else named)
            head = ", ".join(f"\\fB{roff(o)}\\fR" for o in action.option_strings)
            head += f" \\fI{roff(metavar.strip())}\\fR" if metavar else ""
        else:
            named = action.metavar or action.dest
            head = f"\\fI{roff(' '.join(named) if isinstance(named, tuple) else named)}\\fR"
        lines += [".TP", head, roff(action.help or "") if action.help else ""]
    return lines


def _synopsis(parser: argparse.ArgumentParser) -> str:
    usage = parser.format_usage().removeprefix("usage: ").strip()
    return roff(" ".join(usage.split()))


def manpage(parser: argparse.ArgumentParser | None = None) -> str:
    """The whole man page of `parser` (default: patchpilot's, every command)."""
    parser = parser or build_parser()
    out = [f'.TH PATCHPILOT 1 "" "patchpilot {__version__}" "User Commands"',
           ".SH NAME", "patchpilot \\- check, address, send and follow Rust patch series for "
           "the Linux kernel", ".SH SYNOPSIS", f"\\fBpatchpilot\\fR {_synopsis(parser)[11:]}",
           ".SH DESCRIPTION", roff(parser.description or ""),
           ".PP", "A series patchpilot prepares stays an ordinary b4 series. Run "
           "\\fBpatchpilot COMMAND \\-\\-help\\fR for one command's options.",
           ".SH OPTIONS", *_options(parser), ".SH COMMANDS"]
    for name, summary, sub in _subcommands(parser):
        out += [".SS " + roff(name), roff(summary), ".PP", f"\\fB{_synopsis(sub)}\\fR"]
        out += _options(sub)
    out += [".SH FILES", ".TP", "\\fI.git/patchpilot/\\fR",
            "drafts, review state, send journal and backups of the repository",
            ".TP", "\\fI$XDG_CONFIG_HOME/patchpilot/config.toml\\fR",
            "settings (also \\fBgit config patchpilot.SECTION.KEY\\fR)",
            ".SH SEE ALSO", roff(SEE_ALSO) + "; the pages under \\fIdocs/\\fR: "
            + ", ".join(f"{p}.md" for p in PAGES)]
    return "\n".join(line for line in out if line != "") + "\n"


if __name__ == "__main__":  # pragma: no cover - writes man/patchpilot.1
    sys.stdout.write(manpage())
