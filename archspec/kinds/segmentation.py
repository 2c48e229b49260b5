"""Layers of dense-prediction networks (FCN, DeepLab): crop to a reference
tensor, and bilinear resizing (their transposed convolution is in conv.py).

Their shape rules are MatConvNet's, which measured the reference table:
mcnExtraLayers' `vl_nncrop_wrapper` for the crop and `vl_nninterp` for the
resize.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor

from .base import NEW, Arity, Backward, Example, Layer, per_convention
from .families import NoParameters
from .fields import NonNegative, Positive
from .formula import ZERO, Uncounted
from .shape import SAME, Shape, ShapeError, show
from .terms import AREA, INPUTS, OUT


class Crop(NoParameters, Layer):
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
    arity = Arity(2, 2)
    summary = "crop to a reference tensor's H x W (offsets fixed at import; 0 FLOPs)"
    category = "data movement"
    example = Example(((4, 9, 8), (2, 5, 6)), {"offset": 1})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = SAME
    macs = ZERO
    flops = per_convention(
        burden=Uncounted("index slicing"),
        fvcore=Uncounted("slicing is not counted"),
        ptflops=Uncounted("slicing is not patched"),
        thop=Uncounted("slicing is not a module"),
        calflops=Uncounted("slicing is not patched"),
    )
    backward = Backward(input_grad=ZERO, weight_grad=ZERO)  # the gradient is padded back
    work = ZERO
    traffic = INPUTS + OUT

    offset: NonNegative | tuple[NonNegative, NonNegative] = 0

    def output_shape(self, inputs: list[Shape]) -> Shape:
        (c, h, w), (_, ref_h, ref_w) = inputs
        if h < ref_h or w < ref_w:
            raise ShapeError(f"cannot crop {show(inputs[0])} to the larger {ref_h}x{ref_w} "
                             f"of its reference {show(inputs[1])}")
        return c, ref_h, ref_w

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return [f"{output[1]}x{output[2]}: the second input's height and width"]


class Interp(NoParameters, Layer):
    """Bilinear resize (DeepLab's Caffe Interp, MatConvNet's vl_nninterp).

    With one input the size follows vl_nninterp's rule, per side:
    n = (in + pad_beg + pad_end - 1) / shrink + 1, out = round(n + (n - 1)(zoom - 1)),
    i.e. round((in_eff - 1) * zoom / shrink + 1), halves away from zero (MATLAB's
    round).  With a second input it resizes to that tensor's height and width.
    """

    kind = "interp"
    positional = ()
    arity = Arity(1, 2)
    summary = "bilinear resize by zoom/shrink factors (vl_nninterp) or to a reference tensor"
    category = "resize"
    example = Example(((4, 9, 8),), {"zoom": 3, "shrink": 2})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = SAME
    macs = ZERO
    flops = per_convention(
        burden=4 * OUT,
        fvcore=4 * OUT,  # aten::upsample_bilinear2d: elementwise_flop_counter(0, 4)
        ptflops=OUT,  # F.interpolate(size=...): prod(size) x N x C
        thop=Uncounted("F.interpolate is not a module"),
        calflops=AREA,  # _upsample_flops_compute(size=...): prod(size), dropping N x C
    )
    backward = Backward(input_grad=4 * OUT, weight_grad=ZERO)  # each output gradient to 4 inputs
    work = 4 * OUT
    traffic = INPUTS + OUT

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

    def downsampling(self) -> tuple[int, int]:
        return self.shrink, self.shrink

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        if len(inputs) == 2:
            return [f"{output[1]}x{output[2]}: the second input's height and width"]
        _, h, w = inputs[0]
        pads = f"{self.pad_beg} + {self.pad_end}"
        return [f"H' = round(({h} + {pads} − 1)·{self.zoom}/{self.shrink} + 1) = {output[1]}",
                f"W' = round(({w} + {pads} − 1)·{self.zoom}/{self.shrink} + 1) = {output[2]}"]


__all__ = ["Crop", "Interp"]
