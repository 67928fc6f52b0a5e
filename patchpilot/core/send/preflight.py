"""Pre-flight before sending: each check is a line with its state and how to fix it.

Also the sending environment as b4 reads it from git config (identity, `sendemail.*`), so a
missing `user.email` or SMTP setting is one clear line each instead of b4's web-endpoint
fallback. A failing line blocks sending unless the user overrides it by name (recorded in the
send log); the identity and transport lines cannot be overridden.
Never prints; no passwords are read here (only the relay reads one, at delivery time).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from patchpilot.core.b4 import cli as b4cli
from patchpilot.core.build.runner import cached_report
from patchpilot.core.build.settings import options_from, series_patches
from patchpilot.core.checks.runner import check_series
from patchpilot.core.config import Config
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo
from patchpilot.core.reroll.stale import stale_tags
from patchpilot.core.review.comments import open_comments
from patchpilot.core.review.prereqs import LoreSource, check_prerequisites
from patchpilot.core.review.replies import make_client
from patchpilot.core.send.message import Message
from patchpilot.core.send.sign import signing_key
from patchpilot.core.series import rangediff
from patchpilot.core.series.cover import editme_lines, stray_recipients
from patchpilot.core.series.model import Series

State = Literal["ok", "fail", "warn", "skipped"]
OK: State = "ok"
FAIL: State = "fail"
WARN: State = "warn"
SKIP: State = "skipped"
RFL = "rust-for-linux@vger.kernel.org"
TRANSPORT_KEYS = ("smtpserver", "smtpserverport", "smtpencryption", "smtpuser", "smtpauth",
                  "sendmailcmd", "from", "envelopesender")
STRAY_FIX = ("patchpilot recipients --write (moves them into the trailers), or patchpilot cover "
             "--edit")
_RECIPIENT = re.compile(r"^(to|cc):\s*\S+@", re.I)
ENVIRONMENT = ("identity", "transport")  # nothing can be sent without them: no override
B4_FIXES = {"needs-editing": "patchpilot cover --edit", "needs-checking": "b4 prep --check",
            "needs-checking-deps": "b4 prep --check-deps",
            "needs-auto-to-cc": "patchpilot recipients --write",
            "misplaced-body": "move the text below '---' in the cover into its body"}


@dataclass
class Line:
    """One pre-flight line."""

    name: str
    state: State
    detail: str
    fix: str = ""

    def blocks(self, overrides: list[str]) -> bool:
        return self.state == FAIL and self.name not in overrides


# -- the sending environment ------------------------------------------------------------------

def transport_config(repo: GitRepo) -> dict[str, Any]:
    """`sendemail.*` as b4 reads it (with b4.sendemail-identity / sendemail.identity), no
    password; raises when neither smtpServer nor sendmailCmd is set, or user.email is not."""
    found = transport_settings(repo)
    found["from"] = found["from"] or check_identity(repo)
    return found


def transport_settings(repo: GitRepo) -> dict[str, Any]:
    """transport_config without the sender (the `from` key may be empty)."""
    identity = repo.config("b4.sendemail-identity") or repo.config("sendemail.identity")
    found: dict[str, Any] = {"identity": identity or ""}
    for key in TRANSPORT_KEYS:
        value = repo.config(f"sendemail.{identity}.{key}") if identity else None
        found[key] = value if value is not None else (repo.config(f"sendemail.{key}") or "")
    if not (found["smtpserver"] or found["sendmailcmd"]):
        raise PatchpilotError(
            "no mail transport: git config has no sendemail.smtpServer or sendemail.sendmailCmd",
            hint="git config sendemail.smtpServer smtp.example.org (and smtpServerPort, "
                 "smtpEncryption tls, smtpUser); patchpilot never uses b4's web endpoint")
    # git send-email's rule: unset verifies against the system CAs, "" turns checking off
    cert = repo.config(f"sendemail.{identity}.smtpsslcertpath") if identity else None
    found["smtpsslcertpath"] = cert if cert is not None else repo.config(
        "sendemail.smtpsslcertpath")
    if "/" in found["smtpserver"] and not found["sendmailcmd"]:
        found["sendmailcmd"] = found["smtpserver"]  # git's older spelling of a local command
    return found


def transport_hint(kind: str, transport: dict[str, Any]) -> str:
    """What to check for a transport failure of `kind` (see relay.classify), naming
    the git config keys and their values now (never a password)."""
    if kind == "command" or transport.get("sendmailcmd"):
        return f"check git config sendemail.sendmailCmd ({transport['sendmailcmd']})"
    value = {k: transport.get(k.lower()) or "unset" for k in
             ("smtpServer", "smtpServerPort", "smtpUser", "smtpEncryption")}
    server = f"sendemail.smtpServer ({value['smtpServer']}), sendemail.smtpServerPort " \
             f"({value['smtpServerPort']})"
    encryption = f"sendemail.smtpEncryption ({value['smtpEncryption']}; ssl for port 465, " \
                 "tls for 587)"
    if kind == "auth":
        return (f"check git config sendemail.smtpUser ({value['smtpUser']}), its password "
                f"(sendemail.smtpPass or a git credential helper) and {encryption}: like b4, "
                f"patchpilot logs in only with tls or ssl; also {server}")
    if kind == "timeout":
        return (f"is it the right server, and up? check git config {server}, {encryption}; "
                f"patchpilot waits {transport['timeout']:g}s for each answer "
                "(git config patchpilot.send.smtp-timeout)")
    if kind in ("refused", "resolve", "network"):
        return f"is the server up? check git config {server}, {encryption}"
    if kind == "tls":
        cert = transport.get("smtpsslcertpath")
        return (f"check git config {encryption}, {server}, sendemail.smtpSSLCertPath "
                f"({'unset: the system CAs' if cert is None else cert or 'empty: not checked'}"
                "; a CA file or directory to trust, \"\" not to check, as git send-email)")
    return (f"the server's answer says why; if it persists check git config {server}, "
            f"sendemail.smtpUser ({value['smtpUser']}), {encryption}")


def check_identity(repo: GitRepo) -> str:
    """The sender's address (user.email), or a clear error saying what to set."""
    address = repo.config("user.email")
    if not address:
        raise PatchpilotError("git config has no user.email: b4 cannot tell who sends",
                              hint='git config user.email you@example.org (and user.name "Your '
                                   'Name")')
    return address


def lore_link(repo: GitRepo, msgid: str) -> str:
    mask = repo.config("b4.linkmask") or "https://lore.kernel.org/r/%s"
    return mask % msgid.strip("<>")


# -- the checks -------------------------------------------------------------------------------

def run_preflight(repo: GitRepo, series: Series, messages: Sequence[Message] | None = None,
                  run_checks: bool = True, config: Config | None = None,
                  early: list[Line] | None = None) -> list[Line]:
    """Every pre-flight line for `series`; `messages` is the preview (core.send.preview);
    `early`: early_preflight's lines when the caller already has them."""
    config = config or Config(repo)
    checks = _checks(repo, series, config) if run_checks else \
        Line("checks", SKIP, "not run", "patchpilot check")
    built = build_line(repo, series, config) if run_checks else \
        Line("build", SKIP, "not looked at", "patchpilot build")
    deps = prerequisites_line(repo, series, config)
    return [*(early if early is not None else early_preflight(repo, series)),
            _recipients(series, messages),
            _comments(repo, series), _older_tags(repo, series), deps, checks, built,
            *_b4_preflight(repo, checks.state in (OK, WARN), deps.state == OK)]


def early_preflight(repo: GitRepo, series: Series) -> list[Line]:
    """The lines that need neither b4's preview nor the checks (a screen shows them at once,
    while b4 works): who sends and how, the tree, the patches, EDITME, sign-offs."""
    return [*environment(repo), _signing(repo), _tree(repo), _patches(series),
            _editme(series), _stray(series), _signoffs(series)]


def environment(repo: GitRepo) -> list[Line]:
    """Who sends (user.email) and how (sendemail.*): the two lines no override can pass."""
    try:
        transport = transport_settings(repo)
        via = transport["sendmailcmd"] or \
            f"{transport['smtpserver']}:{transport['smtpserverport'] or 25}"
        how = Line("transport", OK, f"via {via}")
    except PatchpilotError as exc:
        transport, how = {}, Line("transport", FAIL, exc.message, exc.hint)
    try:
        who = Line("identity", OK, f"from {transport.get('from') or check_identity(repo)}")
    except PatchpilotError as exc:
        who = Line("identity", FAIL, exc.message, exc.hint)
    return [who, how]


def _signing(repo: GitRepo) -> Line:
    """Whether the mail is signed with patatt, as b4 signs it (send.sign)."""
    key = signing_key(repo)
    if key:
        return Line("signature", OK, f"signed with patatt ({key[:60]}), as b4 does")
    return Line("signature", OK, "not signed: no patatt key configured (patatt genkey, then "
                                 "git config patatt.signingkey), or b4.send-no-patatt-sign")


def _tree(repo: GitRepo) -> Line:
    if repo.is_dirty():
        return Line("clean-tree", FAIL, "the work tree has uncommitted changes",
                    "commit or stash them (b4 refuses to send from a dirty tree)")
    return Line("clean-tree", OK, "no uncommitted changes")


def _patches(series: Series) -> Line:
    if not series.patches:
        return Line("patches", FAIL, "the series has no patches", "commit your work first")
    return Line("patches", OK, f"{len(series.patches)} patch(es)")


def _editme(series: Series) -> Line:
    text = f"{series.cover_subject or ''}\n{series.cover_body or ''}"
    lines = [line.strip() for _, line in editme_lines(text)]
    if lines:
        return Line("cover", FAIL, f"{len(lines)} EDITME line(s) in the cover: {lines[0][:60]}",
                    "patchpilot cover --edit")
    return Line("cover", OK, "no EDITME left in the cover")


def _stray(series: Series) -> Line:
    """To:/Cc: lines below the cover's `---` go out as text, not as recipients."""
    stray = stray_recipients(series.cover_body or "")
    if stray:
        return Line("cover-to-cc", FAIL, f"{len(stray)} To:/Cc: line(s) below --- in the "
                    f"cover would be mailed as text: {stray[0][:60]}", STRAY_FIX)
    return Line("cover-to-cc", OK, "no To:/Cc: line in the cover's text")


def _signoffs(series: Series) -> Line:
    missing = [p.index for p in series.patches
               if not any(t.name.lower() == "signed-off-by" for t in p.trailers)]
    if missing:
        return Line("sign-off", FAIL, f"no Signed-off-by in patch(es) "
                    f"{', '.join(map(str, missing))}", "git rebase -i, then git commit --amend -s")
    return Line("sign-off", OK, "every patch is signed off")


def _recipients(series: Series, messages: Sequence[Message] | None) -> Line:
    if messages is None:
        return Line("recipients", SKIP, "no preview", "patchpilot send --dry-run")
    cover = messages[0]
    if cover.position == 0 and any(_RECIPIENT.match(line) for line in cover.body.splitlines()):
        return Line("recipients", FAIL, "the cover's text holds To:/Cc: lines b4 would mail as "
                    "text", STRAY_FIX)
    everyone = {a.lower() for m in messages for a in m.recipients()}
    if not everyone:
        return Line("recipients", FAIL, "no recipients", "patchpilot recipients --write")
    rust = any(f.endswith(".rs") for p in series.patches for f in p.files)
    if rust and RFL not in {a.lower() for a in cover.recipients()}:
        return Line("recipients", FAIL, f"Rust code is touched but {RFL} is not copied",
                    f"patchpilot recipients --write (or --add-cc {RFL})")
    return Line("recipients", OK, f"{len(everyone)} recipient(s)")


def build_line(repo: GitRepo, series: Series, config: Config) -> Line:
    """The build of this exact series, from the build cache only (a build takes minutes: the
    pre-flight never starts one). Not built is said, not blocking; a patch that does not
    build, a new warning or a failing test blocks, as an error of the checks does."""
    if not series.patches:
        return Line("build", SKIP, "no patches")
    try:
        report = cached_report(repo, series.base, series_patches(series), options_from(config))
    except PatchpilotError as exc:
        return Line("build", WARN, f"not built: {exc.message}", exc.hint or "patchpilot build")
    if report is None:
        return Line("build", WARN, "this exact series has not been built (every patch, "
                    "clippy, the KUnit tests)", "patchpilot build")
    if report.ok:
        return Line("build", OK, report.summary())
    return Line("build", FAIL, report.summary(), "patchpilot build")


def _checks(repo: GitRepo, series: Series, config: Config) -> Line:
    try:
        report = check_series(repo, series, config)
    except PatchpilotError as exc:
        return Line("checks", FAIL, f"checks could not run: {exc.message}", exc.hint)
    counts = report.summary()
    errors, warnings = counts["error"], counts.get("warning", 0)
    cached = f"{report.cached}/{len(report.results)} patches from the cache"
    if errors:
        return Line("checks", FAIL, f"{errors} error(s), {warnings} warning(s) ({cached})",
                    "patchpilot check")
    if warnings:  # sent only if the user decides so: said, not blocking
        first = next(f for f in report.findings if f.severity == "warning")
        return Line("checks", WARN, f"no errors, {warnings} warning(s) ({cached}): "
                    f"{first.tool}: {first.message[:80]}", "patchpilot check")
    return Line("checks", OK, f"no errors or warnings on this exact series ({cached})")


def _comments(repo: GitRepo, series: Series) -> Line:
    """Review comments still open on the revisions already sent (from the cached replies)."""
    if not series.sent:
        return Line("comments", OK, "no earlier revision")
    still_open = open_comments(repo, series)
    if still_open:
        revisions = ", ".join(f"v{n}" for n in sorted({c.revision for c in still_open}))
        return Line("comments", FAIL, f"{len(still_open)} review comment(s) still open on "
                                      f"{revisions}",
                    "patchpilot replies --set-state ID addressed|replied|wontfix, "
                    "or --override comments")
    return Line("comments", OK, "no review comment left open")


def _older_tags(repo: GitRepo, series: Series) -> Line:
    """Review tags on patches whose code changed since the revision sent (reroll.stale):
    said, for the author to keep or drop; not blocking."""
    if not any(s.revision < series.revision for s in series.sent):
        return Line("tags", OK, "no earlier revision")
    try:
        previous = rangediff.previous_revision(series)
        old = rangediff.sent_range(repo, series, previous)
        left = [s for s in stale_tags(repo, series, rangediff.compare(repo, old, series),
                                      previous) if not s.kept]
    except PatchpilotError as exc:
        return Line("tags", SKIP, f"not compared with the revision sent: {exc.message}",
                    exc.hint)
    if left:
        which = ", ".join(str(s.patch) for s in left)
        return Line("tags", WARN, f"patch(es) {which} changed since v{previous} but keep tags "
                    f"given before: {left[0].trailers[0][:60]}",
                    f"patchpilot reroll --keep-tags N or --drop-tags N (N: {which})")
    return Line("tags", OK, "no review tag older than its patch's code")


def prerequisites_line(repo: GitRepo, series: Series, config: Config) -> Line:
    """b4's declared dependencies, checked as `b4 prep --check-deps` does (on the list, then
    applied with the series on their base-commit in a scratch worktree)."""
    if not series.prerequisites:
        return Line("prerequisites", OK, "none declared")
    try:
        found = check_prerequisites(repo, series, LoreSource(make_client(repo, config)))
    except PatchpilotError as exc:
        return Line("prerequisites", FAIL, f"cannot check them: {exc.message}",
                    f"{exc.hint}; or --override prerequisites")
    if found.failing:
        first = found.failing[0]
        more = f" (+{len(found.failing) - 1} more)" if len(found.failing) > 1 else ""
        return Line("prerequisites", FAIL, f"{first.line}: {first.reason}{more}",
                    "b4 prep --edit-deps, or --override prerequisites")
    return Line("prerequisites", OK, f"{len(found.verdicts) - 1} met, "
                                     f"{len(found.patches)} patch(es) and the series apply on "
                                     f"{found.base}")


def b4_needs(repo: GitRepo) -> list[str]:
    """b4's own pre-flight keys that are true now (`b4 send` then asks to ignore them)."""
    result = b4cli.run(b4cli.prep_show_info(), cwd=repo.top, check=False)
    if result.returncode != 0:
        raise PatchpilotError(f"b4 prep --show-info failed: {b4cli.last_error(result)}",
                              hint="see b4's message")
    info = b4cli.parse_show_info(result.stdout)
    return [k for k in B4_FIXES if info.get(k, "").lower() == "true"]


def _b4_preflight(repo: GitRepo, checks_ok: bool, deps_ok: bool = False) -> list[Line]:
    try:
        failing = b4_needs(repo)
    except PatchpilotError as exc:
        return [Line("b4", FAIL, exc.message, exc.hint)]
    if checks_ok and "needs-checking" in failing:  # our checks ran checkpatch on this series
        failing.remove("needs-checking")
    if deps_ok and "needs-checking-deps" in failing:  # the prerequisites line did b4's check
        failing.remove("needs-checking-deps")
    if not failing:
        return [Line("b4", OK, "b4's own pre-flight checks pass")]
    return [Line("b4", FAIL, f"b4 says {', '.join(failing)}",
                 "; ".join(B4_FIXES[k] for k in failing))]


def blocking(lines: list[Line], overrides: list[str]) -> list[Line]:
    """Failing lines not overridden; the environment lines block whatever the overrides."""
    return [line for line in lines if line.blocks(overrides) or
            (line.state == FAIL and line.name in ENVIRONMENT)]


def to_json(lines: list[Line]) -> list[dict[str, Any]]:
    return [asdict(line) for line in lines]
