"""Recipients of a series: per patch To/Cc, the cover's union, and why each address is there.

Sources, in order: `maintainers` (the MAINTAINERS engine, or get_maintainer.pl itself),
`policy` (the Rust-for-Linux rule: Rust code the RUST entry does not reach still goes to it),
and `user` (additions and removals remembered per series in recipients_state). The cover goes
to the union, de-duplicated as b4 does: by e-mail address, first seen wins, To before Cc.
No UI imports; never prints.
"""

from __future__ import annotations

import email.utils
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from patchpilot.core import paths
from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.recipients.choices import UserChoices, bare, load_choices
from patchpilot.core.series.model import Series
from patchpilot.core.series.patches import Trailer, parse_trailers

if TYPE_CHECKING:  # the engine itself is imported by the thread that loads it (preload)
    from patchpilot.core.recipients.maintainers.engine import Maintainers, Reason
    from patchpilot.core.recipients.maintainers.parse import Problem

POLICY_NOTE = "Rust code; Rust-for-Linux asks to be copied"
CACHE = "maintainers-cache"  # the MAINTAINERS index, under .git/patchpilot
T = TypeVar("T")


@dataclass(frozen=True)
class Why:
    """One reason an address is a recipient (the JSON `reasons` items)."""

    entry: str | None
    match: str
    role: str
    source: str  # "maintainers" | "policy" | "user"

    def to_json(self) -> dict[str, str | None]:
        return {"entry": self.entry, "match": self.match, "role": self.role,
                "source": self.source}


@dataclass
class PatchRecipients:
    index: int
    commit: str
    to: list[str]
    cc: list[str]
    reasons: dict[str, list[Why]] = field(default_factory=dict)  # why each is on this patch


@dataclass
class SeriesRecipients:
    """To/Cc of the cover (union) and of each patch, with reasons and MAINTAINERS problems."""

    to: list[str]
    cc: list[str]
    patches: list[PatchRecipients]
    reasons: dict[str, list[Why]]
    problems: list[Problem] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the addresses were found, if unusual
    bcc: list[str] = field(default_factory=list)  # yours, for a real send: never in a header

    def to_json(self) -> dict[str, Any]:
        """The stable `patchpilot recipients --json` contract (see docs/recipients.md)."""
        return {
            "to": self.to, "cc": self.cc, "bcc": self.bcc,
            "patches": [{"patch": p.index, "commit": p.commit, "to": p.to, "cc": p.cc,
                         "reasons": {a: [w.to_json() for w in p.reasons.get(a, [])]
                                     for a in p.to + p.cc}}
                        for p in self.patches],
            "reasons": {a: [w.to_json() for w in ws] for a, ws in self.reasons.items()},
        }


@dataclass
class Policy:
    """The Rust-for-Linux rule, from configuration (recipients.rust-* keys)."""

    enabled: bool
    entry: str
    roles: tuple[str, ...]

    @classmethod
    def from_config(cls, config: Config) -> Policy:
        return cls(config.flag("recipients.rust-policy"), config.text("recipients.rust-entry"),
                   config.names("recipients.rust-roles"))


def _why(reason: Reason) -> Why:
    letter, _, value = reason.line.partition(":")
    return Why(reason.entry, f"{letter}: {value.strip()}", reason.role, "maintainers")


def entry_addresses(maint: Maintainers, name: str, roles: tuple[str, ...]) -> list[tuple[str,
                                                                                       str]]:
    """(address, role) of an entry's M:/R:/L: lines, as get_maintainer.pl prints them."""
    letters = {"M": "maintainer", "R": "reviewer", "L": "list"}
    entry = maint.entry_named(name)
    found = []
    for index in entry.fields if entry is not None else ():
        fld = maint.fields[index]
        role = letters.get(fld.letter or "")
        if role in roles and fld.value.strip():  # an empty line names nobody
            value = fld.value.split()[0] if role == "list" else fld.value.strip()
            found.append((value, role))
    return found


_DIFF_HEADER = re.compile(r"^diff --git a/(\S+) b/(\S+)$", re.M)


def _touches_rust(mail: str) -> bool:
    """Whether the patch (as mailed) adds, changes, renames or deletes a .rs file."""
    return any(a.endswith(".rs") or b.endswith(".rs") for a, b in _DIFF_HEADER.findall(mail))


class _Builder:
    """Accumulates one patch's To/Cc with b4's de-duplication and the reasons: the
    series-wide ones (shared by every builder) and this patch's own."""

    def __init__(self, reasons: dict[str, list[Why]], removed: set[str]):
        self.to: list[str] = []
        self.cc: list[str] = []
        self.seen: set[str] = set()
        self.reasons = reasons
        self.own: dict[str, list[Why]] = {}
        self.shown: dict[str, str] = {}
        self.removed = removed

    def add(self, address: str, header: str, why: Why | list[Why]) -> None:
        key = bare(address)
        if key in self.removed:
            return
        shown = self.shown.setdefault(key, address)  # the spelling the header will carry
        for item in why if isinstance(why, list) else [why]:
            for table, name in ((self.reasons, address), (self.own, shown)):
                known = table.setdefault(name, [])
                if item not in known:
                    known.append(item)
        if key not in self.seen:
            self.seen.add(key)
            (self.to if header == "to" else self.cc).append(address)


def load_maintainers(repo: GitRepo) -> Maintainers:
    """The tree's MAINTAINERS engine, its index cached under the repository's state dir."""
    # Imported here: the engine (and its regexes) loads in the preload thread while git
    # writes the mails (see preload); importing it at the top would serialise the two.
    from patchpilot.core.recipients.maintainers.engine import Maintainers

    return Maintainers.load(repo.top, cache_dir=paths.repo_state_dir(repo.git_dir) / CACHE)


class Background(Generic[T]):
    """One function running in a daemon thread; result() waits for its value (or error)."""

    def __init__(self, work: Callable[[], T]):
        self._work = work
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._work()
        except BaseException as exc:  # handed to the thread that asks for the result
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return cast(T, self._value)  # _run set it: no error


def preload(repo: GitRepo) -> Background[Maintainers]:
    """The MAINTAINERS engine, loaded in a thread while the caller waits on git (a Background).

    The thread imports the engine, loads the index and compiles the N:/K: regexes. Meanwhile
    the GIL is handed over more often (1 ms instead of 5 ms), so the caller picks up each git
    command's output without waiting behind a full parse (when the index is not cached yet).
    """
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.001))

    def load() -> Maintainers:
        try:
            maint = load_maintainers(repo)
            maint.prepare()
            return maint
        finally:
            sys.setswitchinterval(interval)

    return Background(load)


_SPLIT = 6  # from this many patches on, two git processes write the mails


def mail_parts(repo: GitRepo, series: Series) -> Iterator[dict[str, str]]:
    """The patches as mails (repo.format_patches: {commit: mail}), a part at a time, in order.

    From _SPLIT patches on, a second git process writes the second half while the first
    writes the first half, and the caller works on the first half meanwhile. A series is
    linear (load_series refuses merges), so BASE..MID and MID..HEAD hold the commits of
    BASE..HEAD, and git mails each commit alike whatever the range: the parts are the mails
    of one BASE..HEAD, to the byte.
    """
    commits = [patch.commit for patch in series.patches]
    if len(commits) < _SPLIT:
        yield repo.format_patches(f"{series.base}..{series.head}") if commits else {}
        return
    mid = commits[len(commits) // 2 - 1]
    rest = Background(lambda: repo.format_patches(f"{mid}..{series.head}"))
    first = repo.format_patches(f"{series.base}..{mid}")
    if mid in first:
        first[mid] += "\n"  # git log writes a newline before each entry after the first
    yield first
    yield rest.result()


def compute(repo: GitRepo, series: Series, config: Config | None = None,
            use_script: bool | None = None,
            maint: Background[Maintainers] | None = None) -> SeriesRecipients:
    """Recipients of every patch of `series` and of its cover (see preload for `maint`)."""
    config = config or Config(repo)
    notes = []
    if use_script is None:
        use_script = config.text("recipients.engine") == "get_maintainer"
        conf = get_maintainer_conf(repo.top)
        if conf is not None and not use_script:
            use_script = True
            notes.append(f"{conf} sets get_maintainer.pl options: the maintainers' addresses "
                         "come from get_maintainer.pl itself (with reasons by entry only)")
    # git first: the MAINTAINERS engine (preload) loads while git writes the mails
    parts = mail_parts(repo, series)
    mails = next(parts)
    engine = maint.result() if maint is not None else load_maintainers(repo)
    policy = Policy.from_config(config)
    choices = load_choices(repo, series)
    if choices.notice:
        notes.append(choices.notice)
    reasons: dict[str, list[Why]] = {}
    removed = {bare(a) for a in choices.remove}
    cover = _Builder(reasons, removed)
    patches = []
    for patch in series.patches:
        if patch.commit not in mails:
            mails.update(next(parts, {}))  # the next part, once that one is written
        if patch.commit not in mails:
            _no_mail(series, mails, parts)
        one = _Builder(reasons, removed)
        _fill(one, engine, repo, mails[patch.commit], policy, choices, use_script)
        _trailers(one, patch.trailers)
        patches.append(PatchRecipients(patch.index, patch.commit, one.to, one.cc, one.own))
        for address in one.to:
            cover.add(address, "to", [])
        for address in one.cc:
            cover.add(address, "cc", [])
    _user(cover, choices)
    _trailers(cover, parse_trailers(series.cover_body or ""))
    _drop_self(repo, config, cover, patches)
    return SeriesRecipients(cover.to, cover.cc, patches, reasons, engine.problems,
                            sorted(choices.remove), notes, list(choices.bcc))


def get_maintainer_conf(top: Path) -> Path | None:
    """The .get_maintainer.conf get_maintainer.pl would read (the first found in the tree,
    $HOME, .scripts), when it holds options: the engine does not know them, so the script
    itself must answer."""
    for base in (top, Path.home(), top / ".scripts"):
        path = base / ".get_maintainer.conf"
        if path.exists():
            try:
                lines = path.read_text(errors="replace").splitlines()
            except OSError:
                return path  # get_maintainer.pl would warn and go on; let it
            return path if any(ln.strip() and not ln.strip().startswith("#")
                               for ln in lines) else None
    return None


def _no_mail(series: Series, mails: dict[str, str], parts: Iterator[dict[str, str]]) -> None:
    for part in parts:
        mails.update(part)
    missing = [p.commit[:12] for p in series.patches if p.commit not in mails]
    raise PatchpilotError(f"git format-patch gave no mail for {', '.join(missing)}",
                          hint="an empty commit in the series? drop it or add a change")


def _fill(one: _Builder, maint: Maintainers, repo: GitRepo, mail: str, policy: Policy,
          choices: UserChoices, use_script: bool) -> None:
    if use_script:  # the engine module is loaded by the preload thread (load_maintainers)
        from patchpilot.core.recipients.maintainers.engine import run_get_maintainer

        found = run_get_maintainer(repo.top, mail)
        engine = Why("get_maintainer.pl", "scripts/get_maintainer.pl", "maintainer",
                     "maintainers")
        for header, addresses in (("to", found.to), ("cc", found.cc)):
            for address in addresses:
                one.add(address, header, engine)
    else:
        found = maint.recipients(mail)
        for header, addresses in (("to", found.to), ("cc", found.cc)):
            for address in addresses:
                one.add(address, header, [_why(r) for r in found.reasons.get(address, [])])
    if policy.enabled and _touches_rust(mail):
        _apply_policy(one, maint, policy)
    _user(one, choices)


def _apply_policy(one: _Builder, maint: Maintainers, policy: Policy) -> None:
    wanted = entry_addresses(maint, policy.entry, policy.roles)
    lists = [a for a, role in wanted if role == "list"]
    if lists and all(bare(a) in one.seen for a in lists):
        return  # the entry already reaches this patch
    for address, role in wanted:
        header = "cc" if role == "list" else "to"
        one.add(address, header, Why(policy.entry, POLICY_NOTE, role, "policy"))


def _user(one: _Builder, choices: UserChoices) -> None:
    for header in ("to", "cc"):
        for address in getattr(choices, f"add_{header}"):
            one.add(address, header, Why(None, "added by you", header, "user"))


def _trailers(one: _Builder, trailers: Iterable[Trailer]) -> None:
    """b4 copies the people named in trailers (Signed-off-by:, Reviewed-by: ...) on Cc."""
    for trailer in trailers:
        name, address = email.utils.parseaddr(trailer.value)
        if trailer.name.lower() in ("to", "cc") or "@" not in address:
            continue
        shown = email.utils.formataddr((name, address)) if name else address
        one.add(shown, "cc", Why(None, f"{trailer.name}: trailer", "cc", "user"))


def _drop_self(repo: GitRepo, config: Config, cover: _Builder,
               patches: list[PatchRecipients]) -> None:
    """b4's send-me-too: when it is off, the sender's own address is not a recipient."""
    me_too = (repo.config("b4.send-me-too") or "yes").lower()
    me = (repo.config("user.email") or "").lower()
    if me_too not in ("no", "n", "false", "0") or not me:
        return
    holders: list[_Builder | PatchRecipients] = [cover, *patches]
    for holder in holders:
        holder.to[:] = [a for a in holder.to if bare(a) != me]
        holder.cc[:] = [a for a in holder.cc if bare(a) != me]
