"""The series model and everything a user can do, with no Textual and no Rich.

Core returns data and raises PatchpilotError(message, hint); it never prints and never exits.
"""
