"""Functions callable in spec expressions, e.g. `int(width * 1.5)`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def round_half_away(x: float) -> int:
    """MATLAB's round (halves away from zero), which the reference used for
    scaled input sizes: round(227 * 0.5) = 114."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def make_divisible(value: float, divisor: int = 8, minimum: int | None = None) -> int:
    """Round a channel count to a multiple of `divisor`, never dropping more than
    10% (the rule of MobileNet's and EfficientNet's reference code)."""
    minimum = divisor if minimum is None else minimum
    rounded = max(minimum, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


BUILTINS: dict[str, Callable[..., Any]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "int": int,
    "float": float,
    "round": round_half_away,
    "floor": lambda x: int(math.floor(x)),
    "ceil": lambda x: int(math.ceil(x)),
    "divisible": make_divisible,
}
