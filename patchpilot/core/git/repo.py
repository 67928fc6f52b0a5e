"""Reading a repository for the series model: every git command core runs goes through here.

It returns plain strings, lists and dicts; it knows nothing of b4, series or screens. Writes
are limited to what the caller asks for explicitly (none in this module today). git runs as a
subprocess (LANGUAGE=C, LC_ALL=C, output decoded as UTF-8 with surrogate escapes, as GitPython
did): importing GitPython cost every patchpilot process about 70 ms, a tenth of a re-check.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, TypeVar

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.process import discover as _discover
from patchpilot.core.git.process import failed as _failed
from patchpilot.core.git.process import git as _git

T = TypeVar("T")
_FIELD = "%x1f"
_RECORD = "%x1e"
# commit, parents, author name, author email, author date, committer email, raw message
_LOG_FORMAT = _FIELD.join(["%H", "%P", "%an", "%ae", "%aI", "%cE", "%B"]) + _RECORD


@dataclass(frozen=True)
class CommitInfo:
    """One commit as git log describes it."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_date: str
    committer_email: str
    message: str


@dataclass(frozen=True)
class TagInfo:
    """An annotated or lightweight tag: its name, the commit it points at, its message."""

    name: str
    commit: str
    message: str


class GitRepo:
    """A git work tree opened at or above `path`."""

    # attached below the class, for the checks runner
    raw_changes: ClassVar[Callable[[GitRepo, str], dict[str, list[RawChange]]]]
    read_blob: ClassVar[Callable[[GitRepo, str], bytes]]
    read_blobs: ClassVar[Callable[[GitRepo, Iterable[str]], dict[str, bytes]]]

    def __init__(self, path: str | Path = "."):
        where = Path(os.path.abspath(os.path.expanduser(path)))
        if not where.is_dir():
            raise PatchpilotError(f"no such directory: {path}",
                                  hint="pass an existing kernel tree with -C DIR")
        found = _discover(where)
        if found is None:
            raise PatchpilotError(f"not a git repository: {Path(path).resolve()}",
                                  hint="run inside a kernel git tree, or pass -C DIR")
        if isinstance(found, str):  # "bare"
            raise PatchpilotError(f"{path} is a bare repository",
                                  hint="patchpilot needs a work tree; clone it first")
        self.top, self.git_dir = found

    def run(self, *args: str, stdin_path: Path | None = None, strip: bool = True) -> str:
        """Run a git command; failures become PatchpilotError with git's own message."""
        try:
            if stdin_path is None:
                proc = _git(args, self.top, subprocess.DEVNULL)
            else:
                with open(stdin_path, "rb") as stream:
                    proc = _git(args, self.top, stream)
        except OSError as exc:
            raise PatchpilotError(f"git {args[0]} failed: {exc}",
                                  hint="install git and make sure it is on PATH") from None
        if proc.returncode:
            raise _failed(args, proc.stderr)
        out = proc.stdout.decode("utf-8", "surrogateescape")
        return out[:-1] if strip and out.endswith("\n") else out

    def run_to_file(self, *args: str, read: Callable[[BinaryIO], T]) -> T:
        """Like run(), for commands with a lot of output (`rev-list` of thousands of commits):
        git writes into a temporary file instead of a pipe (three times cheaper here: a pipe
        costs a wake-up per buffer git flushes), and `read` reads what it needs of it."""
        with tempfile.TemporaryFile() as out:
            proc = _git(args, self.top, subprocess.DEVNULL, stdout=out)
            if proc.returncode:
                raise _failed(args, proc.stderr)
            out.seek(0)
            return read(out)

    def try_run(self, *args: str, **kwargs: Any) -> str | None:
        """Like run(), but None when git fails (for questions whose answer may be 'no')."""
        try:
            return self.run(*args, **kwargs)
        except PatchpilotError:
            return None

    # -- references -------------------------------------------------------------------------

    def current_branch(self) -> str | None:
        """The checked-out branch, or None on a detached HEAD."""
        name = self.try_run("symbolic-ref", "--quiet", "--short", "HEAD")
        return name or None

    def branches(self) -> list[str]:
        """Local branch names, sorted."""
        out = self.run("for-each-ref", "--format=%(refname:short)", "refs/heads/")
        return sorted(out.splitlines())

    def rev_parse(self, rev: str) -> str | None:
        """The commit id `rev` names, or None when it names nothing."""
        if rev.startswith("-"):
            return None
        return self.try_run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")

    def reflog(self, ref: str) -> list[tuple[str, str]] | None:
        """Every update git logged for `ref` (refs/heads/NAME), oldest first, as (old, new)
        commit ids; None when git keeps no reflog for it."""
        try:
            text = (self.git_dir / "logs" / ref).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        return [(parts[0], parts[1]) for parts in (line.split(" ", 2)
                                                   for line in text.splitlines())
                if len(parts) > 2]

    def upstream_of(self, branch: str) -> str | None:
        return self.try_run("rev-parse", "--abbrev-ref", "--symbolic-full-name",
                            f"{branch}@{{upstream}}")

    def suggest_for(self, rev: str) -> list[str]:
        """What a user who typed `rev` (naming nothing) probably meant: a remote's branch of
        that name (a fresh clone has origin/master, not master), then the current branch's
        upstream."""
        found = []
        if rev and not rev.startswith("-"):
            listing = self.try_run("for-each-ref", "--format=%(refname:short)",
                                   f"refs/remotes/*/{rev}") or ""
            found += [name for name in listing.splitlines() if name]
        current = self.current_branch()
        upstream = self.upstream_of(current) if current else None
        if upstream and upstream not in found:
            found.append(upstream)
        return found

    def merge_base(self, a: str, b: str) -> str | None:
        return self.try_run("merge-base", a, b)

    def fork_point(self, base_branch: str, branch: str) -> str | None:
        """Where `branch` forked from `base_branch`, as b4 computes it."""
        return (self.try_run("merge-base", "--fork-point", base_branch, branch)
                or self.merge_base(branch, base_branch))

    def tags(self, pattern: str) -> list[TagInfo]:
        """Tags matching a for-each-ref pattern (e.g. 'refs/tags/sent/*')."""
        # for-each-ref spells hex escapes %XX (git log spells them %xXX)
        fmt = "%1f".join(["%(refname:short)", "%(*objectname)", "%(objectname)",
                          "%(contents)"]) + "%1e"
        out = self.run("for-each-ref", f"--format={fmt}", pattern, strip=False)
        tags = []
        for record in out.split("\x1e")[:-1]:
            name, peeled, obj, message = record.lstrip("\n").split("\x1f", 3)
            tags.append(TagInfo(name=name, commit=peeled or obj, message=message))
        return tags

    # -- config -------------------------------------------------------------------------------

    def config(self, key: str) -> str | None:
        """One git config value (last one wins), or None.

        All values are read with one `git config --list` and kept until a config file changes.
        """
        section, _, rest = key.partition(".")
        middle, _, name = rest.rpartition(".")
        wanted = ".".join(p for p in (section.lower(), middle, name.lower()) if p)
        return self._config_values().get(wanted)

    def _config_values(self) -> dict[str, str]:
        stamp = tuple(_stat(p) for p in _config_files(self.git_dir))
        if getattr(self, "_config_stamp", None) != stamp:
            values = {}
            for item in (self.try_run("config", "-z", "--list") or "").split("\0"):
                name, _, value = item.partition("\n")
                if name:
                    values[name] = value
            self._config_cache, self._config_stamp = values, stamp
        return self._config_cache

    def config_regexp(self, pattern: str) -> dict[str, str]:
        """All config keys matching a regexp, with their values (keys lower-cased by git)."""
        out = self.try_run("config", "-z", "--get-regexp", pattern)
        values = {}
        for item in (out or "").split("\0"):
            if item:
                key, _, value = item.partition("\n")
                values[key] = value
        return values

    # -- history ------------------------------------------------------------------------------

    def log(self, *revs: str, grep: str | None = None, since: str | None = None,
            committer: str | None = None, max_count: int | None = None) -> list[CommitInfo]:
        """Commits in `revs` (oldest first unless limited), with their full messages."""
        args = ["log", f"--format={_LOG_FORMAT}", "--no-mailmap", "--no-color"]
        if grep:
            args += ["--fixed-strings", f"--grep={grep}"]
        if since:
            args.append(f"--since={since}")
        if committer:
            args.append(f"--committer={committer}")
        if max_count:
            args.append(f"--max-count={max_count}")
        else:
            args.append("--reverse")
        out = self.run(*args, *revs, "--", strip=False)
        return [_parse_commit(r) for r in out.split("\x1e")[:-1]]

    def diffs(self, revs: str) -> dict[str, str]:
        """The diff each commit of a range introduces, from one `git log -p`: {commit: diff}."""
        out = self.run("log", "-p", "--no-color", "--no-ext-diff", "--format=%x00%H", revs,
                       "--", strip=False)
        diffs = {}
        for chunk in out.split("\0")[1:]:
            sha, _, diff = chunk.partition("\n")
            diffs[sha] = diff.lstrip("\n")
        return diffs

    def format_patches(self, revs: str) -> dict[str, str]:
        """Each commit of a range as a mail, made the way b4 makes them: {commit: text}.

        Same options as b4's git_range_to_patches (`git show --format=email --binary
        --patch-with-stat --find-renames --no-mailmap`); merges are left out, as b4 does.
        """
        out = self.run("log", "--reverse", "--no-merges", "--format=email", "--binary",
                       "--patch-with-stat", "--encoding=utf-8", "--find-renames",
                       "--no-mailmap", "--no-color", revs, "--", strip=False)
        parts = re.split(r"^From ([0-9a-f]{40}) Mon Sep 17 00:00:00 2001\n", out, flags=re.M)
        return dict(zip(parts[1::2], parts[2::2]))

    def patch_ids(self, diffs: dict[str, str]) -> dict[str, str]:
        """`git patch-id --stable` of each diff (as returned by diffs()): {commit: patch-id}."""
        with tempfile.NamedTemporaryFile("w", suffix=".patch", errors="surrogateescape") as tmp:
            for sha, diff in diffs.items():
                tmp.write(f"commit {sha}\n{diff}")
            tmp.flush()
            out = self.run("patch-id", "--stable", stdin_path=Path(tmp.name))
        ids = {}
        for line in out.splitlines():
            patch_id, commit = line.split()
            ids[commit] = patch_id
        return ids

    def object_ids(self, specs: list[str]) -> list[str | None]:
        """The object id each `REV:PATH` (or other object name) names, None where it names
        nothing, from one `git cat-file --batch-check` (no newline in a name)."""
        if not specs:
            return []
        with tempfile.NamedTemporaryFile("w", suffix=".txt", errors="surrogateescape") as tmp:
            tmp.write("".join(f"{spec}\n" for spec in specs))
            tmp.flush()
            out = self.run("cat-file", "--batch-check=%(objectname)", stdin_path=Path(tmp.name))
        lines = out.split("\n")
        return [None if line == f"{spec} missing" or line.startswith(f"{spec} ") else line
                for spec, line in zip(specs, lines)]

    def is_dirty(self) -> bool:
        """Tracked files changed or staged (untracked files do not count, as for b4)."""
        return bool(self.run("status", "--porcelain=v1", "--untracked-files=no"))

    def head_state(self) -> str:
        """A cheap fingerprint of refs and HEAD, to notice that the repository changed."""
        return self.run("for-each-ref", "--format=%(refname) %(objectname)") + \
            (self.try_run("rev-parse", "HEAD") or "")


def _config_files(git_dir: Path) -> list[Path]:
    home = Path(os.environ.get("HOME", "/"))
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    files = [git_dir / "config", home / ".gitconfig", xdg / "git" / "config"]
    for var in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM"):
        if os.environ.get(var):
            files.append(Path(os.environ[var]))
    return files


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _parse_commit(record: str) -> CommitInfo:
    sha, parents, name, email, date, cemail, message = record.lstrip("\n").split("\x1f", 6)
    return CommitInfo(sha=sha, parents=tuple(parents.split()), author_name=name,
                      author_email=email, author_date=date, committer_email=cemail,
                      message=message.rstrip("\n") + "\n")


# -- for the checks runner (patchpilot.core.checks) ------------------------------------------

@dataclass(frozen=True)
class RawChange:
    """One file a commit changes, as `git log --raw` lists it (full blob ids)."""

    status: str          # A, M, D, R, C, T
    old_mode: str
    new_mode: str
    old_blob: str
    new_blob: str
    path: str            # the path after the commit (the old path for a deletion)
    old_path: str | None  # for renames and copies


def raw_changes(repo: GitRepo, revs: str) -> dict[str, list[RawChange]]:
    """The files each commit of a range changes, from one `git log --raw`: {commit: changes}."""
    out = repo.run("-c", "core.quotePath=false", "log", "--raw", "--no-abbrev", "-M",
                   "--format=%x01%H", revs, "--", strip=False)
    changes: dict[str, list[RawChange]] = {}
    for chunk in out.split("\x01")[1:]:
        sha, _, rest = chunk.partition("\n")
        changes[sha] = [_raw(line) for line in rest.splitlines() if line.startswith(":")]
    return changes


def _raw(line: str) -> RawChange:
    meta, *names = line.split("\t")
    old_mode, new_mode, old_blob, new_blob, status = meta[1:].split()
    old_path = names[0] if len(names) > 1 else None
    return RawChange(status[0], old_mode, new_mode, old_blob, new_blob, names[-1], old_path)


def read_blobs(repo: GitRepo, blobs: Iterable[str]) -> dict[str, bytes]:
    """The bytes of each blob, from one `git cat-file --batch`: {blob id: bytes}."""
    wanted = list(dict.fromkeys(blobs))
    if not wanted:
        return {}
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as names:
        names.write("".join(f"{blob}\n" for blob in wanted))
        names.flush()
        with open(names.name, "rb") as stream:
            proc = _git(("cat-file", "--batch"), repo.top, stream)
    if proc.returncode:
        raise _failed(("cat-file",), proc.stderr)
    found, out, at = {}, proc.stdout, 0
    for blob in wanted:
        end = out.index(b"\n", at)
        header = out[at:end].split()
        if len(header) != 3:  # "<id> missing"
            raise PatchpilotError(f"git cat-file failed: no object {blob}",
                                  hint="check the repository state (git fsck)")
        size = int(header[2])
        found[blob] = out[end + 1:end + 1 + size]
        at = end + 2 + size
    return found


def read_blob(repo: GitRepo, blob: str) -> bytes:
    """The bytes of one blob."""
    return read_blobs(repo, [blob])[blob]


GitRepo.raw_changes = raw_changes
GitRepo.read_blob = read_blob
GitRepo.read_blobs = read_blobs
