"""Resampling as PyTorch writes it: upsampling by a factor or to a reference
tensor's size (nn.Upsample, F.interpolate), and sub-pixel rearrangement
(nn.PixelShuffle, nn.PixelUnshuffle).

The reference's own resize (DeepLab's vl_nninterp) is `interp` in
segmentation.py; `upsample` follows PyTorch's size rule instead.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import AfterValidator

from .base import NEW, Arity, Backward, Example, Layer, per_convention
from .families import NoParameters
from .fields import Positive
from .formula import ZERO, Choice, Quotient, Term, Test, Uncounted
from .shape import SAME, Shape, ShapeError, show
from .terms import AREA, INP, INPUTS, OUT

# A scale is exact in floating point when it is a whole number of 1/256ths:
# then floor(n·scale) is the same in exact arithmetic as in PyTorch's double
# precision, at every input size, and the output side is affine in n within
# each residue class of the scale's denominator (the sweep's side model).
EXACT_DENOMINATOR = 256


def _exact_scale(value: float | int) -> float | int:
    if value <= 0:
        raise ValueError("a scale must be above 0")
    if Fraction(value).denominator > EXACT_DENOMINATOR:
        raise ValueError(f"{value} is not a whole number of 1/{EXACT_DENOMINATOR}ths (2, 1.5 and 0.25 are): "
                         "PyTorch computes floor(n·scale) in floating point, which archspec repeats exactly "
                         "only for such factors; resize to a reference tensor instead (upsample(x, ref))")
    return value


Scale = Annotated[float | int, AfterValidator(_exact_scale)]


def _fraction(value: float | int) -> Fraction:
    return Fraction(value)


NEAREST = Test('mode="nearest"', lambda s: s.layer.mode == "nearest", 'mode="bilinear"')
TO_REFERENCE = Test("resized to a reference tensor", lambda s: len(s.inputs) == 2, "scaled by a factor")
TUPLE_SCALE = Test("scale given per side", lambda s: isinstance(s.layer.scale, tuple), "one scale for both sides")

# ptflops' patched F.interpolate with scale_factor=s (a number): input elements x s²,
# a float; archspec keeps the whole part of each layer's count.
SCALE_NUM_SQUARED = Term("num²", lambda s: s.layer.scales()[0].numerator ** 2,
                         meaning="numerator of the scale (a fraction p/q), squared")
SCALE_DEN_SQUARED = Term("den²", lambda s: s.layer.scales()[0].denominator ** 2,
                         meaning="denominator of the scale (a fraction p/q), squared")
# ... and with scale_factor=(sh, sw): int(np.prod(scale_factor, dtype=np.int64)),
# which truncates each factor to a whole number first
TRUNCATED_SCALES = Term("int(sh)·int(sw)", lambda s: int(s.layer.scales()[0]) * int(s.layer.scales()[1]),
                        lambda s: f"{int(s.layer.scales()[0])}·{int(s.layer.scales()[1])}",
                        "the two scales, each truncated to a whole number, multiplied")
PTFLOPS_INTERPOLATE_BY_SCALE = Choice(TUPLE_SCALE, INP * TRUNCATED_SCALES,
                                      Quotient(INP * SCALE_NUM_SQUARED, SCALE_DEN_SQUARED))


class Upsample(NoParameters, Layer):
    """Upsampling by `scale` (nn.Upsample(scale_factor=scale)) or, with a
    second input, to that tensor's height and width (F.interpolate(size=...),
    as torchvision's segmentation heads resize), in `mode` "nearest" or
    "bilinear".  A side of n becomes floor(n·scale) -- exactly n·scale for a
    whole scale; `scale` may differ per side, (sh, sw).

    The peer profiles price the factor form as the nn.Upsample module and
    the reference form as a call to F.interpolate: ptflops counts the module
    twice (its hook, and the patched F.interpolate inside its forward), thop
    sees only the module, calflops counts the input elements of a scale call
    and the output H·W of a size call."""

    kind = "upsample"
    positional = ("scale",)
    summary = "upsample by scale (nn.Upsample) or to a reference tensor's H x W; nearest or bilinear"
    category = "resize"
    arity = Arity(1, 2)
    example = Example(((8, 5, 7),), {"scale": 1.5, "mode": "bilinear"})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = SAME
    macs = ZERO
    flops = per_convention(
        # nearest copies values (like crop); bilinear is 4 per output, as the reference's interp
        burden=Choice(NEAREST, Uncounted("nearest-neighbour upsampling copies values"), 4 * OUT),
        # aten::upsample_nearest2d: elementwise_flop_counter(0, 1); bilinear (0, 4)
        fvcore=Choice(NEAREST, OUT, 4 * OUT),
        # F.interpolate(size=...): prod(size) x N x C; nn.Upsample: its hook (one image's
        # output elements) + the patched F.interpolate(scale_factor=...) it calls
        ptflops=Choice(TO_REFERENCE, OUT, OUT + PTFLOPS_INTERPOLATE_BY_SCALE),
        # count_upsample on the module: nearest 1, bilinear 11 per output; a functional call is unseen
        thop=Choice(TO_REFERENCE, Uncounted("F.interpolate is not a module"), Choice(NEAREST, OUT, 11 * OUT)),
        # _upsample_flops_compute: size given -> prod(size) only; scale given -> input elements;
        # a per-side scale fails (`scale_factor ** len(input)` on a tuple)
        calflops=Choice(TO_REFERENCE, AREA, Choice(TUPLE_SCALE, Uncounted(
            "calflops fails on a per-side scale_factor (TypeError in _upsample_flops_compute)"), INP)),
    )
    # each output gradient goes back to its source (nearest) or to its 4 neighbours (bilinear)
    backward = Backward(input_grad=Choice(NEAREST, OUT, 4 * OUT), weight_grad=ZERO)
    work = Choice(NEAREST, ZERO, 4 * OUT)
    traffic = INPUTS + OUT

    scale: Scale | tuple[Scale, Scale] | None = None  # None: 2, or the reference's size
    mode: Literal["nearest", "bilinear"] = "nearest"

    def scales(self) -> tuple[Fraction, Fraction]:
        """The scale per side, exactly (2 when none is given)."""
        if self.scale is None:
            return Fraction(2), Fraction(2)
        if isinstance(self.scale, tuple):
            return _fraction(self.scale[0]), _fraction(self.scale[1])
        return _fraction(self.scale), _fraction(self.scale)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        if len(inputs) == 2:
            if self.scale is not None:
                raise ShapeError("resizing to a reference tensor takes no scale")
            return c, inputs[1][1], inputs[1][2]
        sh, sw = self.scales()
        oh: Any = h * sh.numerator // sh.denominator
        ow: Any = w * sw.numerator // sw.denominator
        if oh <= 0 or ow <= 0:
            raise ShapeError(f"scale {self.scale} leaves no output positions of {show(inputs[0])}", empty=True)
        return c, oh, ow

    def downsampling(self) -> tuple[int, int]:
        # floor(n·p/q) is affine in n within each residue class of q
        sh, sw = self.scales()
        return sh.denominator, sw.denominator

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        if len(inputs) == 2:
            return [f"{output[1]}x{output[2]}: the second input's height and width"]
        sh, sw = self.scales()
        _, h, w = inputs[0]
        return [f"H' = floor({h}·{sh}) = {output[1]}", f"W' = floor({w}·{sw}) = {output[2]}"]


class PixelShuffle(NoParameters, Layer):
    """nn.PixelShuffle(r): C x H x W → C/r² x rH x rW (sub-pixel upsampling);
    a new tensor, no arithmetic."""

    kind = "pixelshuffle"
    positional = ("factor",)
    summary = "pixel shuffle: C x H x W to C/r² x rH x rW (nn.PixelShuffle)"
    category = "data movement"
    arity = Arity(1, 1)
    example = Example(((8, 5, 7),), {"factor": 2})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = SAME
    macs = ZERO
    flops = per_convention(
        burden=Uncounted("moves values, no arithmetic"),
        fvcore=Uncounted("aten::pixel_shuffle has no handle"),
        ptflops=Uncounted("nn.PixelShuffle has no hook"),
        thop=Uncounted("thop prices nn.PixelShuffle with zero_ops"),
        calflops=Uncounted("F.pixel_shuffle is not patched"),
    )
    backward = Backward(input_grad=ZERO, weight_grad=ZERO)  # the gradient is rearranged back
    work = ZERO
    traffic = INPUTS + OUT

    factor: Positive

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        r = self.factor
        if c % (r * r):
            raise ShapeError(f"{c} channels are not a multiple of {r}² = {r * r}")
        return c // (r * r), h * r, w * r

    def downsampling(self) -> tuple[int, int]:
        return 1, 1  # it upsamples

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        c, h, w = inputs[0]
        r = self.factor
        return [f"C' = {c}/{r}² = {output[0]}, H' = {h}·{r} = {output[1]}, W' = {w}·{r} = {output[2]}"]


class PixelUnshuffle(NoParameters, Layer):
    """nn.PixelUnshuffle(r): C x H x W → C·r² x H/r x W/r, the inverse of
    pixel shuffle; both sides must be multiples of r."""

    kind = "pixelunshuffle"
    positional = ("factor",)
    summary = "pixel unshuffle: C x H x W to C·r² x H/r x W/r (nn.PixelUnshuffle)"
    category = "data movement"
    arity = Arity(1, 1)
    example = Example(((2, 6, 8),), {"factor": 2})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = SAME
    macs = ZERO
    flops = per_convention(
        burden=Uncounted("moves values, no arithmetic"),
        fvcore=Uncounted("aten::pixel_unshuffle has no handle"),
        ptflops=Uncounted("nn.PixelUnshuffle has no hook"),
        thop=Uncounted("nn.PixelUnshuffle is not a registered module"),
        calflops=Uncounted("F.pixel_unshuffle is not patched"),
    )
    backward = Backward(input_grad=ZERO, weight_grad=ZERO)
    work = ZERO
    traffic = INPUTS + OUT

    factor: Positive

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        r = self.factor
        if h % r or w % r:
            raise ShapeError(f"{show(inputs[0])} does not divide into {r} x {r} blocks")
        return c * r * r, h // r, w // r

    def downsampling(self) -> tuple[int, int]:
        return self.factor, self.factor

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        c, h, w = inputs[0]
        r = self.factor
        return [f"C' = {c}·{r}² = {output[0]}, H' = {h}/{r} = {output[1]}, W' = {w}/{r} = {output[2]}"]


__all__ = ["PixelShuffle", "PixelUnshuffle", "Upsample"]
