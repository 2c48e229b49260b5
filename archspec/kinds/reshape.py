"""Layers that only rearrange elements."""

from __future__ import annotations

from math import prod
from typing import Annotated

from pydantic import Field, field_validator

from .base import NEW, ONE, VIEW, Backward, Example, Layer, per_convention
from .families import NoParameters, collapse_line
from .formula import ZERO, Uncounted
from .shape import IMAGE, SAME, Shape, ShapeError, show
from .terms import INPUTS, OUT

Axis = Annotated[int, Field(ge=0, le=2)]
NO_ARITHMETIC = per_convention(
    burden=Uncounted("moves no values a FLOP would count"),
    fvcore=Uncounted("a view or copy: no arithmetic"),
    ptflops=Uncounted("a view or copy: no arithmetic"),
    thop=Uncounted("a view or copy: no arithmetic"),
    calflops=Uncounted("a view or copy: no arithmetic"),
)
PASSES_GRADIENT = Backward(input_grad=ZERO, weight_grad=ZERO)


class _Rearrangement(NoParameters, Layer):
    category = "data movement"
    arity = ONE
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = NO_ARITHMETIC
    backward = PASSES_GRADIENT
    work = ZERO

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return collapse_line(inputs, output)


class Flatten(_Rearrangement):
    kind = "flatten"
    summary = "flatten to (C*H*W) x 1 x 1"
    layout = IMAGE
    positional = ()
    example = Example(((4, 3, 5),))
    storage = VIEW
    traffic = ZERO  # a view: it moves nothing

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return prod(inputs[0]), 1, 1


class Permute(_Rearrangement):
    """Reorder the (C, H, W) axes.  MatConvNet's PyTorch import puts a
    permute before the classifier (MATLAB order [2 1 3 4]: height and width
    swapped, the default here); it moves no values a FLOP would count, but
    its output is a new array."""

    kind = "permute"
    positional = ("order",)
    summary = "reorder the C, H, W axes (default (0, 2, 1): swap height and width)"
    layout = SAME
    example = Example(((4, 3, 5),))
    storage = NEW
    traffic = INPUTS + OUT

    order: tuple[Axis, Axis, Axis] = (0, 2, 1)

    @field_validator("order")
    @classmethod
    def _is_permutation(cls, value: tuple[int, int, int]) -> tuple[int, int, int]:
        if sorted(value) != [0, 1, 2]:
            raise ValueError("order must list each of the axes 0 (C), 1 (H), 2 (W) once")
        return value

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = inputs[0]
        return shape[self.order[0]], shape[self.order[1]], shape[self.order[2]]


Dim = Annotated[int, Field(ge=-1)]


class Reshape(_Rearrangement):
    """Reshape to (C, H, W); one dimension may be -1 (inferred), and 0 keeps
    the input's size on that axis (Caffe's and MatConvNet's convention, e.g.
    the RPN's `reshape(2, -1, 0)` whose width follows the image)."""

    kind = "reshape"
    positional = ("c", "h", "w")
    summary = "reshape to C x H x W (one dimension may be -1; 0 keeps the input's)"
    layout = IMAGE
    example = Example(((4, 3, 5),), {"c": -1})
    storage = VIEW
    traffic = ZERO  # a view: it moves nothing

    c: Dim
    h: Dim = 1
    w: Dim = 1

    def output_shape(self, inputs: list[Shape]) -> Shape:
        total = prod(inputs[0])
        dims = [size if d == 0 else d for d, size in zip((self.c, self.h, self.w), inputs[0])]
        known = prod(d for d in dims if d != -1)
        if dims.count(-1) > 1:
            raise ShapeError("at most one dimension may be -1")
        if -1 in dims:
            if total % known:
                raise ShapeError(f"cannot reshape {show(inputs[0])} ({total} elements) "
                                 f"to {self.c} x {self.h} x {self.w}")
            dims[dims.index(-1)] = total // known
        if prod(dims) != total:
            raise ShapeError(f"cannot reshape {show(inputs[0])} ({total} elements) "
                             f"to {dims[0]} x {dims[1]} x {dims[2]}")
        return dims[0], dims[1], dims[2]


__all__ = ["Flatten", "Permute", "Reshape"]
