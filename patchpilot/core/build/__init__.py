"""Building every patch of a series: make LLVM=1 CLIPPY=1 in a private checkout, rustdoc, and
the KUnit tests through kunit.py; see runner.py. No UI."""
