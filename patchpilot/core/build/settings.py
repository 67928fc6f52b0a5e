"""The build's options from patchpilot's configuration (the [build] settings). No UI."""

from __future__ import annotations

from pathlib import Path

from patchpilot.core import paths
from patchpilot.core.build.runner import Options
from patchpilot.core.build.toolchain import Toolchain
from patchpilot.core.config import Config
from patchpilot.core.series.model import Series


def options_from(config: Config, kbuild: str | None = None) -> Options:
    """Options of `config`; `kbuild` (--kbuild DIR) names the configuration to copy."""
    root = config.text("build.dir")
    return Options(
        root=Path(root).expanduser() if root else paths.cache_dir() / "build",
        toolchain=Toolchain.from_setting(config.text("build.wrapper")),
        config=kbuild or config.text("build.config") or "auto",
        docs=config.flag("build.docs"),
        tests=config.flag("build.tests"),
        timeout=config.number("build.timeout"),
        test_timeout=config.integer("build.test-timeout"),
        jobs=config.integer("build.jobs"),
    )


def series_patches(series: Series) -> list[tuple[int, str, str]]:
    """(index, commit, subject) of each patch of a loaded Series."""
    return [(p.index, p.commit, p.subject) for p in series.patches]
