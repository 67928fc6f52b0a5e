"""From revision N as sent to N+1: the plan, trailers collected and applied, the
changelog.

May import: review, checks, recipients, series, b4, git and the base.
"""
