"""Convolution and fully-connected layers: the layers that own almost all
parameters and FLOPs of a CNN."""

from __future__ import annotations

from .base import Layer, Shape, ShapeError, padding, pair, require_groups, show, sliding_output
from .fields import Pad, Positive, Size


class Convolutional(Layer):
    """What convolution and transposed convolution share: their arguments and
    their weights, in x out / groups x kh x kw (+ a bias of `out`)."""

    positional = ("out", "kernel")

    out: Positive
    kernel: Size
    stride: Size = 1
    pad: Pad = 0  # p, (ph, pw) or (top, bottom, left, right)
    groups: Positive = 1
    bias: bool = True

    def parameters(self, inputs: list[Shape]) -> dict[str, int]:
        kh, kw = pair(self.kernel, "kernel")
        arrays = {"weight": self.out * (inputs[0][0] // self.groups) * kh * kw}
        if self.bias:
            arrays["bias"] = self.out
        return arrays

    def has_bias(self) -> bool:
        return self.bias


class Conv(Convolutional):
    """2-D convolution: out channels, kernel, stride, padding, dilation, groups
    and an optional bias."""

    kind = "conv"
    summary = "2-D convolution (grouped, depth-wise, dilated, asymmetric padding)"

    dilation: Size = 1

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        require_groups(c, self.out, self.groups)
        kh, kw = pair(self.kernel, "kernel")
        sh, sw = pair(self.stride, "stride")
        dh, dw = pair(self.dilation, "dilation")
        top, bottom, left, right = padding(self.pad)
        oh = sliding_output(h, kh, sh, top, bottom, dh)
        ow = sliding_output(w, kw, sw, left, right, dw)
        if oh <= 0 or ow <= 0:
            raise ShapeError(f"a {kh}x{kw} kernel (dilation {dh}x{dw}) does not fit the padded "
                             f"input {show(inputs[0])}", empty=True)
        return self.out, oh, ow

    def weight_shape(self, in_channels: int) -> tuple[int, int, int, int]:
        kh, kw = pair(self.kernel, "kernel")
        return self.out, in_channels // self.groups, kh, kw

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        # every output element meets kh x kw x (in / groups) weights
        _, i, kh, kw = self.weight_shape(inputs[0][0])
        return output[0] * output[1] * output[2] * i * kh * kw


class FullyConnected(Layer):
    """Fully connected layer over the whole input (C x H x W -> out).

    As in MatConvNet, which measured the reference table, it is a convolution
    whose kernel covers the input at the spec's reference size: the weights
    are fixed by that size, and at a larger input the layer slides (its output
    grows), at a smaller one it does not fit.  `kernel` is set by the loader
    from the reference input; a spec may also state it.
    """

    kind = "fc"
    positional = ("out",)
    counts_as = "conv"
    summary = "fully connected (a convolution covering the reference-size input)"

    out: Positive
    bias: bool = True
    kernel: tuple[Positive, Positive] | None = None

    def _kernel(self, inputs: list[Shape]) -> tuple[int, int]:
        if self.kernel is None:  # not bound yet: the input is the reference input
            return inputs[0][1], inputs[0][2]
        return self.kernel

    def output_shape(self, inputs: list[Shape]) -> Shape:
        _, h, w = inputs[0]
        kh, kw = self._kernel(inputs)
        if h < kh or w < kw:
            raise ShapeError(f"its weights expect at least {kh}x{kw} positions (the reference "
                             f"input's), got {show(inputs[0])}", empty=True)
        return self.out, h - kh + 1, w - kw + 1

    def parameters(self, inputs: list[Shape]) -> dict[str, int]:
        kh, kw = self._kernel(inputs)
        arrays = {"weight": self.out * inputs[0][0] * kh * kw}
        if self.bias:
            arrays["bias"] = self.out
        return arrays

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        kh, kw = self._kernel(inputs)
        return output[0] * output[1] * output[2] * inputs[0][0] * kh * kw

    def has_bias(self) -> bool:
        return self.bias


__all__ = ["Conv", "FullyConnected"]
