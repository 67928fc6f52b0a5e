"""What a reviewer's own words are: a comment (asks the author to do or answer something) or
an aside (a greeting, a sign-off and the name under it, "LGTM"/"Looks good"/"Thanks!", the words
around a bare trailer such as "For the whole series:" or "Works on my board.").

`read_run` takes one run of the reviewer's own lines (quotes.Segment "text", trailer lines
already set aside) and says which kind it is, with the asking part as `text` and the rest as
`aside`. The rules lean towards "comment": text that is neither a known courtesy nor short
words around a trailer is a comment, so nothing asked is ever hidden; a courtesy that also
asks ("Looks good, but please rename it") is a comment. Pure functions; no UI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ItemKind = Literal["comment", "report", "praise", "greeting", "signature", "quote", "original",
                   "applied"]
COUNTED: frozenset[str] = frozenset({"comment", "report"})  # what may be left open

_GREETING = re.compile(r"^\s*(hi|hello|hey|hallo|dear|greetings|good (morning|afternoon|"
                       r"evening))\b[\w\s.,'-]{0,40}[,!.:]?\s*$", re.I)
_CLOSING = re.compile(r"^\s*(thanks|thank you|thx|tia|many thanks|cheers|regards|best|"
                      r"best regards|kind regards|warm regards|br|bye|ciao|greetings|"
                      r"sincerely|all the best|merci|cordialement|danke|gruß|grüße|viele grüße|"
                      r"saludos|gracias|grazie|saluti|pozdrawiam|hälsningar|mvh)\b"
                      r"[\w\s.,'!-]{0,40}$", re.I)
_NAME = re.compile(r"^\s*[-~—]*\s*[A-Z][\w.'’-]*(\s+(\([^)]{1,40}\)|[A-Z][\w.'’-]*)){0,3}"
                   r"\s*$")
_APPROVAL = re.compile(
    r"\b(lgtm|looks (good|fine|great|sane|ok|okay|reasonable|correct|right|nice)|"
    r"(good|nice|great|neat|clean|solid) (catch|find|work|cleanup|change|patch|series|one)|"
    r"thanks|thank you|thx|works|worked|tested|boots|booted|builds|built|compiles|compiled|"
    r"runs fine|agree[ds]?|makes sense|sounds (good|fine|right)|good|fine|"
    r"fair enough|applied|queued|picked up|ack(ed)?|fine by me|no objections?|"
    r"ok|okay|sure|indeed|yes|yep|great|nice|perfect|excellent|\+1)\b", re.I)
_AROUND_TRAILER = re.compile(
    r"^\s*(for the (whole|entire|full) (series|set|patchset|thing)|for (the|this) "
    r"(series|set|patchset|patch|change)|for (all|both|these|those|the) (patches|of them)|"
    r"for patch(es)? [\d/, and-]+|for (the )?[\w/.-]+ (bits|parts?|changes)|"
    r"with (that|this|these|those)( \w+){0,3}|feel free to add( my| the)?( \w+)?|"
    r"(you )?(can|may) add( my| the)?( \w+)?|please (add|take|pick up|keep) my( \w+)?|"
    r"fwiw|for what it'?s worth|same here|also|and|as well|here'?s my|here is my)"
    r"[\s,.:!-]*$", re.I)
_ASK = re.compile(
    r"\?|\b(please|pls|plz|could|would|should|must|needs?|needed|can you|instead|why|nits?|"
    r"typos?|not sure|wonder(ing)?|maybe|perhaps|consider|prefer|suggest\w*|missing|"
    r"todo|fixme|i think|imo|imho|but|however|though|although|except|unless|wrong|broken|"
    r"breaks?|fails?|failed|error|bug|leaks?|race|not|\w+n't|s/[^/]*/)\b|s/\S+/"
    r"|(^|[.,;:!]\s*|\b(just|also|then|and|please)\s+)(use|drop|remove|rename|move|add|"
    r"fix|change|update|split|squash|make|keep|avoid|replace|document|merge|check|handle|"
    r"return|call|mark|put|take|let)\b", re.I)
TRAILER_WORDS = 160  # characters of text next to a trailer that still read as its frame
LEAD_IN = 100  # a line ending in ":" right by a trailer, asking nothing, introduces it
PRAISE_CHARS = 240


@dataclass(frozen=True)
class Reading:
    """One run of own text, read: its kind, what it asks (`text`) and the rest (`aside`)."""

    kind: ItemKind
    text: str
    aside: str = ""


def asks(text: str) -> bool:
    """Whether `text` asks for something (a question, a request, a doubt, an imperative)."""
    return bool(_ASK.search(text))


def read_run(lines: list[str], trailer_at: set[int], last: bool,
             first: bool = False) -> Reading | None:
    """Read one run of own lines; `trailer_at` holds the indexes of its trailer lines, `last`
    says it is the last thing the reviewer wrote and `first` the first: a lone name at the
    end is a signature, unless it is all the reviewer wrote."""
    paragraphs = _paragraphs(lines, trailer_at)
    asking: list[str] = []
    aside: list[str] = []
    for i, (text, next_to_trailer) in enumerate(paragraphs):
        final = last and i == len(paragraphs) - 1 and not (first and i == 0)
        (aside if _courtesy(text, next_to_trailer, final) else asking).append(text)
    if asking:
        return Reading("comment", "\n\n".join(asking), "\n\n".join(aside))
    if not aside:
        return None  # nothing but trailers
    everything = "\n\n".join(aside)
    polite = all(_signoff(p.splitlines()) or all(_polite_line(x) for x in p.splitlines()
                                                  if x.strip()) for p in aside)
    return Reading("greeting" if polite else "praise", everything)


def _paragraphs(lines: list[str], trailer_at: set[int]) -> list[tuple[str, bool]]:
    """(text, next to a trailer) of each paragraph; trailer lines end paragraphs and are left
    out. A paragraph is next to a trailer when the nearest non-blank line above or below it
    is one."""
    blocks: list[tuple[int, int]] = []
    start: int | None = None
    for i, line in enumerate(lines):
        if i in trailer_at or not line.strip():
            if start is not None:
                blocks.append((start, i - 1))
            start = None
        elif start is None:
            start = i
    if start is not None:
        blocks.append((start, len(lines) - 1))

    def trailer_near(i: int, step: int) -> bool:
        while 0 <= i < len(lines):
            if i in trailer_at:
                return True
            if lines[i].strip():
                return False
            i += step
        return False

    return [("\n".join(line.rstrip() for line in lines[s:e + 1]),
             trailer_near(s - 1, -1) or trailer_near(e + 1, 1)) for s, e in blocks]


def _courtesy(text: str, next_to_trailer: bool, final: bool) -> bool:
    """A greeting, a sign-off, approval, or the few words framing a trailer."""
    lines = [line for line in text.splitlines() if line.strip()]
    if all(_polite_line(line) or (final and _NAME.match(line)) for line in lines):
        return True
    if _signoff(lines):
        return True
    flat = " ".join(" ".join(lines).split())
    if len(flat) > PRAISE_CHARS:  # a courtesy is short; long text is read (and bounded)
        return False
    if next_to_trailer and len(flat) <= TRAILER_WORDS and _AROUND_TRAILER.match(flat):
        return True
    if next_to_trailer and len(flat) <= LEAD_IN and flat.endswith(":") and not asks(flat):
        return True  # "In case it helps:", "Either way:", "Tested on my RISC-V board:"
    return not asks(flat) and bool(_APPROVAL.search(flat))


def _polite_line(line: str) -> bool:
    return bool(_GREETING.match(line) or _CLOSING.match(line)) and "?" not in line


def _signoff(lines: list[str]) -> bool:
    """"Thanks,\\nRae" / "Cheers,\\n- Benno (Arm)": a closing line, then a name or two."""
    return (1 < len(lines) <= 3 and bool(_CLOSING.match(lines[0]))
            and all(_NAME.match(line) for line in lines[1:]))


def headline(text: str) -> str:
    """The text from its first line that is not a greeting ("Hi Test," above a bot's report)."""
    lines = text.strip("\n").splitlines()
    start = next((i for i, line in enumerate(lines)
                  if line.strip() and not _polite_line(line)), 0)
    return "\n".join(lines[start:]).strip("\n")


def report(body: str, limit: int = 20_000) -> Reading:
    """A bot's mail (a build report, a syzbot crash) is one item, read as written."""
    text = body.strip("\n")
    return Reading("report", text[:limit])
