"""Layers of dense-prediction networks (FCN, DeepLab): transposed convolution,
crop to a reference tensor, and bilinear resizing.

Their shape rules are MatConvNet's, which measured the reference table:
`vl_nnconvt` for the transposed convolution, mcnExtraLayers'
`vl_nncrop_wrapper` for the crop and `vl_nninterp` for the resize.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor

from .base import Layer, Shape, ShapeError, padding, pair, require_groups, show
from .conv import Convolutional
from .fields import NonNegative, Positive


class Deconv(Convolutional):
    """Transposed convolution ("deconvolution", MatConvNet's vl_nnconvt).

    Each input position spreads a kernel over a `stride`-spaced output grid:
    out = (in - 1) * stride + kernel - pads, where `pad` is Caffe's deconvolution
    pad (MatConvNet's `crop`), written like a convolution's.  The weights are
    in_channels x (out / groups) x kh x kw.
    """

    kind = "deconv"
    summary = "transposed convolution (upsampling; Caffe Deconvolution, vl_nnconvt)"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        require_groups(c, self.out, self.groups)
        kh, kw = pair(self.kernel, "kernel")
        sh, sw = pair(self.stride, "stride")
        top, bottom, left, right = padding(self.pad)
        oh = (h - 1) * sh + kh - top - bottom
        ow = (w - 1) * sw + kw - left - right
        if oh <= 0 or ow <= 0:
            raise ShapeError(f"pad ({top}, {bottom}, {left}, {right}) removes the whole "
                             f"{(h - 1) * sh + kh}x{(w - 1) * sw + kw} upsampled output",
                             empty=True)
        return self.out, oh, ow

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        # every input element meets kh x kw x (out / groups) weights
        c, h, w = inputs[0]
        kh, kw = pair(self.kernel, "kernel")
        return c * h * w * kh * kw * (self.out // self.groups)


class Crop(Layer):
    """Crop the first input to the height and width of the second (Caffe Crop,
    as MatConvNet's vl_nncrop_wrapper runs it).

    `offset` is the (top, left) crop fixed when the model was imported.  The
    output always takes the reference tensor's size: the wrapper cuts
    min(offset, surplus) from the top/left and the rest of the surplus from
    the bottom/right, so the offset places the window but never changes its
    size.  The channels are the first input's.
    """

    kind = "crop"
    positional = ("offset",)
    min_inputs = 2
    max_inputs = 2
    summary = "crop to a reference tensor's H x W (offsets fixed at import; 0 FLOPs)"

    offset: NonNegative | tuple[NonNegative, NonNegative] = 0

    def output_shape(self, inputs: list[Shape]) -> Shape:
        (c, h, w), (_, ref_h, ref_w) = inputs
        if h < ref_h or w < ref_w:
            raise ShapeError(f"cannot crop {show(inputs[0])} to the larger {ref_h}x{ref_w} "
                             f"of its reference {show(inputs[1])}")
        return c, ref_h, ref_w


class Interp(Layer):
    """Bilinear resize (DeepLab's Caffe Interp, MatConvNet's vl_nninterp).

    With one input the size follows vl_nninterp's rule, per side:
    n = (in + pad_beg + pad_end - 1) / shrink + 1, out = round(n + (n - 1)(zoom - 1)),
    i.e. round((in_eff - 1) * zoom / shrink + 1), halves away from zero (MATLAB's
    round).  With a second input it resizes to that tensor's height and width.
    """

    kind = "interp"
    min_inputs = 1
    max_inputs = 2
    summary = "bilinear resize by zoom/shrink factors (vl_nninterp) or to a reference tensor"

    zoom: Positive = 1
    shrink: Positive = 1
    pad_beg: int = 0
    pad_end: int = 0

    def side(self, size: int) -> int:
        """vl_nninterp's output length for an input length, computed exactly."""
        effective = size + self.pad_beg + self.pad_end
        exact = Fraction(effective - 1) * self.zoom / self.shrink + 1
        half = Fraction(1, 2)  # MATLAB's round: halves away from zero
        return floor(exact + half) if exact >= 0 else -floor(-exact + half)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        if len(inputs) == 2:
            if (self.zoom, self.shrink, self.pad_beg, self.pad_end) != (1, 1, 0, 0):
                raise ShapeError("resizing to a reference tensor takes no zoom, shrink or pads")
            return c, inputs[1][1], inputs[1][2]
        oh, ow = self.side(h), self.side(w)
        if oh <= 0 or ow <= 0:
            raise ShapeError(f"zoom {self.zoom} / shrink {self.shrink} leaves no output "
                             f"positions", empty=True)
        return c, oh, ow


__all__ = ["Crop", "Deconv", "Interp"]
