"""Git, the only code that imports GitPython (repo) and the guarded rewrites of a
user's branch (rewrite: backup ref, journal, recovery, undo), and scratch space for patches
on no branch (worktree: a scratch checkout for `git am`, a scratch index for apply tests).

May import: the base (errors, paths, text, fs). Nothing above.
"""
