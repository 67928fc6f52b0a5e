"""Which configuration a series is built with, from the build settings (`build.config`,
`--kbuild`) and the files the series touches; kconfig.py reads the symbols from the tree.

The default configuration of a build home only grows: the symbols earlier series needed stay
on (kept in the home's O= directory), so that going from one series to another does not
reconfigure and rebuild the tree. No UI.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from patchpilot.core.build import kconfig
from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo, read_blobs

SYMBOLS = ".patchpilot-symbols"


def kind_of(choice: kconfig.ConfigChoice) -> str:
    """The build home's name part: "default", or the user's configuration by its digest."""
    if choice.kind == "default":
        return "default"
    return f"{choice.kind}-{hashlib.sha256(choice.config_text.encode()).hexdigest()[:10]}"


def choose_config(repo: GitRepo, setting: str, base: str,
                  touched: list[str]) -> kconfig.ConfigChoice:
    """auto (or empty): the smallest configuration for `touched`; tree: the tree's .config;
    else the .config of a build directory, or a file."""
    if setting in ("", "auto"):
        return _default_choice(repo, base, touched)
    if setting == "tree":
        path = repo.top / ".config"
        kind, described = "tree", f".config of {repo.top}"
    else:
        given = Path(setting).expanduser()
        path = given / ".config" if given.is_dir() else given
        kind, described = "kbuild", f"{path} (copied; that directory is not built in)"
    if not path.is_file():
        raise PatchpilotError(f"no kernel configuration at {path}",
                              hint="make one (make LLVM=1 menuconfig), or leave build.config "
                                   "at auto for the smallest one that builds the series")
    text = path.read_text(errors="replace")
    notes = () if kconfig.rust_on(text) else (
        f"{path} does not enable CONFIG_RUST: no Rust code is built, clippy says nothing",)
    return kconfig.ConfigChoice(kind, described, config_text=text, notes=notes)


def _default_choice(repo: GitRepo, base: str, touched: list[str]) -> kconfig.ConfigChoice:
    """Every Kconfig file of `base` read at once; Makefiles one by one, as kconfig asks."""
    listing = repo.run("ls-tree", "-r", "--name-only", base, "--", "*Kconfig*").splitlines()
    blobs = read_blobs(repo, [f"{base}:{path}" for path in listing])
    texts = {path: blobs[f"{base}:{path}"].decode(errors="replace") for path in listing}

    def read(path: str) -> str | None:
        if "Kconfig" in path.rsplit("/", 1)[-1]:
            return texts.get(path)
        return repo.try_run("show", f"{base}:{path}", strip=False)
    return kconfig.default_choice(read, touched, sorted(texts))


def with_earlier_symbols(choice: kconfig.ConfigChoice, out: Path) -> kconfig.ConfigChoice:
    """The default `choice` with the symbols earlier series needed in this O= directory, in
    one order whatever the series (the same set of symbols is the same configuration)."""
    if choice.kind != "default":
        return choice
    try:
        earlier = (out / SYMBOLS).read_text().split()
    except OSError:
        earlier = []
    extra = [line for line in earlier if line not in choice.fragment]
    base = [f"CONFIG_{s}=y" for s in kconfig.BASE_SYMBOLS]
    lines = base + sorted({*choice.fragment, *extra} - set(base))
    described = choice.described if not extra else (
        f"{choice.described} (and {len(extra)} symbol(s) earlier series in this build "
        "directory needed)")
    return replace(choice, fragment=tuple(lines), described=described)


def remember_symbols(choice: kconfig.ConfigChoice, out: Path) -> None:
    """After configuring `out`: its symbols, for the next series' with_earlier_symbols."""
    (out / SYMBOLS).write_text("".join(f"{line}\n" for line in choice.fragment))
