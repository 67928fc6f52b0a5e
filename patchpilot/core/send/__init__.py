"""Sending a series: the plan and the send through b4 (flow), the pre-flight, the
send log and the relay b4 hands each message to (relay).

May import: reroll, review, checks, recipients, series, b4, git and the base.
"""
