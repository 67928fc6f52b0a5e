"""A pure-Python MAINTAINERS engine with get_maintainer.pl parity: parse, index
(cached), match, and the engine that ties them (engine).

May import: git and the base.
"""
