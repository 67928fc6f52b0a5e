"""`patchpilot cover` (show, --edit in $EDITOR, --set-file FILE) and `patchpilot prefixes`.

Both write through b4 (`b4 prep --edit-cover`, `b4 prep --set-prefixes`) and then show the
subject line the series will be mailed with.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from patchpilot.cli.output import Output, Subparsers
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.series import cover
from patchpilot.core.series.model import load_series, open_kernel_repo
from patchpilot.core.text import safe_text


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("cover", help="show or edit the cover letter (through b4)")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--edit", action="store_true", help="edit it in $EDITOR")
    how.add_argument("--set-file", metavar="FILE", help="replace it with FILE's text")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--branch", metavar="NAME",
                        help="the series on NAME (default: current; edits need it checked out)")
    parser.set_defaults(handler=run_cover)
    pre = sub.add_parser("prefixes", help="RFC, target tree, RESEND: b4 prep --set-prefixes")
    pre.add_argument("--rfc", action=argparse.BooleanOptionalAction, default=None,
                     help="mark as RFC")
    pre.add_argument("--tree", metavar="NAME", help="target tree, e.g. rust-next or net-next")
    pre.add_argument("--resend", action=argparse.BooleanOptionalAction, default=None,
                     help="mark as RESEND")
    pre.add_argument("--set", nargs="*", metavar="PREFIX", help="set exactly these prefixes")
    pre.add_argument("--json", action="store_true", help="machine-readable output")
    pre.add_argument("--branch", metavar="NAME",
                     help="the series on NAME (default: current; changes need it checked out)")
    pre.set_defaults(handler=run_prefixes)


def run_cover(args: argparse.Namespace, out: Output) -> ExitCode:
    repo = open_kernel_repo(args.directory)
    series = load_series(repo, args.branch, light=True)
    if args.set_file:
        path = Path(args.set_file)
        if not path.is_file():
            raise PatchpilotError(f"no such file: {path}", hint="give the cover text's file")
        cover.set_cover(repo, series, path.read_text(encoding="utf-8"))
    elif args.edit:
        cover.set_cover(repo, series, _edit(cover.raw_cover(repo, series)))
    if args.set_file or args.edit:
        series = load_series(repo, args.branch, light=True)
    shown = cover.view(series, [p.line for p in series.prerequisites])
    if args.json:
        out.json(shown.to_json())
        return ExitCode.OK
    _render(shown, out)
    return ExitCode.FAILURE if shown.editme else ExitCode.OK


def _edit(text: str) -> str:
    editor = os.environ.get("GIT_EDITOR") or os.environ.get("VISUAL") or \
        os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="patchpilot-") as tmp:
        path = Path(tmp) / "COVER_EDITMSG"
        path.write_text(text, encoding="utf-8")
        if subprocess.run([*shlex.split(editor), str(path)]).returncode != 0:
            raise PatchpilotError(f"the editor ({editor}) failed", hint="cover unchanged")
        return path.read_text(encoding="utf-8")


def _render(shown: cover.CoverView, out: Output) -> None:
    out.line(safe_text(shown.subject_line, 500))
    out.line(f"base-commit: {shown.base}")
    out.line(f"change-id: {shown.change_id}")
    for prereq in shown.prerequisites:
        out.line(f"prerequisite: {safe_text(prereq, 300)}")
    if shown.below_dashes:
        out.line("(one patch: b4 mails this text below the patch's '---' line)")
    out.line("")
    out.line(safe_text(shown.body))
    for number, text in shown.editme:
        out.warn(f"cover line {number}: EDITME left: {safe_text(text, 200)}")


def run_prefixes(args: argparse.Namespace, out: Output) -> ExitCode:
    repo = open_kernel_repo(args.directory)
    series = load_series(repo, args.branch, light=True)
    if args.set is not None:
        wanted = list(args.set)
    else:
        wanted = cover.compose_prefixes(series.prefixes, args.rfc, args.tree, args.resend)
    if wanted != series.prefixes:
        cover.set_prefixes(repo, series, wanted)
        series = load_series(repo, args.branch, light=True)
    line = cover.subject_line(series)
    if args.json:
        out.json({"prefixes": series.prefixes, "subject_line": line})
    else:
        out.line(f"prefixes: {' '.join(series.prefixes) or '(none)'}")
        out.line(safe_text(line, 500))
    return ExitCode.OK
