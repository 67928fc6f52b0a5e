"""Where a quoted diff line sits: the file and new-file line of a patch as it was mailed.

`DiffIndex(diff).locate(quoted lines)` finds the last quoted line that is a line of the diff,
the best match by the lines quoted before it, and says its file and new-file line (a removed
line: the next new-file line). Pure functions over untrusted text; no UI.
"""

from __future__ import annotations

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError


class DiffIndex:
    """The lines of one patch's diff, to find where a quoted diff line sits."""

    def __init__(self, diff: str):
        self.entries: list[tuple[str, str, int | None, int | None]] = []
        try:
            patchset = PatchSet(diff)
        except UnidiffParseError:
            patchset = PatchSet("")
        for pf in patchset:
            path = pf.path
            for hunk in pf:
                for line in hunk:
                    text = (str(line.line_type) + line.value.rstrip("\n")).rstrip()
                    self.entries.append((text, path, line.target_line_no, line.source_line_no))
        self.by_text: dict[str, list[int]] = {}
        self.by_words: dict[str, list[int]] = {}  # whitespace squeezed (HTML mail loses it)
        for i, entry in enumerate(self.entries):
            self.by_text.setdefault(entry[0], []).append(i)
            self.by_words.setdefault(_squeezed(entry[0]), []).append(i)

    def locate(self, quote: list[str]) -> tuple[str | None, int | None]:
        """(file, new-file line) of the last quoted diff line, best context match; a quote
        whose spaces were squeezed (HTML mail) matches on its words."""
        lines = [q.rstrip() for q in quote]
        for back in range(len(lines) - 1, -1, -1):
            text = lines[back]
            hits = (self.by_text.get(text) or self.by_words.get(_squeezed(text))) \
                if text.strip() else None
            if hits:
                best = max(hits, key=lambda i: (self._score(i, lines[:back]), -i))
                return self._position(best)
        return None, None

    def _score(self, i: int, before: list[str]) -> int:
        score = 0
        for k, text in enumerate(reversed(before[-5:]), start=1):
            if i - k >= 0 and self.entries[i - k][0] == text:
                score += 1
        return score

    def _position(self, i: int) -> tuple[str, int | None]:
        _, path, target, _source = self.entries[i]
        for j in range(i, len(self.entries)):  # a removed line: the next new-file line
            if self.entries[j][1] != path:
                break
            if self.entries[j][2] is not None:
                return path, self.entries[j][2]
        return path, target


def _squeezed(text: str) -> str:
    """A diff line with runs of whitespace as one space, and none after the +/- sign."""
    sign, rest = text[:1], " ".join(text[1:].split())
    return sign + rest
