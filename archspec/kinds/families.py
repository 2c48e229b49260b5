"""Facts that whole families of kinds share, each named for what it says.
A kind states them by listing the family among its bases, where a reader
sees it; `Layer` itself states none."""

from __future__ import annotations

from .formula import Formula
from .shape import SAME, Shape


class KeepsShape:
    """Its output has its first input's shape: no resampling, nothing to write out."""

    layout = SAME

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0]

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return []


class NoParameters:
    """It learns and stores nothing."""

    def learnable(self) -> dict[str, Formula]:
        return {}

    def buffers(self) -> dict[str, Formula]:
        return {}


def collapse_line(inputs: list[Shape], output: Shape) -> list[str]:
    """`7x7 → 1x1` for a layer that collapses its input's positions."""
    _, h, w = inputs[0]
    if output[1:] == (1, 1) and (h, w) != (1, 1):
        return [f"{h}x{w} → 1x1"]
    return []
