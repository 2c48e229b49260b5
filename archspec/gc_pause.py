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


# The command line starts with the collector paused: importing pydantic, lark
# and archspec allocates a few hundred thousand objects, none of them garbage
# cycles, and the collector's passes over them were a tenth of the example's
# start-up.  Once the spec is loaded, what exists is frozen (later passes skip
# it: it lives until the process ends) and the collector runs again.
_paused_for_start_up = False


def pause_for_start_up() -> None:
    global _paused_for_start_up
    if gc.isenabled():
        gc.disable()
        _paused_for_start_up = True


def resume_after_start_up() -> None:
    """Called once the command has what it needs loaded; nothing if the
    command line did not pause the collector (the API, tests)."""
    global _paused_for_start_up
    if _paused_for_start_up:
        _paused_for_start_up = False
        gc.freeze()
        gc.enable()
