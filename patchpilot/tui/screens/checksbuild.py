"""The build check on the checks screen (core.build): the Build column of the patch table, a
one-line progress while a build runs, and the build's summary with its configuration and
toolchain after it.

Nothing builds by itself (a build takes minutes): on mount a worker only looks the series up in
the build cache; `b` starts a build in a thread worker, whose events come back as messages
(make's lines at most ten a second), each patch's results as soon as it is done. ctrl+c, or
leaving the screen, cancels it: the runner kills make, clippy and QEMU, and the patches that
finished keep their results. No screen waits on a build.
"""

from __future__ import annotations

import threading

from rich.text import Text
from textual import work
from textual.widgets import Static

from patchpilot.core.build.model import BuildReport, PatchBuild
from patchpilot.core.checks.model import Finding
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.series.model import Series, load_series
from patchpilot.tui.messages import BuildFailed, BuildFinished, BuildProgress
from patchpilot.tui.screens.base import PilotScreen
from patchpilot.tui.widgets import buildcells
from patchpilot.tui.widgets.fittable import FitTable


class BuildChecks(PilotScreen):
    """What the checks screen (screens.checks) adds for the build; it shows the series in
    `series` and its patches in the table `#checks-patches`."""

    branch: str
    series: Series | None

    def __init__(self) -> None:
        super().__init__()
        self.builds: dict[int, PatchBuild] = {}  # finished patches (by index)
        self.build_cells: dict[int, Text] = {}  # the running build's cells
        self.build_report: BuildReport | None = None
        self.building = False
        self.build_run = 0  # which build (or cache look-up) the messages belong to
        self.build_cancel = threading.Event()
        self._last_line = ""

    # -- what the checks screen shows ----------------------------------------------------

    def build_cell(self, index: int, commit: str) -> Text:
        """The Build cell of patch `index` (whose commit is `commit` now)."""
        if index in self.build_cells:
            return self.build_cells[index]
        done = self.builds.get(index)
        if done is not None and done.commit == commit:
            return buildcells.result_cell(done)
        return Text(buildcells.NOT_BUILT, style="dim")

    def build_findings(self, index: int | None) -> list[Finding]:
        done = self.builds.get(index or 0)
        if done is None or self.series is None or index is None or \
                self.series.patches[index - 1].commit != done.commit:
            return []
        return buildcells.build_findings(done)

    def show_selected(self) -> None:
        """The selected patch's findings again (the checks screen's)."""
        raise NotImplementedError

    def _set_build_cell(self, index: int) -> None:
        if self.series is None or not 0 < index <= len(self.series.patches):
            return
        commit = self.series.patches[index - 1].commit
        self.query_one("#checks-patches", FitTable).set_cell(
            str(index), "build", self.build_cell(index, commit))

    def _build_line(self, text: Text | str) -> None:
        line = self.query_one("#checks-build", Static)
        line.update(text)
        line.display = bool(text)

    # -- the cache, on mount ---------------------------------------------------------------

    def look_up_build(self) -> None:
        if not self.building:
            self.build_run += 1
            self._look_up(self.build_run)

    @work(thread=True, exit_on_error=False, exclusive=True, group="checks-build")
    def _look_up(self, run: int) -> None:
        from patchpilot.core.build.runner import cached_report
        from patchpilot.core.build.settings import options_from, series_patches

        try:
            series = load_series(self.app.repo, self.branch, base=self.app.default_base,
                                 light=True)
            report = cached_report(self.app.repo, series.base, series_patches(series),
                                   options_from(self.app.config))
        except PatchpilotError:
            return  # b builds, and says what is wrong
        if report is not None:
            self.post_message(BuildFinished(run, report))

    # -- b: a build --------------------------------------------------------------------------

    def action_build(self) -> None:
        """b: build every patch (make LLVM=1 CLIPPY=1, rustdoc, KUnit) in a private checkout."""
        if self.building or self.series is None:
            return
        series = self.series
        self.build_run += 1
        self.building, self.build_cancel = True, threading.Event()
        self.builds, self.build_report, self._last_line = {}, None, ""
        self.build_cells = {p.index: Text("queued", style="dim") for p in series.patches}
        for patch in series.patches:
            self._set_build_cell(patch.index)
        self._build_line(Text("building: starting", style="bold"))
        self.refresh_bindings()
        self.show_selected()
        self._build(self.build_run, self.build_cancel, series)

    @work(thread=True, exit_on_error=False, exclusive=True, group="checks-build")
    def _build(self, run: int, cancel: threading.Event, series: Series) -> None:
        from patchpilot.core.build.runner import build_series
        from patchpilot.core.build.settings import options_from, series_patches

        post = buildcells.Throttle(lambda event: self.post_message(BuildProgress(run, event)))
        try:
            report = build_series(self.app.repo, series.base, series_patches(series),
                                  options_from(self.app.config), on_event=post, cancel=cancel)
        except PatchpilotError as exc:
            self.post_message(BuildFailed(run, exc))
            return
        self.post_message(BuildFinished(run, report))

    def cancel_build(self) -> None:
        """ctrl+c, or leaving the screen: make, clippy and QEMU are killed."""
        if self.building and not self.build_cancel.is_set():
            self.build_cancel.set()
            self._build_line(Text("building: cancelling…", style="bold"))

    def on_unmount(self) -> None:
        self.build_cancel.set()

    def on_build_progress(self, message: BuildProgress) -> None:
        if message.run != self.build_run or self.series is None:
            return
        event = message.event
        if event.step == "done" and event.result is not None and event.index > 0:
            self.builds[event.index] = event.result
            self.build_cells.pop(event.index, None)
            self._set_build_cell(event.index)
        else:
            cell = buildcells.event_cell(event)
            if cell is not None and event.index > 0 and cell != self.build_cells.get(
                    event.index):
                self.build_cells[event.index] = cell
                self._set_build_cell(event.index)
        if event.step == "done":
            if event.index == self.selected_index:
                self.show_selected()
            return
        if event.state == "running" and not self.build_cancel.is_set():
            if not event.line or buildcells.shown_line(event.line):
                self._last_line = event.line  # a step's start clears it
            self._build_line(buildcells.progress_text(event, len(self.series.patches),
                                                      self._last_line))

    def on_build_finished(self, message: BuildFinished) -> None:
        if message.run != self.build_run:
            return
        report = message.report
        self.building, self.build_report = False, report
        self.builds = {p.index: p for p in report.patches}
        left = "cancelled" if report.cancelled else "stopped" if report.stopped else None
        self.build_cells = {i: Text(left, style="yellow") for i in self.build_cells
                            if left and i not in self.builds}
        for index in range(1, len(self.series.patches) + 1 if self.series else 1):
            self._set_build_cell(index)
        self._build_line(buildcells.report_text(report))
        self.refresh_bindings()
        self.show_selected()

    def on_build_failed(self, message: BuildFailed) -> None:
        if message.run != self.build_run:
            return
        self.building, self.build_cells = False, {}
        for index in range(1, len(self.series.patches) + 1 if self.series else 1):
            self._set_build_cell(index)
        self._build_line(Text("build: " + self.say(message.error), style="red"))
        self.refresh_bindings()

    @property
    def selected_index(self) -> int | None:
        raise NotImplementedError
