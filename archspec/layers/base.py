"""What every layer kind is: a validated pydantic model that knows its own arithmetic.

A layer kind is one class.  It declares the name used in specs (`kind`), the
order of its positional arguments, how many tensors it consumes, and
implements:

* `output_shape(inputs)`   -> (C, H, W), raising `ShapeError` when inputs do not fit;
* `parameters(inputs)`     -> learnable arrays, name -> element count;
* `buffers(inputs)`        -> stored, non-learnt arrays (batch-norm statistics);
* `macs(inputs, output)`   -> multiply-accumulates (conv, deconv and FC only).

How many FLOPs a layer costs is not decided here: the layer names the rule it
is counted by (`counts_as`), and each convention (conventions.py) is a table
from rule to formula.  Registering is automatic: subclassing `Layer` with a
`kind` makes the kind usable in specs.
"""

from __future__ import annotations

from math import prod
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

Shape = tuple[int, int, int]  # (channels, height, width)

REGISTRY: dict[str, type[Layer]] = {}


class ShapeError(Exception):
    """Inputs that a layer cannot take; the engine adds the layer's name and place."""

    def __init__(self, message: str, empty: bool = False) -> None:
        super().__init__(message)
        self.empty = empty  # the output would have no elements: a size problem


def show(shape: Shape) -> str:
    """Shapes are shown as the reference reports do: H x W x C."""
    c, h, w = shape
    return f"{h}x{w}x{c}"


class Layer(BaseModel):
    """Base of all layer kinds."""

    # defer_build: a kind's validator is built on its first use, so start-up does not
    # pay for the thirty-odd kinds a spec never uses
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)

    kind: ClassVar[str] = ""
    positional: ClassVar[tuple[str, ...]] = ()  # argument names, in positional order
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1  # None: any number
    inplace: ClassVar[bool] = False  # may write its output over its input
    counts_as: ClassVar[str] = ""  # the convention rule that prices it (default: kind)
    summary: ClassVar[str] = ""  # one line for `archspec kinds` and the docs

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("kind"):
            if not cls.counts_as:  # inherited rules (e.g. all window pools) are kept
                cls.counts_as = cls.kind
            REGISTRY[cls.kind] = cls

    @property
    def takes_many(self) -> bool:
        return self.max_inputs != 1

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0]

    def parameters(self, inputs: list[Shape]) -> dict[str, int]:
        return {}

    def buffers(self, inputs: list[Shape]) -> dict[str, int]:
        return {}

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        return 0

    def has_bias(self) -> bool:
        return False


def elements(shape: Shape) -> int:
    return prod(shape)


def require_same(layer: Layer, inputs: list[Shape], what: str = "shapes") -> Shape:
    """Element-wise layers need identical input shapes."""
    first = inputs[0]
    for other in inputs[1:]:
        if other != first:
            shown = " and ".join(show(s) for s in inputs)
            raise ShapeError(f"inputs {shown} differ")
    return first


def require_groups(in_channels: int, out_channels: int, groups: int) -> None:
    """Grouped (de)convolution splits both channel counts into `groups` parts."""
    if in_channels % groups or out_channels % groups:
        raise ShapeError(f"{in_channels} input and {out_channels} output channels are not both "
                         f"divisible by groups={groups}")


def pair(value: int | tuple[int, ...], name: str) -> tuple[int, int]:
    """An int or (h, w) pair, as kernel, stride and dilation are written."""
    if isinstance(value, int):
        return value, value
    if len(value) == 2:
        return value[0], value[1]
    raise ValueError(f"{name} must be one number or (height, width)")


def padding(value: int | tuple[int, ...]) -> tuple[int, int, int, int]:
    """Padding as (top, bottom, left, right), MatConvNet's order.

    `p` pads all sides, `(ph, pw)` pads top/bottom by ph and left/right by pw.
    """
    if isinstance(value, int):
        return value, value, value, value
    if len(value) == 2:
        return value[0], value[0], value[1], value[1]
    if len(value) == 4:
        return value[0], value[1], value[2], value[3]
    raise ValueError("pad must be p, (ph, pw) or (top, bottom, left, right)")


def sliding_output(size: int, kernel: int, stride: int, pad_before: int, pad_after: int,
                   dilation: int = 1, ceil: bool = False) -> int:
    """Output length of a sliding window (convolution or pooling) along one axis.

    floor((size + pads - effective_kernel) / stride) + 1, or with `ceil` the
    Caffe/PyTorch ceil mode, which also drops a last window that would start
    inside the trailing padding.
    """
    span = size + pad_before + pad_after - (dilation * (kernel - 1) + 1)
    if span < 0:
        return 0
    if not ceil:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + pad_before:
        out -= 1
    return out
