"""The review of a sent series, one pipeline: fetch (lore), parse (mail), read a reply as a
reviewer means it (quotes, classify, tags, anchor, thread), analyse each cached thread once
(threads), join the user's state (db) into the one model (model: Review, Reply, Comment) that
every consumer reads (replies: the Reader; summary: the home screen's counts; comments: the
pre-flight and the series screen); and a series' prerequisites as posted (prereqs).

May import: series, b4 (its formats), git and the base.
"""
