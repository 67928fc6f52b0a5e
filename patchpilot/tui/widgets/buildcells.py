"""The build check as the checks screen shows it: the Build column's cell of each patch (not
built, queued, the step running, then its result), a patch's build results as findings (so
Enter shows them in the diff), the one-line progress and the line that says which
configuration and toolchain built the series. No widgets here: text and findings only.

make's and kunit.py's lines are untrusted text: cut, control characters removed, and never
read as markup (Text, not a markup string).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

from rich.text import Text

from patchpilot.core.build.model import BuildReport, Event, PatchBuild
from patchpilot.core.checks.model import Finding
from patchpilot.core.text import safe_text

NOT_BUILT = "-"
RUNNING = {"config": "config…", "checkout": "checkout…", "build": "build…", "docs": "docs…",
           "tests": "tests…"}
STYLE = {"ok": "green", "warn": "yellow", "fails": "bold red", "dim": "dim"}
_LOCATION = re.compile(r"^(.*?):(\d+)$")


class Throttle:
    """Pass on every event that starts or ends a step, but the lines of a step (make's and
    kunit.py's: thousands) at most one per `every` seconds: the screen shows the last one.
    Called in the build's thread."""

    def __init__(self, post: Callable[[Event], object], every: float = 0.1,
                 clock: Callable[[], float] = time.monotonic):
        self.post, self.every, self.clock, self.last = post, every, clock, float("-inf")
        self.step: tuple[int, str, str] | None = None

    def __call__(self, event: Event) -> None:
        step = (event.index, event.step, event.state)
        now = self.clock()
        if step == self.step and now - self.last < self.every:
            return
        self.step, self.last = step, now
        self.post(event)


def result_label(build: PatchBuild) -> tuple[str, str]:
    """(label, style) of a finished patch: the worst of what it found, first."""
    if build.built is False:
        return "no build", STYLE["fails"]
    if build.built is None:
        return "not built", STYLE["dim"]
    if build.errors:
        return f"{len(build.errors)} err", STYLE["fails"]
    if build.test_failures:
        return "tests fail", STYLE["fails"]
    if build.failure:
        return "fails", STYLE["fails"]
    if build.warnings:
        return f"{len(build.warnings)} warn", STYLE["warn"]
    return "ok", STYLE["ok"]


def result_cell(build: PatchBuild) -> Text:
    label, style = result_label(build)
    return Text(("cached " if build.cached else "") + label, style=style)


def event_cell(event: Event) -> Text | None:
    """The cell an event gives its patch (None: the event changes no cell)."""
    if event.step == "done":  # "cancelled" names no patch: the report says which are left
        if event.result is not None:
            return result_cell(event.result)
        label = {"ok": "ok", "cached": "cached", "failed": "fails"}.get(event.state)
        return Text(label, style=STYLE["ok"] if label == "ok" else "") if label else None
    if event.state == "running":
        return Text(RUNNING.get(event.step, event.step + "…"), style="cyan")
    return None


def build_findings(build: PatchBuild) -> list[Finding]:
    """The patch's build results as findings: each error and new warning (tool "build", the
    lint as the rule), each failing test (tool "kunit", at the place KUnit printed), and a
    failure without a diagnostic (for the patch as a whole)."""
    found = [Finding("build", d.code or d.level, d.level, d.file or None, d.line or None,
                     d.message, hint=d.help) for d in build.errors + build.warnings]
    for test in build.test_failures:
        place = _LOCATION.match(test.location)
        file, line = (place.group(1), int(place.group(2))) if place else (None, None)
        found.append(Finding("kunit", test.status.lower(), "error", file, line,
                             f"{test.name}: {test.status}"))
    if build.failure:
        found.append(Finding("build", "failure", "error", None, None, build.failure))
    return found


def shown_line(line: str) -> str:
    """A line of the build as the progress shows it: rustc's JSON diagnostics (KRUSTFLAGS
    asks for them) as their level and message. Untrusted: cut, control characters removed."""
    line = line.strip()
    if line.startswith("{"):
        try:
            data = json.loads(line)
            line = f"{data['level']}: {data['message']}" if isinstance(data, dict) else ""
        except (ValueError, KeyError):
            line = ""
    return safe_text(line, 300)


def progress_text(event: Event, total: int, last_line: str) -> Text:
    """One line: the patch, its step and make's last line."""
    where = "the base" if event.index == 0 else f"patch {event.index}/{total}"
    step = RUNNING.get(event.step, event.step)
    text = Text(f"building {where}: {step} ", style="bold")
    text.append(shown_line(last_line), style="dim")
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def report_text(report: BuildReport) -> Text:
    """Two lines: the build's summary, then which configuration and toolchain made it."""
    bad = report.cancelled or report.stopped or not report.ok
    text = Text("build: ", style="bold")
    text.append(safe_text(report.summary(), 300), style="red" if bad else "green")
    text.append(f"\nconfig {safe_text(report.config, 300)} · toolchain "
                f"{safe_text(report.toolchain, 300)}", style="dim")
    text.no_wrap, text.overflow = True, "ellipsis"
    return text
