"""Per-patch checkers: one module per tool, all returning `Finding`s (see model.py).

Plain data in, plain data out; nothing here imports textual or rich or prints.
"""
