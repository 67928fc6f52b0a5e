"""The series model: which branch holds a series, its patches (unidiff), the cover
letter and prefixes, per-patch notes, the comparison with a sent revision (range-diff) and
starting a series.

May import: b4, git and the base.
"""
