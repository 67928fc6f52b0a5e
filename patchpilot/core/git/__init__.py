"""Git, the only code that imports GitPython (repo) and the guarded rewrites of a
user's branch (rewrite: backup ref, journal, recovery, undo).

May import: the base (errors, paths, text, fs). Nothing above.
"""
