"""Who a series goes to: the MAINTAINERS engine (maintainers/), the Rust-for-Linux
policy and the user's own choices (compute, choices), written into the cover through b4
(write, hook).

May import: series, b4, git and the base.
"""
