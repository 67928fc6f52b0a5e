"""Run a command inside a Debian root (the build wrapper of the test bed and the demo):

    python -m patchpilot.demo.inroot ROOT COMMAND [ARG...]

In a private mount namespace (`unshare -m`), /proc, /dev and /sys are mounted into ROOT, and
each directory of $PATCHPILOT_BUILD_DIRS (the build's tree and output directory) is
bind-mounted at its own path; then the command runs chrooted, with a clean environment and the
root's PATH, so nothing of the host's toolchain leaks in. The process keeps its pid and process
group from start to end, so a kill of the group reaches the command and its children.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "--inside":
        return _inside(Path(argv[1]), argv[2:])
    if len(argv) < 2:
        print("usage: python -m patchpilot.demo.inroot ROOT COMMAND [ARG...]", file=sys.stderr)
        return 2
    unshare = shutil.which("unshare")
    if unshare is None:
        print("inroot: unshare (util-linux) is not installed", file=sys.stderr)
        return 2
    os.execv(unshare, [unshare, "-m", "--propagation", "private", sys.executable, "-m",
                       "patchpilot.demo.inroot", "--inside", *argv])
    return 2  # not reached


def _inside(root: Path, command: list[str]) -> int:
    mounts = [(["-t", "proc", "proc"], root / "proc"), (["--rbind", "/dev"], root / "dev"),
              (["--rbind", "/sys"], root / "sys")]
    dirs = [Path(d) for d in os.environ.get("PATCHPILOT_BUILD_DIRS", "").split(":") if d]
    mounts += [(["--bind", str(d)], root / str(d).lstrip("/")) for d in dirs if d.is_dir()]
    for options, target in mounts:
        target.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", *options, str(target)], capture_output=True, text=True)
        if done.returncode != 0:
            print(f"inroot: mount {target}: {done.stderr.strip()}", file=sys.stderr)
            return 2
    if (root / "dev" / "kvm").exists():
        # KVM cannot run guests on the test bed's machines (nested virtualisation: the guest
        # hangs after the BIOS); kunit.py asks QEMU for kvm first, then falls back to TCG.
        subprocess.run(["mount", "--bind", "/dev/null", str(root / "dev" / "kvm")],
                       capture_output=True)
    cwd = os.getcwd()
    os.chroot(root)
    os.chdir(cwd if Path(cwd).is_dir() else "/")
    env = {"PATH": PATH, "HOME": "/root", "LC_ALL": "C.UTF-8", "TERM": "dumb"}
    env.update({k: v for k, v in os.environ.items() if k.startswith("PATCHPILOT_BUILD")})
    try:
        os.execvpe(command[0], command, env)
    except FileNotFoundError:
        print(f"inroot: {command[0]}: not found in {root}", file=sys.stderr)
        return 127
    return 2  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
