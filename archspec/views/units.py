"""Human-readable figures: the reference table's own rounding, for the model
table and the reports, and three significant figures for everything else the
command line prints.

The reference's rounding.  convnet-burden picks the unit from floor(log(x) / log(base)) and prints the
scaled number with no decimals, so 0.6 GB is written `614 MB` and 1.5 GB `2 GB`.
It prints with `num2str(x, '%.0f')`, which is C's printf: the nearest whole
number, an exact tie going to the even neighbour (36.5 GB is `36 GB`).  Python's
own `format(x, ".0f")` rounds the same way.  Its `MB` is 1024 x 1024 bytes.

The command line's summaries.  Three significant figures with a unit that
says its base: memory in binary units (KiB, MiB, GiB: powers of 1024, as the
reference's own KB, MB, GB are), counts in decimal prefixes (k, M, G: powers
of 1000), so 102,440,608 bytes read `97.7 MiB` and 4,089,184,256 FLOPs
`4.09 GFLOPs`.
"""

from __future__ import annotations

import math
from fractions import Fraction

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


BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
DECIMAL_PREFIXES = ("", "k", "M", "G", "T", "P", "E", "Z", "Y")
# One line for a summary: which base each unit uses.
UNITS_NOTE = "binary memory units (1 MiB = 2^20 B), decimal count prefixes (1 G = 10^9)"


def _three_figures(value: float, base: int, units: tuple[str, ...]) -> tuple[str, str]:
    """`value` scaled to the largest unit that leaves it at least 1, written
    with three significant figures (exactly, as `significant` rounds); a value
    that rounds up to 1000 moves to the next unit (0.999 MiB rather than
    1020 KiB).  Whole numbers below the first step stay whole (512 B, 7 FLOPs)."""
    if value < base and value == int(value):
        return f"{int(value)}", units[0]
    place = 0
    while place + 1 < len(units) and value >= base ** (place + 1):
        place += 1
    written = _significant(Fraction(value) / base ** place, 3)
    if float(written.replace(",", "")) >= 1000 and place + 1 < len(units):  # 1,000 to 1,023 KiB
        place += 1
        written = _significant(Fraction(value) / base ** place, 3)
    return written, units[place]


def binary_memory(nbytes: float) -> str:
    """`97.7 MiB`: bytes in binary units, three significant figures."""
    number, unit = _three_figures(nbytes, 1024, BINARY_UNITS)
    return f"{number} {unit}"


def decimal_count(count: float, unit: str) -> str:
    """`4.09 GFLOPs`, `582 MMACs`: a count with a decimal prefix, three significant figures."""
    number, prefix = _three_figures(count, 1000, DECIMAL_PREFIXES)
    return f"{number} {prefix}{unit}"


def significant(count: int, unit: int, figures: int = 3) -> str:
    """`count / unit` to `figures` significant figures, computed exactly (no
    binary rounding on the way), a tie rounded up, thousands grouped:
    (25_557_032, 10**6) `25.6`; (4_089_184_256, 10**9) `4.09`;
    (1_016_717_000_000, 10**9) `1,020`; (61_100, 10**6) `0.0611`."""
    if count < 0 or unit <= 0 or figures < 1:
        raise ValueError("significant() takes a count of at least 0, a positive unit and a figure count")
    return _significant(Fraction(count, unit), figures)


def _significant(value: Fraction, figures: int) -> str:
    if value == 0:
        return "0"
    if value >= 1:
        lead = len(str(value.numerator // value.denominator)) - 1  # 10**lead <= value < 10**(lead + 1)
    else:
        lead = 0
        while value * 10 ** -lead < 1:
            lead -= 1
    decimals = figures - 1 - lead  # digits after the point; negative: zeros before it
    rounded = math.floor(value * Fraction(10) ** decimals + Fraction(1, 2))
    if rounded == 10 ** figures:  # 9.996 rounds to 10.0: one digit fewer after the point
        rounded, decimals = rounded // 10, decimals - 1
    if decimals <= 0:
        return f"{rounded * 10 ** -decimals:,}"
    whole, fraction = divmod(rounded, 10 ** decimals)
    return f"{whole:,}.{fraction:0{decimals}d}"
