"""The man page is the parser's: man/patchpilot.1 is what `python -m patchpilot.cli.manpage`
makes from build_parser() now (regenerate it when a command or an option changes), it names
every command and every option, and man(1) reads it without a warning."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest

from patchpilot.cli.main import build_parser
from patchpilot.cli.manpage import manpage, roff

PAGE = Path(__file__).resolve().parents[2] / "man" / "patchpilot.1"


def test_the_committed_page_is_the_parsers():
    assert PAGE.read_text() == manpage(), \
        "man/patchpilot.1 is stale: python -m patchpilot.cli.manpage > man/patchpilot.1"


def test_every_command_and_option_is_in_the_page():
    page = manpage()
    parser = build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert len(subs.choices) >= 15
    for name, sub in subs.choices.items():
        assert f".SS {roff(name)}\n" in page
        for action in sub._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"\\fB{roff(option)}\\fR" in page, (name, option)


def test_man_reads_it_without_warnings():
    if shutil.which("groff") is None:
        pytest.fail("groff is needed to read man pages (apt-get install groff-base)")
    proc = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(PAGE)],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
