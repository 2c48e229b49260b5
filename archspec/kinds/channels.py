"""Channel operations: ShuffleNet's channel shuffle and channel slices (what
`chunk` and `split` make).  They move values and compute nothing, so every
convention prices them at 0, as every tool does (torch.chunk, split, view,
transpose and contiguous are either ignored or not seen)."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from .base import NEW, ONE, VIEW, Backward, Example, Layer, per_convention
from .families import NoParameters
from .fields import NonNegative, Positive
from .formula import ZERO, Uncounted
from .shape import SAME, Shape, ShapeError, show
from .terms import INPUTS, OUT

MOVES_ONLY = per_convention(
    burden=Uncounted("moves values, no arithmetic"),
    fvcore=Uncounted("view, transpose, slice and copy ops are in fvcore's ignored list"),
    ptflops=Uncounted("tensor views and copies are not patched"),
    thop=Uncounted("tensor views and copies are not modules"),
    calflops=Uncounted("tensor views and copies are not patched"),
)


class Shuffle(NoParameters, Layer):
    """ShuffleNet's channel shuffle (torchvision's `channel_shuffle`): the
    channels, seen as groups x C/groups, are transposed -- a view, a transpose
    and a contiguous copy, so the output is a new tensor."""

    kind = "shuffle"
    positional = ("groups",)
    summary = "channel shuffle (ShuffleNet): groups x C/groups transposed, a new tensor"
    category = "data movement"
    arity = ONE
    example = Example(((6, 3, 5),), {"groups": 2})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = SAME
    macs = ZERO
    flops = MOVES_ONLY
    backward = Backward(input_grad=ZERO, weight_grad=ZERO)  # the gradient is shuffled back
    work = ZERO
    traffic = INPUTS + OUT

    groups: Positive

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c = inputs[0][0]
        if c % self.groups:
            raise ShapeError(f"{c} channels do not split into groups={self.groups}")
        return inputs[0]

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        c = inputs[0][0]
        return [f"{c} channels as {self.groups} x {c // self.groups}, transposed"]


class Slice(NoParameters, Layer):
    """Channels [start, stop) of a tensor, as `x[:, start:stop]` (and each
    piece of torch.chunk / torch.split): a view, no copy."""

    kind = "slice"
    positional = ("start", "stop")
    summary = "channels [start, stop) as a view (what chunk and split make)"
    category = "data movement"
    arity = ONE
    example = Example(((8, 3, 5),), {"start": 2, "stop": 6})
    storage = VIEW
    feature_arrays = 1
    intermediates = ZERO
    layout = SAME
    macs = ZERO
    flops = MOVES_ONLY
    backward = Backward(input_grad=ZERO, weight_grad=ZERO)  # the gradient is placed back
    work = ZERO
    traffic = ZERO  # a view: it moves nothing

    start: NonNegative
    stop: Positive

    @model_validator(mode="after")
    def _ordered(self) -> Any:
        if self.stop <= self.start:
            raise ValueError(f"stop ({self.stop}) must be above start ({self.start})")
        return self

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        if self.stop > c:
            raise ShapeError(f"channels {self.start} to {self.stop} are not all in {show(inputs[0])}")
        return self.stop - self.start, h, w

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return [f"C' = {self.stop} − {self.start} = {output[0]} (channels {self.start} to {self.stop - 1})"]


__all__ = ["Shuffle", "Slice"]
