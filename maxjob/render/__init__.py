"""Pure functions from jobs to text (`text`, `timeline`) or to rich renderables (`table`).

`sanitize` is the one place untrusted server text is made safe to show; every renderer uses it.
This package's `__init__` imports nothing, so the text outputs never pay for rich.
"""
