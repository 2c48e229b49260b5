"""Functions callable in spec expressions, e.g. `int(width * 1.5)`."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

from ..limits import MAX_INT


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


def round_half_even(x: float) -> int:
    """Python's and PyTorch's round: halves go to the even neighbour,
    round_even(2.5) = 2, round_even(3.5) = 4 (torchvision sizes RegNet's
    bottleneck and squeeze-excitation widths with it)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"takes a finite number, got {x!r}")
    return int(round(x))


# RegNet's quantised linear rule: beyond these, the arguments describe no network.
REGNET_MAX_DEPTH = 1000  # blocks in all (torchvision's largest RegNet has 27)
REGNET_MAX_STAGES = 32  # every stage halves the side


def regnet_stages(depth: int, w0: int, wa: float, wm: float, group_width: int,
                  bottleneck: float = 1.0, *, stages: int) -> tuple[tuple[int, ...], ...]:
    """RegNet's stages from its quantised linear rule (Radosavovic et al. 2020,
    as torchvision's BlockParams.from_init_params computes it):

        u_j = w0 + wa * j                      j = 0 .. depth-1, a width per block
        s_j = round(log(u_j / w0) / log(wm))   the block's step on the log scale
        w_j = 8 * round(w0 * wm ** s_j / 8)    quantised to a multiple of 8

    Consecutive blocks of equal width form a stage (its depth is their count).
    Each stage's group width is min(group_width, b * w), and the bottleneck
    width b * w is rounded to a multiple of that group width (MobileNet's
    `divisible`); the stage width is that bottleneck width / b.  torchvision
    computes the rule in float32 with halves rounded to even, and so does this
    (log and power rounded once to float32), so the widths are torchvision's
    to the bit except where log(u_j / w0) / log(wm) falls within a float32 ulp
    of a half-integer, where torch's vectorised log can land on either side.

    Returns (widths, depths, group_widths), one entry per stage; `stages` is
    the count the calling spec is written for, and any other count is an error."""
    _whole("depth", depth, 1, REGNET_MAX_DEPTH)
    _whole("w0", w0, 8, MAX_INT)
    _whole("group_width", group_width, 1, MAX_INT)
    _whole("stages", stages, 1, REGNET_MAX_STAGES)
    if w0 % 8:
        raise ValueError(f"w0 must be a multiple of 8 (the quantum of the widths), got {w0}")
    for name, value, low in (("wa", wa, 0.0), ("wm", wm, 1.0), ("bottleneck", bottleneck, 0.0)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value > MAX_INT:
            raise ValueError(f"{name} must be a number up to {MAX_INT:,}, got {value!r}")
        if value < low or (value == low and name != "wa"):
            raise ValueError(f"{name} must be {'at least' if name == 'wa' else 'above'} {low:g}, got {value!r}")
    step = f32(math.log(wm))
    block_widths: list[int] = []
    for j in range(depth):
        # each operation rounded to float32, as torch computes it
        continuous = f32(f32(f32(j) * f32(wa)) + f32(w0))
        log_ratio = f32(math.log(f32(continuous / f32(w0))))
        capacity = round(f32(log_ratio / step))  # halves to even, as torch.round
        power = f32(f32(wm) ** capacity)
        block_widths.append(8 * round(f32(f32(f32(w0) * power) / f32(8))))
    widths: list[int] = []
    depths: list[int] = []
    for width in block_widths:
        if widths and widths[-1] == width:
            depths[-1] += 1
        else:
            widths.append(width)
            depths.append(1)
    if len(widths) != stages:
        raise ValueError(f"these settings give {len(widths)} stage(s) of widths {tuple(widths)} "
                         f"(depths {tuple(depths)}), and the spec is written for {stages}")
    group_widths = []
    for i, width in enumerate(widths):
        inner = int(width * bottleneck)
        if inner < 1:
            raise ValueError(f"bottleneck {bottleneck} leaves no channel in a stage of width {width}")
        group = min(group_width, inner)
        widths[i] = int(make_divisible(inner, group) / bottleneck)
        group_widths.append(group)
    if max(widths) > MAX_INT:
        raise ValueError(f"a stage width of {max(widths):,} is beyond any real network")
    return tuple(widths), tuple(depths), tuple(group_widths)


def f32(x: float) -> float:
    """x rounded to the nearest float32 (ties to even), as a Python float.  A
    sum, product or quotient of two float32 values computed in double precision
    and then rounded this way is exactly the float32 result (53 >= 2·24 + 2
    bits), so torch's float32 arithmetic is reproduced without numpy."""
    return float(struct.unpack("f", struct.pack("f", x))[0])


def _whole(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high:,}, got {value!r}")


def length(value: Any) -> int:
    """`len(t)`: how many items a tuple has."""
    if not isinstance(value, tuple):
        raise ValueError(f"takes a tuple, got {spelt(value)}")
    return len(value)


def spelt(value: Any) -> str:
    """`str(x)`: a value as the spec language writes it (for messages: `error("got " + str(n))`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return value if isinstance(value, str) else repr(value)
    if isinstance(value, tuple):
        items = [spelt(item) for item in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    raise ValueError(f"takes a number, a string, true/false or a tuple of them, not {type(value).__name__}")


BUILTINS: dict[str, Callable[..., Any]] = {
    "len": length,
    "str": spelt,
    "min": min,
    "max": max,
    "abs": abs,
    "int": int,
    "float": float,
    "round": round_half_away,
    "floor": lambda x: int(math.floor(x)),
    "ceil": lambda x: int(math.ceil(x)),
    "divisible": make_divisible,
    "round_even": round_half_even,
    "regnet_stages": regnet_stages,
}
