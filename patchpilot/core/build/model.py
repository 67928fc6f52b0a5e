"""What a series build found, per patch, and the progress events a screen shows. No UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from patchpilot.core.build.diagnostics import Diag

STEPS = ("checkout", "build", "docs", "tests")


@dataclass(frozen=True)
class Event:
    """Progress: `index` 0 is the base, 1..n the patches."""

    index: int
    step: str  # config, checkout, build, docs, tests, done
    state: str  # running, ok, failed, cached, skipped, cancelled
    line: str = ""
    result: PatchBuild | None = None  # with "done": the patch's results, as soon as they are


@dataclass(frozen=True)
class TestFailure:
    name: str
    status: str  # FAIL, ERROR (crashed), HANG
    location: str = ""  # file:line KUnit printed

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "location": self.location}


@dataclass
class PatchBuild:
    """One state of the series (the base, or the tree after patch `index`)."""

    index: int
    commit: str
    subject: str
    built: bool | None = None  # None: not attempted (cancelled, or the base failed)
    errors: list[Diag] = field(default_factory=list)
    warnings: list[Diag] = field(default_factory=list)  # new ones: build and docs
    test_failures: list[TestFailure] = field(default_factory=list)
    tests_run: int = 0
    failure: str = ""  # one line when the step failed without a diagnostic
    steps: list[str] = field(default_factory=list)  # the steps that ran
    cached: bool = False
    seconds: float = 0.0
    # carried to the next patch: every warning known so far, test statuses
    ledger: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    complete: bool = False  # the ledger holds every warning (the base was built from cold)

    @property
    def clean(self) -> bool:
        return bool(self.built) and not (self.errors or self.warnings or self.test_failures
                                         or self.failure)

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "commit": self.commit, "subject": self.subject,
                "built": self.built, "errors": [d.to_json() for d in self.errors],
                "warnings": [d.to_json() for d in self.warnings],
                "test_failures": [t.to_json() for t in self.test_failures],
                "tests_run": self.tests_run, "failure": self.failure, "steps": self.steps,
                "cached": self.cached, "seconds": round(self.seconds, 2)}

    def to_cache(self) -> dict[str, Any]:
        return {**self.to_json(), "ledger": self.ledger, "statuses": self.statuses,
                "complete": self.complete}

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> PatchBuild:
        return cls(int(data["index"]), str(data["commit"]), str(data["subject"]),
                   data["built"], [Diag.from_json(d) for d in data["errors"]],
                   [Diag.from_json(d) for d in data["warnings"]],
                   [TestFailure(**t) for t in data["test_failures"]], int(data["tests_run"]),
                   str(data["failure"]), list(data["steps"]), True, float(data["seconds"]),
                   list(data["ledger"]), dict(data["statuses"]), bool(data["complete"]))


@dataclass
class BuildReport:
    """The series' build: which configuration and toolchain, the base, then each patch."""

    config: str
    toolchain: str
    home: str
    base: PatchBuild | None = None
    patches: list[PatchBuild] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cancelled: bool = False
    stopped: str = ""  # why the build stopped before the end (disk full, base failed...)

    @property
    def complete(self) -> bool:
        return not self.cancelled and not self.stopped and all(
            p.built is not None for p in self.patches)

    @property
    def ok(self) -> bool:
        return self.complete and all(p.clean for p in self.patches)

    def summary(self) -> str:
        """One line: the send pre-flight's and the CLI's last line."""
        if self.cancelled:
            return "build cancelled"
        if self.stopped:
            return f"build stopped: {self.stopped}"
        broken = [p.index for p in self.patches if p.built is False]
        warned = sum(len(p.warnings) for p in self.patches)
        failed = sum(len(p.test_failures) for p in self.patches)
        tests = max((p.tests_run for p in self.patches), default=0)
        parts = ["every patch builds" if not broken else
                 "patch " + ", ".join(map(str, broken)) + " does not build"]
        parts.append("no new warning" if not warned else f"{warned} new warning(s)")
        if tests or failed:
            parts.append(f"{tests} tests pass" if not failed else f"{failed} test failure(s)")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"config": self.config, "toolchain": self.toolchain, "home": self.home,
                "base": self.base.to_json() if self.base else None,
                "patches": [p.to_json() for p in self.patches], "notes": self.notes,
                "cancelled": self.cancelled, "stopped": self.stopped, "ok": self.ok,
                "summary": self.summary()}
