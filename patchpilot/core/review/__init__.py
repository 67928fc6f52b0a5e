"""The review of a sent series: lore access (lore), mail parsing (mail), thread
analysis (thread), the review database (db), and what the screens read (replies, summary,
comments).

May import: series, git and the base.
"""
