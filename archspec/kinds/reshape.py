"""Layers that only rearrange elements."""

from __future__ import annotations

from math import prod
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import NEW, ONE, VIEW, Backward, Example, Layer, per_convention
from .families import NoParameters, collapse_line
from .fields import NonNegative, Pad
from .formula import ZERO, Choice, Test, Uncounted
from .shape import IMAGE, SAME, Shape, ShapeError, padding, show
from .terms import INP, INPUTS, OUT

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


ZEROS = Test('mode="zeros"', lambda s: s.layer.mode == "zeros", "reflected or replicated edges")


class Padding(_Rearrangement):
    """Explicit padding (F.pad, nn.ZeroPad2d / ReflectionPad2d /
    ReplicationPad2d): `p` is written like a convolution's pad -- p, (ph, pw)
    or (top, bottom, left, right) -- or the sides are named, as PyTorch's
    (left, right, top, bottom) order is easy to misread:
    `pad(left=1, right=2, top=0, bottom=1)`.  The output is a new tensor."""

    kind = "pad"
    positional = ("p",)
    summary = "explicit padding (zeros, reflect or replicate); p like a conv's pad, or named sides"
    layout = SAME
    example = Example(((4, 3, 5),), {"left": 1, "right": 2, "bottom": 1, "mode": "reflect"})
    storage = NEW
    traffic = INPUTS + OUT
    flops = per_convention(
        burden=Uncounted("copies values, no arithmetic"),
        fvcore=Uncounted("aten::pad has no handle"),
        ptflops=Uncounted("F.pad is not patched"),
        thop=Uncounted("F.pad is not a module (nn.ZeroPad2d is zero_ops)"),
        calflops=Uncounted("F.pad is not patched"),
    )
    # zeros: the gradient is cropped back; reflect / replicate: each padded
    # position's gradient is added to the input position it copies
    backward = Backward(input_grad=Choice(ZEROS, ZERO, OUT - INP), weight_grad=ZERO)

    p: Pad | None = None
    top: NonNegative | None = None
    bottom: NonNegative | None = None
    left: NonNegative | None = None
    right: NonNegative | None = None
    mode: Literal["zeros", "reflect", "replicate"] = "zeros"

    @model_validator(mode="after")
    def _one_way(self) -> Any:
        named = (self.top, self.bottom, self.left, self.right)
        if self.p is not None and any(side is not None for side in named):
            raise ValueError("give p or the named sides (top, bottom, left, right), not both")
        if self.p is None and all(side is None for side in named):
            raise ValueError("say how much to pad: pad(p), pad((ph, pw)), pad((top, bottom, left, right)) "
                             "or named sides, pad(left=1, right=1)")
        return self

    def sides(self) -> tuple[int, int, int, int]:
        """(top, bottom, left, right)."""
        if self.p is not None:
            return padding(self.p)
        return self.top or 0, self.bottom or 0, self.left or 0, self.right or 0

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        top, bottom, left, right = self.sides()
        if self.mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
            raise ShapeError(f"reflect padding ({top}, {bottom}, {left}, {right}) must be below the "
                             f"input's sides {show(inputs[0])}", empty=True)
        return c, h + top + bottom, w + left + right

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        _, h, w = inputs[0]
        top, bottom, left, right = self.sides()
        return [f"H' = {h} + {top} + {bottom} = {output[1]}", f"W' = {w} + {left} + {right} = {output[2]}"]


__all__ = ["Flatten", "Padding", "Permute", "Reshape"]
