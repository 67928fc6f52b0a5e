"""`patchpilot build [--json] [--kbuild DIR] [--no-docs] [--no-tests] [-v]`: build every patch
of the series in order (make LLVM=1 CLIPPY=1, rustdoc, KUnit through kunit.py) and give each
error, new warning and failing test to the patch that introduced it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from patchpilot.cli.output import Output, Subparsers
from patchpilot.cli.untrusted import clean
from patchpilot.core.errors import ExitCode

if TYPE_CHECKING:
    from patchpilot.core.build.model import BuildReport, Event, PatchBuild


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("build", help="build every patch (clippy, rustdoc, KUnit tests)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--kbuild", metavar="DIR",
                        help="take the configuration of this build directory (copied; the "
                             "directory itself is not built in)")
    parser.add_argument("--config", metavar="WHAT",
                        help="auto (smallest for the series), tree (.config of the tree), or "
                             "a .config path (default: build.config)")
    parser.add_argument("--no-docs", action="store_true", help="skip make rustdoc")
    parser.add_argument("--no-tests", action="store_true", help="skip the KUnit tests")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show make's and kunit.py's own lines as they come")
    parser.add_argument("--branch", metavar="NAME", help="another branch than the current one")
    parser.add_argument("--base", metavar="REV",
                        help="where the series starts, for a branch b4 does not manage")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Output) -> ExitCode:
    from patchpilot.core.build.runner import build_series
    from patchpilot.core.build.settings import options_from, series_patches
    from patchpilot.core.config import Config
    from patchpilot.core.series.model import load_series, open_kernel_repo

    repo = open_kernel_repo(args.directory)
    config = Config(repo, flags={"build.config": args.config,
                                 "build.docs": False if args.no_docs else None,
                                 "build.tests": False if args.no_tests else None})
    base = args.base or config.text("series.base") or None
    series = load_series(repo, args.branch, base=base)
    options = options_from(config, args.kbuild)
    progress = None if args.json else _Progress(len(series.patches), out, args.verbose)
    try:
        report = build_series(repo, series.base, series_patches(series), options,
                              on_event=progress)
    except KeyboardInterrupt:
        out.line("build interrupted: make, clippy and QEMU were stopped; the patches that "
                 "finished are kept, and the next run goes on from there")
        return ExitCode.FAILURE
    if args.json:
        out.json(clean(report.to_json()))
    else:
        render(report, out)
    return ExitCode.OK if report.ok else ExitCode.FAILURE


class _Progress:
    """Each step as it starts and ends, each patch's results as soon as it is done."""

    def __init__(self, total: int, out: Output, verbose: bool) -> None:
        self.total, self.out, self.verbose = total, out, verbose
        self.shown: set[tuple[int, str, str]] = set()

    def __call__(self, event: Event) -> None:
        self._show(event)
        self.out.stdout.flush()  # a pipe (a script, a test) sees each line as it comes

    def _show(self, event: Event) -> None:
        if event.state == "running" and event.line:
            if self.verbose:
                self.out.line(clean(f"    | {event.line}"))
            return
        if event.step == "done" and event.result is not None and event.index > 0:
            render_patch(event.result, self.total, self.out)
            return
        key = (event.index, event.step, event.state)
        if key in self.shown or event.step in ("done", "config"):
            return
        self.shown.add(key)
        where = "base" if event.index == 0 else f"[{event.index}/{self.total}]"
        self.out.line(f"{where} {event.step}: {event.state}")


def render(report: BuildReport, out: Output) -> None:
    """After the patches (each printed as it finished): what was used, notes, one line."""
    out.line(clean(f"configuration: {report.config}"))
    out.line(clean(f"toolchain: {report.toolchain}"))
    for note in report.notes:
        out.line(clean(f"note: {note}"))
    out.line(clean(report.summary()))


def render_patch(patch: PatchBuild, total: int, out: Output) -> None:
    """One patch: its verdict, then each error, new warning and failing test, with where."""
    cached = " (cached)" if patch.cached else ""
    verdict = ("does not build" if patch.built is False else "not built"
               if patch.built is None else "ok" if patch.clean else "problems")
    out.line(clean(f"[{patch.index}/{total}] {patch.commit[:12]} {patch.subject}: "
                   f"{verdict}{cached}"))
    for d in patch.errors + patch.warnings:
        where = f"{d.file}:{d.line}" if d.line else d.file
        out.line(clean(f"    {where}: {d.level} {d.code}: {d.message}"))
        if d.help:
            out.line(clean(f"        help: {d.help}"))
    for t in patch.test_failures:
        where = f" at {t.location}" if t.location else ""
        out.line(clean(f"    test {t.name}: {t.status}{where}"))
    if patch.failure:
        out.line(clean(f"    {patch.failure}"))
