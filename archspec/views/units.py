"""Human-readable figures, exactly as the reference table writes them.

convnet-burden picks the unit from floor(log(x) / log(base)) and prints the
scaled number with no decimals, so 0.6 GB is written `614 MB` and 1.5 GB `2 GB`.
It prints with `num2str(x, '%.0f')`, which is C's printf: the nearest whole
number, an exact tie going to the even neighbour (36.5 GB is `36 GB`).  Python's
own `format(x, ".0f")` rounds the same way.
"""

from __future__ import annotations

import math

MEMORY_UNITS = ("B", "KB", "MB", "GB", "TB", "PB", "EB")
FLOP_PREFIXES = ("", "K", "M", "G", "T", "P", "E", "Z", "Y")


def _place(value: float, base: int, units: int) -> int:
    if value <= 0:
        return 0
    # the same floating-point expression as MATLAB's, so boundaries agree
    return max(0, min(units - 1, math.floor(math.log(value) / math.log(base))))


def readable_memory(nbytes: float) -> str:
    place = _place(nbytes, 1024, len(MEMORY_UNITS))
    return f"{nbytes / 1024 ** place:.0f} {MEMORY_UNITS[place]}"


def readable_flops(flops: float) -> str:
    place = _place(flops, 1000, len(FLOP_PREFIXES))
    return f"{flops / 1000 ** place:.0f} {FLOP_PREFIXES[place]}FLOPs"


def readable_count(n: int) -> str:
    """Parameter counts: 25,557,032."""
    return f"{n:,}"
