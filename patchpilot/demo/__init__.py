"""Real kernel trees for the demo and the test bed, built from Debian's linux-source package.

Nothing here imports Textual; the TUI and the tests call it.
"""
