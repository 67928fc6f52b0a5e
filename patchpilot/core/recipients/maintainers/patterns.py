"""The regular expressions MAINTAINERS holds (F:/X: globs made regexes, N: and K: values), run
with bounds: a pattern from a file never holds `recipients` for minutes.

- They are compiled with the `regex` module (VERSION0: the semantics of `re`, which the
  parity with get_maintainer.pl was established on), which warns about nothing (Python's
  `re` prints a FutureWarning for a glob holding `[[`) and takes a timeout per search.
- An N:/K: value longer than MAX_PATTERN is not compiled (the longest in the kernel is about
  160 characters; a 1 MB one takes `re` 10 s to compile): a problem line says so.
- Every N:/K: search has a deadline (SEARCH_SECONDS, less once BUDGET seconds went to
  searches that overran): a pattern that overruns is not used again, and a problem line says
  so (get_maintainer.pl would still be trying it).
No imports from the rest of patchpilot.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import regex

MAX_PATTERN = 4096
SEARCH_SECONDS = 1.0
BUDGET = 10.0  # seconds spent on overrunning searches, after which each gets FLOOR
FLOOR = 0.05

Pattern = regex.Pattern
error = regex.error


class TooLong(ValueError):
    """A pattern over MAX_PATTERN characters."""


def compile_glob(source: str) -> regex.Pattern[str]:
    """An F:/X: pattern's regex (raises regex.error when it is none)."""
    return regex.compile(source, regex.VERSION0)


def compile_value(source: str) -> regex.Pattern[str]:
    """An N:/K: value (extended syntax, as get_maintainer.pl's `m/$value/x`); raises
    regex.error or TooLong."""
    if len(source) > MAX_PATTERN:
        raise TooLong(f"a pattern of {len(source)} characters, over {MAX_PATTERN}: not used "
                      "(get_maintainer.pl would try it)")
    return regex.compile(source, regex.VERSION0 | regex.X)


@dataclass
class Searches:
    """Bounded searches of N:/K: patterns; `overran` names each pattern dropped."""

    spent: float = 0.0
    dropped: set[int] = field(default_factory=set)
    overran: list[tuple[int, str]] = field(default_factory=list)  # (field, why)

    def search(self, pos: int, pattern: regex.Pattern[str], text: str) -> bool:
        """Whether `pattern` (the N:/K: field `pos`) matches `text`; False once dropped."""
        if pos in self.dropped:
            return False
        limit = SEARCH_SECONDS if self.spent < BUDGET else FLOOR
        began = time.monotonic()
        try:
            return pattern.search(text, timeout=limit) is not None
        except TimeoutError:
            self.spent += time.monotonic() - began
            self.dropped.add(pos)
            self.overran.append((pos, f"pattern ran over {limit:g}s on one line: not used "
                                      "(get_maintainer.pl would still be trying it)"))
            return False
