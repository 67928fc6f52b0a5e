"""The review of a sent series: lore access (lore), mail parsing (mail), thread
analysis (thread), the review database (db), what the screens read (replies, summary,
comments), and a series' prerequisites as posted (prereqs).

May import: series, b4 (its formats), git and the base.
"""
