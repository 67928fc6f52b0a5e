"""`python -m patchpilot.demo`: build the demo tree (once) and print its path."""

import sys

from patchpilot.core.errors import PatchpilotError
from patchpilot.demo.series import demo_tree

try:
    print(demo_tree())
except PatchpilotError as exc:
    print(f"patchpilot: error: {exc}", file=sys.stderr)
    sys.exit(2)
