"""Messages that thread workers post back to screens (never touch widgets from a thread)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # types only: importing these here would slow the first paint
    from patchpilot.core.build.model import BuildReport, Event
    from patchpilot.core.checks.runner import CheckReport, PatchResult
    from patchpilot.core.errors import PatchpilotError
    from patchpilot.core.git import rewrite
    from patchpilot.core.reroll.plan import Recheck, RerollPlan
    from patchpilot.core.review.comments import Placed
    from patchpilot.core.review.summary import ReviewCounts
    from patchpilot.core.series.model import Series, SeriesSummary


@dataclass
class SummariesLoaded(Message):
    summaries: list[SeriesSummary]


@dataclass
class CurrentLoaded(Message):
    """The current branch's series (light), read before the others: its screen opens now."""

    series: Series


@dataclass
class ReviewCounted(Message):
    """The review counts of one series, from the cache (core.review.summary)."""

    counts: ReviewCounts


@dataclass
class SeriesLoaded(Message):
    series: Series
    complete: bool = True  # False: the light series (commits and messages, no diffs yet)


@dataclass
class CommentsLoaded(Message):
    """Review comments of a series' patches, from the replies cache (core.review.comments)."""

    series: Series
    comments: dict[int, list[Placed]]


@dataclass
class LoadFailed(Message):
    error: PatchpilotError


@dataclass
class ChecksStarted(Message):
    """The series about to be checked (patch rows can show as pending)."""

    series: Series


@dataclass
class PatchChecked(Message):
    """All tools are done for one patch (a PatchResult from core.checks.runner)."""

    result: PatchResult


@dataclass
class ChecksDone(Message):
    """The whole check run is over (a CheckReport from core.checks.runner)."""

    report: CheckReport


@dataclass
class BuildProgress(Message):
    """A build's step started or ended, or make printed a line (core.build.model.Event);
    `run` tells one build of the screen from the one before it."""

    run: int
    event: Event


@dataclass
class BuildFinished(Message):
    """A build is over (or was found whole in the build cache): its report."""

    run: int
    report: BuildReport


@dataclass
class BuildFailed(Message):
    """A build could not run (no toolchain, no configuration...): one line."""

    run: int
    error: PatchpilotError


# -- the reroll screen ------------------------------------------------------------------

@dataclass
class PlanLoaded(Message):
    plan: RerollPlan
    undoable: rewrite.Rewrite | None
    moved: bool  # the branch moved since that rewrite: undo would refuse
    recovered: rewrite.Rewrite | None


@dataclass
class Rewritten(Message):
    note: str
    warnings: list[str]
    what: str = ""  # "trailers", "changelog", "undo"


@dataclass
class RewriteFailed(Message):
    what: str
    error: PatchpilotError


@dataclass
class Rechecked(Message):
    result: Recheck
