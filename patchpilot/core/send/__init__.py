"""Sending a series: the plan and the send through b4 (flow), the pre-flight, the
send log, the relay b4 hands each message to (relay) and the send-time changes it makes
(headers: In-Reply-To, Bcc, stripped trailers).

May import: reroll, review, checks, recipients, series, b4, git and the base.
"""
