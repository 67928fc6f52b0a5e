"""Messages that thread workers post back to screens (never touch widgets from a thread)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.series import Series, SeriesSummary


@dataclass
class SummariesLoaded(Message):
    summaries: list[SeriesSummary]


@dataclass
class SeriesLoaded(Message):
    series: Series


@dataclass
class LoadFailed(Message):
    error: PatchpilotError
