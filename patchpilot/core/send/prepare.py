"""The send use case both faces run: prepare (preview, pre-flight, counts) and send.

`prepare` gives what the CLI prints and the TUI shows before asking: the plan (b4's exact
messages and a retry's leftovers), the pre-flight lines, and the numbers the confirmation
names. `send` refuses while a pre-flight line blocks (unless overridden by name), then mails
exactly the confirmed plan (flow.execute). `stopped` words a send that did not complete the
same way everywhere. No UI; never prints.
"""

from __future__ import annotations

from dataclasses import dataclass

from patchpilot.core.config import Config
from patchpilot.core.errors import ExitCode, PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.send import preflight
from patchpilot.core.send.deliver import execute
from patchpilot.core.send.flow import Mode, SendPlan, SendResult, plan
from patchpilot.core.send.headers import Extras
from patchpilot.core.series.model import Series


@dataclass
class Prepared:
    """A send ready to confirm: the plan, its pre-flight, who sends, and the counts."""

    plan: SendPlan
    lines: list[preflight.Line]
    me: str

    @property
    def warnings(self) -> list[str]:
        """One line each: state found damaged and kept aside, and the like."""
        return self.plan.warnings

    @property
    def count(self) -> int:
        return len(self.plan.to_send())

    @property
    def recipients(self) -> int:
        return len(self.plan.recipients(self.me))

    @property
    def confirmation(self) -> tuple[int, int]:
        """What the user confirms: (messages, recipients); flow.execute checks it again."""
        return self.count, self.recipients

    def blocking(self, overrides: list[str] | None = None) -> list[preflight.Line]:
        """Failing lines not overridden (only a real send is held back by them)."""
        if self.plan.mode != "send":
            return []
        return preflight.blocking(self.lines, list(overrides or []))

    def summary(self) -> str:
        """`N message(s) to M recipient(s)`, with what a resumed attempt skips."""
        what = f"{self.count} message(s) to {self.recipients} recipient(s)"
        if self.plan.resume:
            done = len(self.plan.messages) - self.count
            doubt = len(self.plan.resume.unconfirmed())
            again = (f"; {doubt} whose delivery was not confirmed go out again under the "
                     "same Message-ID" if doubt else "")
            what += (f" (finishing attempt {self.plan.resume.id}: {done} already delivered are "
                     f"skipped{again}; the rest keep their original Message-IDs)")
        return what


def prepare(repo: GitRepo, series: Series, mode: Mode = "send",
            preview_to: list[str] | None = None, run_checks: bool = True,
            config: Config | None = None, extras: Extras | None = None,
            early: list[preflight.Line] | None = None) -> Prepared:
    """Preview the series through b4 and run the pre-flight on what b4 would send
    (`extras`: the send-time changes, headers.for_send; `early`: the early pre-flight lines
    already shown)."""
    config = config or Config(repo)
    send_plan = plan(repo, series, mode, preview_to, extras)
    lines = preflight.run_preflight(repo, series, send_plan.messages, run_checks=run_checks,
                                    config=config, early=early)
    if not run_checks:  # skipping the checks is a choice the send log must show: it blocks
        lines = [preflight.Line("checks", preflight.FAIL, "not run (--no-checks)",
                                "patchpilot check, or --override checks")
                 if line.name == "checks" else line for line in lines]
    return Prepared(send_plan, lines, repo.config("user.email") or "")


def send(repo: GitRepo, prepared: Prepared, confirmed: tuple[int, int],
         overrides: list[str] | None = None, config: Config | None = None) -> SendResult:
    """Mail the prepared plan, once no pre-flight line blocks it."""
    blocked = prepared.blocking(overrides)
    missing = [line for line in blocked if line.name in preflight.ENVIRONMENT]
    if missing:  # nothing can go out: an environment error, as everywhere (exit 2)
        raise PatchpilotError(missing[0].detail, hint=missing[0].fix)
    if blocked:
        names = " ".join(f"--override {line.name}" for line in blocked)
        raise PatchpilotError(f"pre-flight failed: {', '.join(ln.name for ln in blocked)}",
                              hint=f"fix what each line says, or send anyway with {names}",
                              exit_code=ExitCode.FAILURE)
    return execute(repo, prepared.plan, confirmed, list(overrides or []), config)


def stopped(result: SendResult, prepared: Prepared) -> str:
    """What a send that did not complete did: nothing, or k of n messages."""
    if result.attempt.status == "failed":
        return "nothing was sent"
    total = len(prepared.plan.messages)
    doubt = len(result.attempt.unconfirmed())
    return (f"{total - len(result.missing)} of {total} message(s) went out"
            + (f", {doubt} unconfirmed" if doubt else ""))
