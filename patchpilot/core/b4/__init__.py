"""b4, the only code that runs b4 (cli) or knows its formats: the tracking JSON, the
cover strategies and their git-config keys, the sent tags' fields.

May import: git and the base.
"""
