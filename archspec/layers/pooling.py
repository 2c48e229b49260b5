"""Pooling layers: windowed max/average pooling and global pooling."""

from __future__ import annotations

from .base import Layer, Shape, ShapeError, padding, pair, show, sliding_output
from .fields import Pad, Size


class _WindowPool(Layer):
    """Sliding-window pooling.  `stride` defaults to the kernel (PyTorch's
    default); `ceil` selects ceil-mode rounding (Caffe, PyTorch ceil_mode)."""

    positional = ("kernel",)
    counts_as = "pool"

    kernel: Size
    stride: Size | None = None
    pad: Pad = 0
    ceil: bool = False

    def strides(self) -> tuple[int, int]:
        return pair(self.kernel if self.stride is None else self.stride, "stride")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        kh, kw = pair(self.kernel, "kernel")
        sh, sw = self.strides()
        top, bottom, left, right = padding(self.pad)
        oh = sliding_output(h, kh, sh, top, bottom, ceil=self.ceil)
        ow = sliding_output(w, kw, sw, left, right, ceil=self.ceil)
        if oh <= 0 or ow <= 0:
            raise ShapeError(f"a {kh}x{kw} window does not fit the padded input {show(inputs[0])}",
                             empty=True)
        return c, oh, ow


class MaxPool(_WindowPool):
    kind = "maxpool"
    summary = "max pooling (floor or ceil rounding, padding)"


class AvgPool(_WindowPool):
    kind = "avgpool"
    summary = "average pooling (floor or ceil rounding, padding)"


class GlobalAvgPool(Layer):
    kind = "gavgpool"
    counts_as = "global_pool"
    summary = "global average pooling to C x 1 x 1"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0][0], 1, 1


class GlobalMaxPool(GlobalAvgPool):
    kind = "gmaxpool"
    counts_as = "global_pool"
    summary = "global max pooling to C x 1 x 1"


__all__ = ["AvgPool", "GlobalAvgPool", "GlobalMaxPool", "MaxPool", "ShapeError"]
