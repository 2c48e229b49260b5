"""Convolution, transposed convolution and fully-connected layers: the layers
that own almost all parameters and FLOPs of a CNN."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from .base import NEW, ONE, Backward, Example, Layer, per_convention
from .fields import Extra, Pad, Positive, Size
from .formula import ZERO, Factors, Formula, Named, Term
from .shape import IMAGE, SAME, Shape, ShapeError, Window, dims, padding, pair, require_groups, show
from .terms import C_IN, INP, INPUTS, OUT, C

# --- names the formulas of this module are written in -------------------------------

KH = Term("kh", lambda s: s.layer.kernel_hw(s.inputs)[0], meaning="kernel height")
KW = Term("kw", lambda s: s.layer.kernel_hw(s.inputs)[1], meaning="kernel width")
BIAS = Term("bias", lambda s: s.out if s.layer.bias else 0,
            lambda s: dims(s.output) if s.layer.bias else "0",
            "one addition per output element when the layer has a bias, else 0")


def _groups_note(s: Any) -> str | None:
    c, g = s.inputs[0][0], s.layer.groups
    return f"groups={g}: each filter sees {c}/{g} = {c // g} of the channels" if g > 1 else None


C_IN_PER_GROUP = Term("C_in/g", lambda s: s.inputs[0][0] // s.layer.groups,
                      meaning="input channels each filter sees (groups split them)", note=_groups_note)
C_OUT_PER_GROUP = Term("C/g", lambda s: s.layer.out // s.layer.groups,
                       meaning="output channels each input channel feeds (groups split them)")


class Convolutional(Layer):
    """What convolution and transposed convolution share: their arguments, a
    weight of out x in / groups x kh x kw (+ a bias of `out`), and their
    costs in terms of their multiply-accumulates."""

    positional = ("out", "kernel")
    arity = ONE
    category = "convolution"
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = SAME
    traffic = INPUTS + OUT

    out: Positive
    kernel: Size
    stride: Size = 1
    pad: Pad = 0  # p, (ph, pw) or (top, bottom, left, right)
    groups: Positive = 1
    bias: bool = True

    def kernel_hw(self, inputs: Any = None) -> tuple[int, int]:
        return pair(self.kernel, "kernel")

    def stride_hw(self) -> tuple[int, int]:
        return pair(self.stride, "stride")

    def buffers(self) -> dict[str, Formula]:
        return {}


class Conv(Convolutional):
    """2-D convolution: out channels, kernel, stride, padding, dilation, groups
    and an optional bias."""

    kind = "conv"
    summary = "2-D convolution (grouped, depth-wise, dilated, asymmetric padding)"
    example = Example(((16, 9, 11),), {"out": 8, "kernel": 3, "stride": 2, "pad": 1, "groups": 2})

    dilation: Size = 1

    # every output element meets kh x kw x (in / groups) weights
    macs = Named("macs", OUT * Factors(KH, KW, C_IN_PER_GROUP))
    flops = per_convention(
        burden=macs + BIAS,
        fvcore=macs,  # conv_flop_jit: no bias
        ptflops=macs + BIAS,  # conv_flops_counter_hook
        thop=macs,  # calculate_conv2d_flops ignores the bias
        calflops=2 * macs + BIAS,  # _conv_flops_compute
    )
    # dX: a transposed convolution of dy with W (its MACs); dW: input x dy (MACs) + bias: sum of dy
    backward = Backward(keeps_inputs=True, input_grad=macs, weight_grad=macs + BIAS)
    work = 2 * macs + BIAS

    def windows(self, inputs: list[Shape]) -> tuple[Window, Window]:
        kh, kw = self.kernel_hw()
        sh, sw = self.stride_hw()
        dh, dw = pair(self.dilation, "dilation")
        top, bottom, left, right = padding(self.pad)
        return Window(kh, sh, top, bottom, dh), Window(kw, sw, left, right, dw)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        require_groups(c, self.out, self.groups)
        rows, cols = self.windows(inputs)
        oh, ow = rows.size(h), cols.size(w)
        if oh <= 0 or ow <= 0:
            kh, kw = self.kernel_hw()
            dh, dw = pair(self.dilation, "dilation")
            raise ShapeError(f"a {kh}x{kw} kernel (dilation {dh}x{dw}) does not fit the padded "
                             f"input {show(inputs[0])}", empty=True)
        return self.out, oh, ow

    def downsampling(self) -> tuple[int, int]:
        return self.stride_hw()

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        rows, cols = self.windows(inputs)
        return [f"H' = {rows.written(inputs[0][1])}", f"W' = {cols.written(inputs[0][2])}"]

    def learnable(self) -> dict[str, Formula]:
        arrays: dict[str, Formula] = {"weight": Factors(C, C_IN_PER_GROUP, KH, KW)}
        if self.bias:
            arrays["bias"] = C
        return arrays


def _calflops_bias_positions(s: Any) -> Any:
    """calflops prices a transposed convolution's bias over output positions
    computed with the *convolution* formula, (in + 2 pad - dilation·(kernel - 1) - 1)
    // stride + 1 per side (no output padding), and over out / groups channels
    (its weight's second axis)."""
    layer = s.layer
    kh, kw = layer.kernel_hw()
    sh, sw = layer.stride_hw()
    dh, dw = pair(layer.dilation, "dilation")
    pad = layer.pad
    ph, pw = (pad, pad) if isinstance(pad, int) else (pad[0], pad[-2] if len(pad) == 4 else pad[1])
    _, h, w = s.inputs[0]
    rows = max((h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, 0)
    cols = max((w + 2 * pw - dw * (kw - 1) - 1) // sw + 1, 0)
    return (layer.out // layer.groups) * rows * cols


CALFLOPS_DECONV_BIAS = Term("bias'", lambda s: _calflops_bias_positions(s) if s.layer.bias else 0,
                            meaning="calflops' bias of a transposed convolution: C/g x conv-formula positions")
# calflops' _conv_trans_flops_compute takes its output channels from the weight's
# second axis (out / groups) and divides them by the groups once more
C_OUT_PER_GROUP_TWICE = Term("C/g/g", lambda s: s.layer.out // s.layer.groups // s.layer.groups,
                             meaning="calflops' output channels of a grouped transposed conv, divided twice")


class Deconv(Convolutional):
    """Transposed convolution ("deconvolution", MatConvNet's vl_nnconvt,
    PyTorch's ConvTranspose2d).

    Each input position spreads a kernel over a `stride`-spaced output grid:
    out = (in - 1) * stride - pads + dilation * (kernel - 1) + output_padding + 1,
    where `pad` is Caffe's deconvolution pad (MatConvNet's `crop`, PyTorch's
    `padding` on both sides), written like a convolution's, and
    `output_padding` (PyTorch's) adds rows and columns at the bottom and right;
    it must be below the stride or the dilation, as PyTorch requires.  The
    weights are in_channels x (out / groups) x kh x kw.
    """

    kind = "deconv"
    summary = "transposed convolution (upsampling; Caffe Deconvolution, vl_nnconvt)"
    example = Example(((8, 5, 7),), {"out": 4, "kernel": 4, "stride": 2, "pad": 1, "groups": 2})

    # every input element meets kh x kw x (out / groups) weights
    macs = Named("macs", INP * Factors(KH, KW, C_OUT_PER_GROUP))
    flops = per_convention(
        burden=macs + BIAS,
        fvcore=macs,  # transposed: input positions x prod(weight shape)
        ptflops=macs + BIAS,  # the conv hook with transpose=True
        # count_convNd on a ConvTranspose: output elements x in_channels / groups x kernel area
        thop=OUT * Factors(C_IN_PER_GROUP, KH, KW),
        calflops=2 * (INP * Factors(KH, KW, C_OUT_PER_GROUP_TWICE)) + CALFLOPS_DECONV_BIAS,
    )
    backward = Backward(keeps_inputs=True, input_grad=macs, weight_grad=macs + BIAS)
    work = 2 * macs + BIAS

    dilation: Size = 1
    output_padding: Extra = 0

    @model_validator(mode="after")
    def _output_padding_below_stride_or_dilation(self) -> Any:
        for axis, extra, stride, dilation in zip(("height", "width"), pair(self.output_padding, "output_padding"),
                                                 self.stride_hw(), pair(self.dilation, "dilation")):
            if extra >= max(stride, dilation):
                raise ValueError(f"output_padding {extra} along the {axis} must be below the stride ({stride}) "
                                 f"or the dilation ({dilation}), as PyTorch requires")
        return self

    def spans(self) -> tuple[int, int]:
        """What one input position's kernel covers per axis: dilation·(kernel − 1) + 1."""
        (kh, kw), (dh, dw) = self.kernel_hw(), pair(self.dilation, "dilation")
        return dh * (kh - 1) + 1, dw * (kw - 1) + 1

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        require_groups(c, self.out, self.groups)
        sh, sw = self.stride_hw()
        span_h, span_w = self.spans()
        extra_h, extra_w = pair(self.output_padding, "output_padding")
        top, bottom, left, right = padding(self.pad)
        oh = (h - 1) * sh + span_h + extra_h - top - bottom
        ow = (w - 1) * sw + span_w + extra_w - left - right
        if oh <= 0 or ow <= 0:
            raise ShapeError(f"pad ({top}, {bottom}, {left}, {right}) removes the whole "
                             f"{(h - 1) * sh + span_h + extra_h}x{(w - 1) * sw + span_w + extra_w} "
                             "upsampled output", empty=True)
        return self.out, oh, ow

    def downsampling(self) -> tuple[int, int]:
        return 1, 1  # it upsamples

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        _, h, w = inputs[0]
        (kh, kw), (sh, sw) = self.kernel_hw(), self.stride_hw()
        (dh, dw), extras = pair(self.dilation, "dilation"), pair(self.output_padding, "output_padding")
        top, bottom, left, right = padding(self.pad)
        lines = []
        for side, n, stride, kernel, dilation, extra, before, after, size in (
                ("H", h, sh, kh, dh, extras[0], top, bottom, output[1]),
                ("W", w, sw, kw, dw, extras[1], left, right, output[2])):
            span = f"{kernel}" if dilation == 1 else f"{dilation}·({kernel} − 1) + 1"
            added = f" + {extra}" if extra else ""
            lines.append(f"{side}' = ({n} − 1)·{stride} + {span}{added} − {before} − {after} = {size}")
        return lines

    def learnable(self) -> dict[str, Formula]:
        arrays: dict[str, Formula] = {"weight": Factors(C_IN, C_OUT_PER_GROUP, KH, KW)}
        if self.bias:
            arrays["bias"] = C
        return arrays


class Linear(Layer):
    """nn.Linear as torchvision uses it: a fully connected layer over the
    channels at each position, so it applies to a flattened vector (C x 1 x 1),
    to a token sequence (each token's D features) and, as ConvNeXt applies it
    after a permute, to every position of an image -- a 1x1 convolution in
    shape and cost.

    Its `in_features` are fixed by the channels it sees at the spec's
    reference size (a spec may also state them); at another input size that
    gives it a different channel count (a flatten with no adaptive pool before
    it) the network does not run, as in PyTorch.
    """

    kind = "linear"
    positional = ("out",)
    arity = ONE
    summary = "nn.Linear over the channels at each position (tokens, a flattened vector, NHWC)"
    category = "fully connected"
    example = Example(((16, 5, 1),), {"out": 32})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = SAME
    traffic = INPUTS + OUT

    out: Positive
    bias: bool = True
    in_features: Positive | None = None

    # every output element meets in_features weights
    macs = Named("macs", OUT * C_IN)
    flops = per_convention(
        burden=macs + BIAS,  # as a convolution
        fvcore=macs,  # linear_flop_jit: no bias
        ptflops=macs + BIAS,  # linear_flops_counter_hook: positions x (in·out + out)
        thop=macs,  # count_linear: in_features x output elements, no bias
        calflops=2 * macs,  # _linear_flops_compute drops the bias
    )
    backward = Backward(keeps_inputs=True, input_grad=macs, weight_grad=macs + BIAS)
    work = 2 * macs + BIAS

    def bind_reference(self, inputs: list[Shape]) -> Layer:
        if self.in_features is not None:
            return self
        return self.model_copy(update={"in_features": inputs[0][0]})

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        if self.in_features is not None and c != self.in_features:
            raise ShapeError(f"expects {self.in_features:,} input features (its weights), got {int(c):,}; "
                             "put an adaptiveavgpool before the flatten to keep the head's input fixed")
        return self.out, h, w

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return [f"{inputs[0][0]} features → {self.out} at each of {output[1]}·{output[2]} positions"]

    def learnable(self) -> dict[str, Formula]:
        arrays: dict[str, Formula] = {"weight": Factors(C, C_IN)}
        if self.bias:
            arrays["bias"] = C
        return arrays

    def buffers(self) -> dict[str, Formula]:
        return {}


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
    arity = ONE
    summary = "fully connected (a convolution covering the reference-size input)"
    category = "fully connected"
    example = Example(((32, 3, 3),), {"out": 10})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = IMAGE
    traffic = INPUTS + OUT

    out: Positive
    bias: bool = True
    kernel: tuple[Positive, Positive] | None = None

    macs = Named("macs", OUT * Factors(KH, KW, C_IN))
    flops = per_convention(
        burden=macs + BIAS,
        fvcore=macs,  # linear_flop_jit: no bias
        ptflops=macs + BIAS,  # linear_flops_counter_hook counts the bias
        thop=macs,  # count_linear: no bias
        calflops=2 * macs,  # _linear_flops_compute drops the bias
    )
    backward = Backward(keeps_inputs=True, input_grad=macs, weight_grad=macs + BIAS)
    work = 2 * macs + BIAS

    def kernel_hw(self, inputs: Any = None) -> tuple[int, int]:
        if self.kernel is None:  # not bound yet: the input is the reference input
            return inputs[0][1], inputs[0][2]
        return self.kernel

    def bind_reference(self, inputs: list[Shape]) -> Layer:
        if self.kernel is not None:
            return self
        return self.model_copy(update={"kernel": (inputs[0][1], inputs[0][2])})

    def output_shape(self, inputs: list[Shape]) -> Shape:
        _, h, w = inputs[0]
        kh, kw = self.kernel_hw(inputs)
        if h < kh or w < kw:
            raise ShapeError(f"its weights expect at least {kh}x{kw} positions (the reference "
                             f"input's), got {show(inputs[0])}", empty=True)
        return self.out, h - kh + 1, w - kw + 1

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        _, h, w = inputs[0]
        kh, kw = self.kernel_hw(inputs)
        return [(f"H' = {h} − {kh} + 1 = {output[1]}, W' = {w} − {kw} + 1 = {output[2]} "
                 f"(weights cover {kh}x{kw}: the reference input's extent)")]

    def learnable(self) -> dict[str, Formula]:
        arrays: dict[str, Formula] = {"weight": Factors(C, C_IN, KH, KW)}
        if self.bias:
            arrays["bias"] = C
        return arrays

    def buffers(self) -> dict[str, Formula]:
        return {}


__all__ = ["Conv", "Deconv", "FullyConnected", "Linear"]
