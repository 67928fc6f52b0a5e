"""The user's own editor for a text patchpilot composes (an answer to a reviewer): the one git
would start (`git var GIT_EDITOR`: $GIT_EDITOR, core.editor, $VISUAL, $EDITOR, then vi), run
on a temporary file the way git runs it (through the shell, the file as its argument).

The text comes back as the editor left the file; an editor that fails (exit status not 0)
leaves the text as it was, with one clear error. No UI: the screen suspends itself around it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from patchpilot.core.errors import PatchpilotError
from patchpilot.core.git.repo import GitRepo


def editor_command(repo: GitRepo) -> str:
    """The editor git would start for a commit message in this repository."""
    command = repo.try_run("var", "GIT_EDITOR")
    if not command:
        raise PatchpilotError("git names no editor", hint="git config core.editor vim")
    return command


def edit_text(repo: GitRepo, text: str, name: str = "answer.txt") -> str:
    """`text` as the user left it in their editor (unchanged when the editor fails)."""
    command = editor_command(repo)
    with tempfile.TemporaryDirectory(prefix="patchpilot-") as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        try:
            proc = subprocess.run(["sh", "-c", f'{command} "$@"', command, str(path)],
                                  cwd=repo.top, env=dict(os.environ), check=False)
        except OSError as exc:
            raise PatchpilotError(f"could not start the editor {command!r}: {exc}",
                                  hint="git config core.editor vim") from None
        if proc.returncode:
            raise PatchpilotError(f"the editor {command!r} exited with status "
                                  f"{proc.returncode}; the text is as it was",
                                  hint="git config core.editor names the editor")
        return path.read_text(encoding="utf-8", errors="replace")
