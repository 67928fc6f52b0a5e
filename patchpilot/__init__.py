"""patchpilot: check, address, send and follow Rust patch series for the Linux kernel."""

__version__ = "0.1.0"
