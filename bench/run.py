"""Run every bench/bench_*.py in this process's Python and print their results."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

for script in sorted(HERE.glob("bench_*.py")):
    print(f"== {script.name}")
    runpy.run_path(str(script), run_name="__main__")
