"""A layer archspec cannot price: an operator of an imported graph that no
kind describes (`archspec import --opaque`).

It keeps the graph running through the analysis: its output is the
C x H x W the source graph declared at the size it was imported at --
whatever the input, so the analysis is right at that size only -- and it
counts nothing under any convention (no parameters, no FLOPs), which the
import reports.  Its output is still a tensor, so feature memory counts it.
"""

from __future__ import annotations

from .base import NEW, Arity, Backward, Example, Layer, per_convention
from .families import NoParameters
from .fields import Positive
from .formula import ZERO, Uncounted
from .shape import IMAGE, Shape
from .terms import INPUTS, OUT

UNPRICED = Uncounted("an imported operator archspec has no kind for (counted as nothing)")


class Opaque(NoParameters, Layer):
    kind = "opaque"
    positional = ("c", "h", "w")
    summary = "an imported operator archspec cannot price: output C x H x W as declared, counting nothing"
    category = "unpriced"
    arity = Arity(1, None)
    example = Example(((4, 3, 5),), {"c": 2, "h": 3, "w": 1, "op": "LSTM"})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = IMAGE
    macs = ZERO
    flops = per_convention(burden=UNPRICED, fvcore=UNPRICED, ptflops=UNPRICED, thop=UNPRICED, calflops=UNPRICED)
    backward = Backward(input_grad=ZERO, weight_grad=ZERO)
    work = ZERO
    traffic = INPUTS + OUT

    c: Positive
    h: Positive = 1
    w: Positive = 1
    op: str = ""  # the source's operator, e.g. "LSTM"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self.c, self.h, self.w

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        source = f" of the imported {self.op}" if self.op else ""
        return [f"{self.h}x{self.w}x{self.c}: the declared output{source}, at every input size"]


__all__ = ["Opaque"]
