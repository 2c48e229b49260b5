"""Pause Python's cyclic garbage collector while building large object graphs.

Parsing and expanding a 100,000-layer spec allocates millions of small
objects and no reference cycles worth collecting; the collector's periodic
full scans made that work grow faster than the spec (about 2x slower at 100k
layers).  Reference counting still frees everything as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
