"""`patchpilot doctor [--json]`: the Rust toolchain against the tree's minimum versions,
rustfmt, clippy, rust-src, clang/LLVM, perl, the configured Rust build, klint, whether the
commit-graph has Bloom filters, and the toolchain `patchpilot build` uses with the kernel's own
verdict on it (make LLVM=1 rustavailable)."""

from __future__ import annotations

import argparse

from patchpilot.cli.output import Output, Subparsers
from patchpilot.core.errors import ExitCode

MARK = {"ok": "ok     ", "missing": "MISSING", "old": "TOO OLD", "info": "note   "}


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("doctor", help="check the tools patchpilot and the kernel need")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--kbuild", metavar="DIR", help="the kernel build directory to check")
    parser.add_argument("--arch", metavar="ARCH",
                        help="the architecture to build for (default: $ARCH, else this "
                             "machine's); the tree sets some minimum versions per architecture")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Output) -> ExitCode:
    from patchpilot.core.build.readiness import build_items
    from patchpilot.core.build.settings import options_from
    from patchpilot.core.checks.doctor import diagnose, healthy, summary
    from patchpilot.core.config import Config
    from patchpilot.core.series.model import open_kernel_repo

    repo = open_kernel_repo(args.directory)
    config = Config(repo, flags={"checks.kbuild": args.kbuild})
    items = diagnose(repo.top, config.text("checks.kbuild"), config.text("checks.klint"),
                     repo.git_dir, arch=args.arch)
    items += build_items(repo.top, options_from(config).toolchain, args.arch or "")
    if args.json:
        out.json({"items": [i.to_json() for i in items], "healthy": healthy(items),
                  "summary": summary(items)})
    else:
        for item in items:
            found = item.found or "-"
            need = f" (needs {item.required})" if item.required else ""
            out.line(f"{MARK[item.status]} {item.name:<10} {found}{need}")
            if item.hint:
                out.line(f"           -> {item.hint}")
        out.line(summary(items))
    return ExitCode.OK if healthy(items) else ExitCode.FAILURE
