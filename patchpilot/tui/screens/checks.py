"""The checks screen: each patch with its check status as results stream in, the findings of
the selected patch, and its diff scrolled to the selected finding's line."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from patchpilot.core.checks import fixup
from patchpilot.core.checks.model import Finding
from patchpilot.core.checks.runner import CheckReport, PatchResult, check_series
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.series.model import Series, load_series
from patchpilot.core.series.patches import Patch
from patchpilot.core.text import safe_text
from patchpilot.tui.keys import SCREEN_KEYS, bind
from patchpilot.tui.messages import ChecksDone, ChecksStarted, LoadFailed, PatchChecked
from patchpilot.tui.screens import register
from patchpilot.tui.screens.checksbuild import BuildChecks
from patchpilot.tui.widgets.dialogs import Confirm
from patchpilot.tui.widgets.diffview import render_file
from patchpilot.tui.widgets.findings import describe_finding
from patchpilot.tui.widgets.fittable import Col, FitTable
from patchpilot.tui.widgets.footer import KeyFooter
from patchpilot.tui.widgets.wrapped import MarkedRows

PATCH_COLUMNS = [Col("n", "#", 1), Col("status", "Status", 2, cap=16),
                 Col("build", "Build", 3, cap=18),
                 Col("subject", "Subject", 0, cap=200, flex=True, least=12)]
FINDING_COLUMNS = [Col("sev", "Sev", 1), Col("rule", "Tool/rule", 3, cap=24, yields=True),
                   Col("where", "Where", 2, cap=40),
                   Col("message", "Message", 0, cap=300, flex=True, least=12)]
STATUS_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan", "clean": "green",
                "pending": "dim"}


def diff_rows(patch: Patch, target: tuple[str, int] | None) -> tuple[list[Text], int | None]:
    """The patch's diff as rows (as DiffView draws them) and the row of `target` (file, new
    line), highlighted; None when the line is not in the diff."""
    rows: list[Text] = []
    found = None
    for pfile, change in zip(patch.diff, patch.changes):
        rendered = render_file(pfile, change.path)
        rows.append(rendered[0])
        at = 1
        for hunk in ([] if pfile.is_binary_file else pfile):
            rows.append(rendered[at])
            at += 1
            for line in hunk:
                if target == (change.path, line.target_line_no) and line.line_type != "-":
                    found = len(rows)
                    rendered[at].stylize("reverse")
                rows.append(rendered[at])
                at += 1
        rows.extend(rendered[at:] + [Text("")])
    return rows, found


@dataclass
class FixApplied(Message):
    note: str


def finding_place(f: Finding) -> str:
    if f.file is None:
        return "message" if f.tool in ("commit", "checkpatch") else "patch"
    return f"{f.file}:{f.line}" if f.line else f.file


@register("checks", "Checks", "checkpatch, rustfmt, Rust, commit-message and clippy findings "
          "per patch")
class ChecksScreen(BuildChecks):
    """Check results of one series (and its build: checksbuild); Enter shows the selected
    finding in the diff."""

    branch: str

    BINDINGS = [
        bind("ctrl+c", "cancel", "Stop", "checks.cancel", "run", 10),
        bind("F", "fix", "Apply rustfmt fix", "checks.fix", "rewrite", 11),
        bind("b", "build", "Build", "checks.build", "run", 12),
        *SCREEN_KEYS,
    ]
    PRIMARY = "#checks-patches"

    def __init__(self, branch: str):
        super().__init__()
        self.branch = branch
        self.series: Series | None = None
        self.results: dict[int, PatchResult] = {}
        self.report: CheckReport | None = None
        self.running = False
        self.cancel = threading.Event()  # set by x: the running tools are killed
        self.diff_target: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.shown_branch}: checking", id="checks-info")
        yield Static(id="checks-build")
        with Horizontal(id="checks-body"):
            with Vertical(id="checks-left"):
                yield FitTable(PATCH_COLUMNS, id="checks-patches")
                yield FitTable(FINDING_COLUMNS, id="checks-findings")
                yield Static(id="checks-finding")
            with VerticalScroll(id="checks-diff"):
                yield Static(id="checks-diff-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"checks: {self.shown_branch}"
        known = self.known_series()
        if known is not None:  # the rows at once; the run reads the branch again
            self.on_checks_started(ChecksStarted(known))
        self.action_refresh()
        self.query_one("#checks-build", Static).display = False

    def known_series(self) -> Series | None:
        """The series the series screen below already shows (no git on the UI thread)."""
        for screen in reversed(self.app.screen_stack):
            if getattr(screen, "NAME", "") == "series" and screen.branch == self.branch:
                series = getattr(screen, "series", None)
                return series if isinstance(series, Series) else None
        return None

    def action_refresh(self) -> None:
        self.cancel.set()  # a run still going stops: the new one replaces it
        self.cancel = threading.Event()
        self.results, self.report, self.running = {}, None, True
        self.refresh_bindings()
        self.run_checks(self.cancel)
        self.look_up_build()

    def action_cancel(self) -> None:
        """Stop the running checks and build: the tools (make, clippy, QEMU) are killed;
        finished patches stay cached."""
        if self.running:
            self.cancel.set()
        self.cancel_build()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.running or self.building or None
        if action == "build":
            return (not self.building and self.series is not None) or None
        if action == "fix":
            return (not self.running and self._fix_target() is not None) or None
        return super().check_action(action, parameters)

    @work(thread=True, exit_on_error=False, exclusive=True, group="checks-run")
    def run_checks(self, cancel: threading.Event) -> None:
        try:
            repo, base = self.app.repo, self.app.default_base
            # the rows first (commits and messages), then the diffs the tools need
            self.post_message(ChecksStarted(load_series(repo, self.branch, base=base,
                                                        light=True)))
            series = load_series(repo, self.branch, base=base)
            self.post_message(ChecksStarted(series))
            report = check_series(self.app.repo, series, self.app.config, cancel=cancel,
                                  on_result=lambda r: self.post_message(PatchChecked(r)))
            self.post_message(ChecksDone(report))
        except PatchpilotError as exc:
            if cancel is self.cancel:  # not a run that r replaced
                self.post_message(LoadFailed(exc))

    def on_checks_started(self, message: ChecksStarted) -> None:
        shown = [p.commit for p in self.series.patches] if self.series else None
        self.series = message.series
        if shown == [p.commit for p in message.series.patches]:
            self.show_selected()  # the same patches, now with their diffs
            return
        table = self.query_one("#checks-patches", FitTable)
        total = len(self.series.patches)
        table.set_rows([[f"{p.index}/{total}", Text("pending", style="dim"),
                         self.build_cell(p.index, p.commit), Text(safe_text(p.subject, 200))]
                        for p in self.series.patches],
                       [str(p.index) for p in self.series.patches])
        table.focus()
        self.show_selected()

    def on_patch_checked(self, message: PatchChecked) -> None:
        result = message.result
        self.results[result.index] = result
        table = self.query_one("#checks-patches", FitTable)
        label = result.status + (" (cached)" if result.cached else "")
        table.set_cell(str(result.index), "status",
                       Text(label, style=STATUS_STYLE.get(result.status, "")))
        if self.selected_index == result.index:
            self.show_selected()

    def on_checks_done(self, message: ChecksDone) -> None:
        self.report, self.running = message.report, False
        self.refresh_bindings()
        counts = self.report.summary()
        self.query_one("#checks-info", Static).update(Text(
            f"{self.shown_branch}  profile {self.report.profile}  "
            f"{len(self.report.results)} patches "
            f"({self.report.cached} cached)  {counts['error']} errors  {counts['warning']} "
            f"warnings  {counts['info']} info"))

    def on_load_failed(self, message: LoadFailed) -> None:
        self.running = False
        self.refresh_bindings()
        self.query_one("#checks-info", Static).update(
            Text(f"{self.shown_branch}: {self.say(message.error)}", style="red"))

    @property
    def selected_index(self) -> int | None:
        if not self.series or not self.series.patches:
            return None
        return self.query_one("#checks-patches", DataTable).cursor_row + 1

    @property
    def selected_findings(self) -> list[Finding]:
        result = self.results.get(self.selected_index or 0)
        return (list(result.findings) if result else []) + \
            self.build_findings(self.selected_index)

    @on(DataTable.RowHighlighted, "#checks-findings")
    def _finding_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The whole message and hint of the highlighted finding (the table cuts them)."""
        found = self.selected_findings
        text = Text()
        if 0 <= event.cursor_row < len(found):
            index = self.selected_index
            patch = self.series.patches[index - 1] if self.series and index else None
            text = describe_finding(found[event.cursor_row], patch, self.say)
        self.query_one("#checks-finding", Static).update(text)

    @on(DataTable.RowHighlighted, "#checks-patches")
    def _patch_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_selected()

    def show_selected(self) -> None:
        table = self.query_one("#checks-findings", FitTable)
        table.set_rows([[Text(f.severity, style=STATUS_STYLE[f.severity]), f"{f.tool}/{f.rule}",
                         safe_text(finding_place(f), 200), Text(safe_text(f.message, 300))]
                        for f in self.selected_findings])
        if not self.selected_findings:
            self.query_one("#checks-finding", Static).update("")
        self._show_diff(None)

    def _show_diff(self, target: tuple[str, int] | None) -> None:
        index = self.selected_index
        if index is None or self.series is None:
            return
        rows, self.diff_target = diff_rows(self.series.patches[index - 1], target)
        marked = MarkedRows(rows)
        self.query_one("#checks-diff-text", Static).update(marked)
        scroll = self.query_one("#checks-diff", VerticalScroll)
        if self.diff_target is None:
            scroll.scroll_home(animate=False)
            return
        row = self.diff_target

        def scroll_to_target() -> None:
            line = marked.line_of(row)
            scroll.scroll_to(y=max(0, (row if line is None else line) - 3), animate=False)

        self.call_after_refresh(scroll_to_target)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "checks-patches":
            self.query_one("#checks-findings", DataTable).move_cursor(row=0)
        self.action_jump()

    def _fix_target(self) -> tuple[int, str] | None:
        """(patch, file) of the highlighted finding when rustfmt has a fix for it."""
        findings, index = self.selected_findings, self.selected_index
        if not findings or index is None:
            return None
        row = self.query_one("#checks-findings", DataTable).cursor_row
        finding = findings[min(max(row, 0), len(findings) - 1)]
        if finding.file is None or not fixup.fixable([finding], finding.file):
            return None
        return index, finding.file

    def action_fix(self) -> None:
        """F: rustfmt's fix for the highlighted finding's file, written into its patch (a
        guarded rewrite, asked first; the checks run again after it)."""
        target = self._fix_target()
        if target is None or self.series is None:
            return
        index, path = target
        fixes = fixup.fixable(self.selected_findings, path)
        series = self.series

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.running = True
                self.refresh_bindings()
                self.fix_worker(series, index, path, fixes)

        self.app.push_screen(Confirm(
            f"Apply rustfmt's fix ({len(fixes)} place(s) in {path}) to patch {index} of "
            f"{self.branch}? The commits after it are made again; a backup ref is made "
            "first (u on the reroll screen undoes it)."), confirmed)

    @work(thread=True, exit_on_error=False, exclusive=True, group="checks-fix")
    def fix_worker(self, series: Series, index: int, path: str,
                   fixes: list[Finding]) -> None:
        try:
            backup = fixup.apply_rustfmt(self.app.repo, series, index, path, fixes)
            self.post_message(FixApplied(f"rustfmt's fix applied to {path} in patch {index}; "
                                         f"backup {backup}"))
        except PatchpilotError as exc:
            self.post_message(LoadFailed(exc))

    def on_fix_applied(self, message: FixApplied) -> None:
        self.notify(message.note, markup=False)
        self.app.rewritten(self)
        self.action_refresh()

    def action_jump(self) -> None:
        """Show the selected finding's line in the diff (the first finding if none chosen)."""
        findings = self.selected_findings
        if not findings:
            return
        row = self.query_one("#checks-findings", DataTable).cursor_row
        finding = findings[min(max(row, 0), len(findings) - 1)]
        self._show_diff((finding.file, finding.line) if finding.file and finding.line else None)

