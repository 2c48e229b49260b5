"""Tensor shapes and the rules that several layer kinds share: sliding
windows, padding, grouped channels and equal shapes.

Shape rules here work on plain ints and, unchanged, on numpy arrays holding
a side at many input sizes at once (the sweep): a rule may branch on a side
only through a test that comes out the same at every size (see
graph/shapes.py), which the rules below respect.
"""

from __future__ import annotations

from typing import Any

Shape = tuple[int, int, int]  # (channels, height, width)

# How a tensor is laid out.  An image is C x H x W.  A token sequence of N tokens
# of dimension D is held as (D, N, 1) -- channels are the token dimension, so
# per-position layers (a 1x1 convolution, a linear layer, layer norm over channels)
# act on each token -- and is shown as N x D.  A kind's `layout` says what its
# output is: SAME as its first input, or an IMAGE or TOKENS whatever its input.
SAME, IMAGE, TOKENS = "same", "image", "tokens"
LAYOUTS = (IMAGE, TOKENS)


class ShapeError(Exception):
    """Inputs that a layer cannot take; the graph adds the layer's name and place."""

    def __init__(self, message: str, empty: bool = False) -> None:
        super().__init__(message)
        self.empty = empty  # the output would have no elements: a size problem


def show(shape: Shape, layout: str = IMAGE) -> str:
    """Images as the reference reports show them, H x W x C; token sequences
    as N x D, and M sequences of them (Swin's windows) as M x N x D."""
    c, h, w = shape
    if layout != TOKENS:
        return f"{h}x{w}x{c}"
    return f"{h} tokens x {c}" if w == 1 else f"{w} x {h} tokens x {c}"


def dims(shape: Shape) -> str:
    """A tensor's elements as a product, H·W·C as the reference shows shapes."""
    c, h, w = shape
    return f"{h}·{w}·{c}"


def pair(value: int | tuple[int, ...], name: str) -> tuple[int, int]:
    """An int or (h, w) pair, as kernel, stride and dilation are written."""
    if isinstance(value, int):
        return value, value
    if len(value) == 2:
        return value[0], value[1]
    raise ValueError(f"{name} must be one number or (height, width)")


def padding(value: int | tuple[int, ...]) -> tuple[int, int, int, int]:
    """Padding as (top, bottom, left, right), MatConvNet's order: `p` pads
    all sides, `(ph, pw)` pads top/bottom by ph and left/right by pw."""
    if isinstance(value, int):
        return value, value, value, value
    if len(value) == 2:
        return value[0], value[0], value[1], value[1]
    if len(value) == 4:
        return value[0], value[1], value[2], value[3]
    raise ValueError("pad must be p, (ph, pw) or (top, bottom, left, right)")


class Window:
    """The sliding-window rule along one axis (convolution and pooling):

        floor((n + before + after − span) / stride) + 1,   span = dilation·(kernel − 1) + 1

    or with `ceil` the Caffe/PyTorch ceil mode, which also drops a last
    window that would start inside the trailing padding.  `size` computes it,
    `written` writes it out with the numbers of one input side."""

    def __init__(self, kernel: int, stride: int, before: int, after: int, dilation: int = 1,
                 ceil: bool = False) -> None:
        self.kernel, self.stride, self.before, self.after = kernel, stride, before, after
        self.dilation, self.ceil = dilation, ceil

    @property
    def span(self) -> int:
        return self.dilation * (self.kernel - 1) + 1

    def size(self, n: Any) -> Any:
        reach = n + self.before + self.after - self.span
        if not self.ceil:
            return reach // self.stride + 1 if reach >= 0 else 0
        # ceil mode rounds a window that overhangs the input up to one position
        # (Caffe and PyTorch both give 1 for a 3-window on 2 elements): ceil(reach / s) + 1
        out = -(-reach // self.stride) + 1
        if (out - 1) * self.stride >= n + self.before:
            out -= 1
        return out if out > 0 else 0

    def written(self, n: int) -> str:
        span = f"{self.kernel}" if self.dilation == 1 else f"({self.dilation}·({self.kernel}−1)+1)"
        rounding = "ceil" if self.ceil else "floor"
        text = f"{rounding}(({n} + {self.before} + {self.after} − {span}) / {self.stride}) + 1"
        if self.ceil:
            text += " (less 1 if the last window starts in the padding)"
        return f"{text} = {self.size(n)}"


def sliding_output(size: int, kernel: int, stride: int, pad_before: int, pad_after: int,
                   dilation: int = 1, ceil: bool = False) -> int:
    """Output length of a sliding window along one axis (see `Window`)."""
    out: int = Window(kernel, stride, pad_before, pad_after, dilation, ceil).size(size)
    return out


def require_same(inputs: list[Shape]) -> Shape:
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
