"""Pooling layers: windowed max/average pooling, global pooling and
PyTorch's adaptive pooling."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from .base import NEW, ONE, Backward, Example, Layer, per_convention
from .families import NoParameters, collapse_line
from .fields import Pad, Positive, Size
from .forms import ByForm
from .formula import ZERO, Choice, Term, Test, Uncounted
from .shape import IMAGE, SAME, Shape, ShapeError, Window, padding, pair, show
from .terms import AREA_IN, INP, INPUTS, OUT, C

STRIDE_AREA = Term("stride_area", lambda s: s.layer.stride_area(),
                   lambda s: "{}·{}".format(*s.layer.strides()), "stride height · stride width")
WINDOW = Term("window", lambda s: s.layer.window_area(), lambda s: "{}·{}".format(*pair(s.layer.kernel, "kernel")),
              "positions of one pooling window, kh·kw")
# A pooling window that covers its whole input in one position: its PyTorch
# equivalent is a global (adaptive, output 1 x 1) pool, which is how today's
# torchvision writes the pool before its classifiers.
COVERS_INPUT = Test("the window covers the input", lambda s: s.layer.covers(s.inputs[0], s.output),
                    "the window does not cover the input")
# burden.m prices pooling by the stride, not the window
BURDEN_POOL = 2 * OUT * STRIDE_AREA
ADAPTIVE_AVG_THOP = (AREA_IN + 1) * OUT  # count_adap_avgpool: a sum over the window and a division


# thop hooks modules only (thop/profile.py register_hooks): a call it never sees
def _not_a_module(function: str) -> Uncounted:
    return Uncounted(f"{function} is not a module, and thop only hooks modules")


# Tensor methods no tool patches (ptflops/pytorch_ops.py TENSOR_OPS_MAPPING,
# calflops/pytorch_ops.py _patch_tensor_methods) and fvcore has no handle for.
MEAN_UNSEEN_FVCORE = Uncounted("aten::mean has no handle")
MEAN_UNSEEN = Uncounted("x.mean([2, 3]) is a tensor method no tool patches")


class WindowPool(NoParameters, Layer):
    """Sliding-window pooling.  `stride` defaults to the kernel (PyTorch's
    default); `ceil` selects ceil-mode rounding (Caffe, PyTorch ceil_mode).
    `form` is how the PyTorch model calls it: the module (nn.MaxPool2d,
    nn.AvgPool2d) or `"functional"`, F.max_pool2d / F.avg_pool2d
    (Inception-v3's modules), which ptflops counts once and thop not at all."""

    positional = ("kernel",)
    arity = ONE
    category = "pooling"
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = SAME
    macs = ZERO
    work = BURDEN_POOL
    traffic = INPUTS + OUT

    kernel: Size
    stride: Size | None = None
    pad: Pad = 0
    ceil: bool = False
    form: Literal["module", "functional"] = "module"

    def strides(self) -> tuple[int, int]:
        return pair(self.kernel if self.stride is None else self.stride, "stride")

    def stride_area(self) -> int:
        sh, sw = self.strides()
        return sh * sw

    def window_area(self) -> int:
        kh, kw = pair(self.kernel, "kernel")
        return kh * kw

    def covers(self, inputs: Shape, output: Shape) -> bool:
        kh, kw = pair(self.kernel, "kernel")
        return output[1:] == (1, 1) and kh >= inputs[1] and kw >= inputs[2]

    def dilations(self) -> tuple[int, int]:
        return 1, 1

    def windows(self) -> tuple[Window, Window]:
        kh, kw = pair(self.kernel, "kernel")
        sh, sw = self.strides()
        dh, dw = self.dilations()
        top, bottom, left, right = padding(self.pad)
        return (Window(kh, sh, top, bottom, dh, ceil=self.ceil),
                Window(kw, sw, left, right, dw, ceil=self.ceil))

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c, h, w = inputs[0]
        rows, cols = self.windows()
        oh, ow = rows.size(h), cols.size(w)
        if oh <= 0 or ow <= 0:
            kh, kw = pair(self.kernel, "kernel")
            raise ShapeError(f"a {kh}x{kw} window does not fit the padded input {show(inputs[0])}",
                             empty=True)
        return c, oh, ow

    def downsampling(self) -> tuple[int, int]:
        return self.strides()

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        rows, cols = self.windows()
        return [f"H' = {rows.written(inputs[0][1])}", f"W' = {cols.written(inputs[0][2])}"]


class MaxPool(WindowPool):
    """Max pooling; `dilation` spaces the window's taps as nn.MaxPool2d's does
    (average pooling has none in PyTorch)."""

    kind = "maxpool"
    summary = "max pooling (floor or ceil rounding, padding, dilation)"
    example = Example(((4, 9, 8),), {"kernel": 3, "stride": 2, "ceil": True, "dilation": 2})
    flops = per_convention(
        burden=BURDEN_POOL,
        # not in fvcore/nn/jit_analysis.py _IGNORED_OPS either: reported as unsupported
        fvcore=Uncounted("aten::max_pool2d has no handle"),
        ptflops=ByForm(
            # ptflops/pytorch_ops.py pool_flops_counter_hook (input numel) + the patched
            # F.max_pool2d its forward calls (_numel_functional_flops_hook, input numel)
            module=2 * INP,
            functional=INP,  # the patched F.max_pool2d alone
        ),
        thop=ByForm(
            module=Uncounted("thop prices nn.MaxPool2d with zero_ops"),  # thop/profile.py register_hooks
            functional=_not_a_module("F.max_pool2d"),
        ),
        calflops=INP,  # calflops/pytorch_ops.py _pool_flops_compute on the patched F.max_pool2d: input elements
    )
    # PyTorch keeps the argmax indices as int64; each output gradient goes to one input
    backward = Backward(keeps_inputs=True, saved_bytes=8 * OUT, input_grad=OUT, weight_grad=ZERO)

    dilation: Size = 1

    def dilations(self) -> tuple[int, int]:
        return pair(self.dilation, "dilation")


class AvgPool(WindowPool):
    kind = "avgpool"
    summary = "average pooling (floor or ceil rounding, padding)"
    example = Example(((4, 9, 8),), {"kernel": 2})
    flops = per_convention(
        burden=BURDEN_POOL,
        # either form: a window over the whole input is nn.AdaptiveAvgPool2d(1) /
        # F.adaptive_avg_pool2d(x, 1), aten::adaptive_avg_pool2d, 1 per input element
        # (fvcore/nn/flop_count.py elementwise_flop_counter(1, 0)); aten::avg_pool2d has no handle
        fvcore=Choice(COVERS_INPUT, INP, Uncounted("aten::avg_pool2d has no handle")),
        ptflops=ByForm(
            # ptflops/pytorch_ops.py pool_flops_counter_hook + the patched F.avg_pool2d
            # (F.adaptive_avg_pool2d) its forward calls: input elements twice
            module=2 * INP,
            functional=INP,  # the patched function alone (_numel_functional_flops_hook)
        ),
        thop=ByForm(
            # thop/vision/basic_hooks.py count_avgpool (calc_func.py calculate_avgpool): 1 per output,
            # whatever count_include_pad; a whole-input window is count_adap_avgpool's
            module=Choice(COVERS_INPUT, ADAPTIVE_AVG_THOP, OUT),
            functional=_not_a_module("F.avg_pool2d"),
        ),
        calflops=INP,  # calflops/pytorch_ops.py _pool_flops_compute: input elements, either form
    )
    backward = Backward(keeps_inputs=True, input_grad=OUT * WINDOW, weight_grad=ZERO)  # spread over the window


class GlobalPool(NoParameters, Layer):
    """What global pooling kinds share: C x H x W to C x 1 x 1."""

    category = "pooling"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = IMAGE
    macs = ZERO
    backward = Backward(keeps_inputs=True, input_grad=INP, weight_grad=ZERO)
    work = INP
    traffic = INPUTS + OUT

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0][0], 1, 1

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return collapse_line(inputs, output)


class GlobalAvgPool(GlobalPool):
    """Global average pooling.  `form` is how the PyTorch model writes it:
    the module nn.AdaptiveAvgPool2d(1) (ResNet, GoogLeNet, EfficientNet...),
    `"functional"`, F.adaptive_avg_pool2d(x, (1, 1)) (MobileNetV2, DenseNet),
    or `"mean"`, x.mean([2, 3]) (MNASNet, ShuffleNetV2), which no tool counts."""

    kind = "gavgpool"
    summary = "global average pooling to C x 1 x 1"
    flops = per_convention(
        burden=INP,
        fvcore=ByForm(
            module=INP,  # aten::adaptive_avg_pool2d: fvcore/nn/flop_count.py elementwise_flop_counter(1, 0)
            functional=INP,  # the same aten op
            mean=MEAN_UNSEEN_FVCORE,
        ),
        ptflops=ByForm(
            # ptflops/pytorch_ops.py pool_flops_counter_hook + the patched F.adaptive_avg_pool2d its
            # forward calls (_numel_functional_flops_hook): input elements twice
            module=2 * INP,
            functional=INP,  # the patched function alone
            mean=MEAN_UNSEEN,
        ),
        thop=ByForm(
            module=ADAPTIVE_AVG_THOP,  # thop/vision/basic_hooks.py count_adap_avgpool
            functional=_not_a_module("F.adaptive_avg_pool2d"),
            mean=MEAN_UNSEEN,
        ),
        calflops=ByForm(
            module=INP,  # calflops/pytorch_ops.py _pool_flops_compute on the patched F.adaptive_avg_pool2d
            functional=INP,
            mean=MEAN_UNSEEN,
        ),
    )

    form: Literal["module", "functional", "mean"] = "module"


class GlobalMaxPool(GlobalPool):
    kind = "gmaxpool"
    summary = "global max pooling to C x 1 x 1"
    flops = per_convention(
        burden=INP,
        fvcore=Uncounted("aten::adaptive_max_pool2d has no handle"),
        ptflops=2 * INP,
        thop=Uncounted("thop prices nn.AdaptiveMaxPool2d with zero_ops"),
        calflops=INP,
    )


# --- adaptive pooling ---------------------------------------------------------------

def adaptive_spans(n: Any, k: int) -> Any:
    """Input positions the k adaptive windows over a side of n cover together,
    counting overlaps: window i runs from floor(i·n/k) to ceil((i+1)·n/k)
    (PyTorch's adaptive pooling), so the sum is n when k divides n."""
    total: Any = 0
    for i in range(k):
        total = total + (-(-(i + 1) * n // k) - i * n // k)
    return total


def _thop_adaptive_avg(s: Any) -> Any:
    """thop's count_adap_avgpool, in its own float64 arithmetic: the window
    (H_in/H)·(W_in/W), plus one division, times the output elements, truncated
    -- which can come out one below the exact rational."""
    _, hi, wi = s.inputs[0]
    _, ho, wo = s.output
    if not any(hasattr(v, "shape") for v in (hi, wi, s.out)):  # one size: plain floats, no numpy
        return int((float(hi) / ho * (float(wi) / wo) + 1) * float(s.out))
    import numpy as np  # a sweep's sides at many sizes

    window = np.asarray(hi, dtype=np.float64) / ho * (np.asarray(wi, dtype=np.float64) / wo)
    counted = np.floor((window + 1) * np.asarray(s.out, dtype=np.float64)).astype(np.int64)
    return counted.astype(object) if np.asarray(s.out).dtype == object else counted


def _tile(s: Any) -> bool:
    (_, hi, wi), (_, ho, wo) = s.inputs[0], s.output
    return bool((hi % ho == 0) & (wi % wo == 0))


TILES = Test("the windows tile the input", _tile, "the windows overlap")
TILE_AREA = Term("window", lambda s: (s.inputs[0][1] // s.output[1]) * (s.inputs[0][2] // s.output[2]),
                 lambda s: f"{s.inputs[0][1] // s.output[1]}·{s.inputs[0][2] // s.output[2]}",
                 "positions of one adaptive window, (H_in/H)·(W_in/W)")
THOP_FLOAT = Term("thop_float", _thop_adaptive_avg,
                  lambda s: f"{_thop_adaptive_avg(s):,} (float64, truncated)",
                  "thop's float64 int(((H_in/H)·(W_in/W) + 1)·out)")
ADAPTIVE_AVG_THOP_ANY = Choice(TILES, (TILE_AREA + 1) * OUT, THOP_FLOAT)
SPANS = Term("spans", lambda s: adaptive_spans(s.inputs[0][1], s.output[1])
             * adaptive_spans(s.inputs[0][2], s.output[2]),
             lambda s: (f"{adaptive_spans(s.inputs[0][1], s.output[1])}"
                        f"·{adaptive_spans(s.inputs[0][2], s.output[2])}"),
             "input positions the windows cover, overlaps counted")
OutputSize = Positive | tuple[Positive, Positive]


class AdaptivePool(NoParameters, Layer):
    """PyTorch's adaptive pooling to a fixed H x W whatever the input: along a
    side of n, output i pools positions floor(i·n/k) to ceil((i+1)·n/k)
    (windows overlap when k does not divide n, and repeat when k > n).
    torchvision puts one before its classifiers: AlexNet (6, 6), VGG (7, 7).
    The reference never met it; `burden` prices it like a global pool,
    one per input element."""

    positional = ("size",)
    arity = ONE
    category = "pooling"
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = IMAGE
    macs = ZERO
    work = INP
    traffic = INPUTS + OUT

    size: OutputSize

    def output_shape(self, inputs: list[Shape]) -> Shape:
        kh, kw = pair(self.size, "size")
        return inputs[0][0], kh, kw

    def downsampling(self) -> tuple[int, int]:
        return 1, 1  # its output is fixed: constant in the input size

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        _, h, w = inputs[0]
        _, kh, kw = output
        return [f"{h}x{w} → {kh}x{kw}: window i spans floor(i·{h}/{kh}) to ceil((i+1)·{h}/{kh}) rows, "
                f"floor(j·{w}/{kw}) to ceil((j+1)·{w}/{kw}) columns"]


class AdaptiveAvgPool(AdaptivePool):
    """Adaptive average pooling.  `form` is how the PyTorch model writes it:
    the module nn.AdaptiveAvgPool2d (AlexNet, VGG), `"functional"`,
    F.adaptive_avg_pool2d, or -- to 1 x 1 only -- `"mean"`, x.mean([2, 3])."""

    kind = "adaptiveavgpool"
    summary = "adaptive average pooling to size x size (PyTorch's overlapping windows)"
    example = Example(((8, 13, 13),), {"size": 6})
    flops = per_convention(
        burden=INP,  # as vl_nnglobalpool: one per input element
        fvcore=ByForm(
            module=INP,  # aten::adaptive_avg_pool2d: fvcore/nn/flop_count.py elementwise_flop_counter(1, 0)
            functional=INP,  # the same aten op
            mean=MEAN_UNSEEN_FVCORE,
        ),
        ptflops=ByForm(
            # ptflops/pytorch_ops.py pool_flops_counter_hook + the patched F.adaptive_avg_pool2d
            module=2 * INP,
            functional=INP,  # the patched function alone (_numel_functional_flops_hook)
            mean=MEAN_UNSEEN,
        ),
        thop=ByForm(
            # thop/vision/basic_hooks.py count_adap_avgpool / calc_func.py calculate_adaptive_avg, float64
            module=ADAPTIVE_AVG_THOP_ANY,
            functional=_not_a_module("F.adaptive_avg_pool2d"),
            mean=MEAN_UNSEEN,
        ),
        calflops=ByForm(
            module=INP,  # calflops/pytorch_ops.py _pool_flops_compute: input elements
            functional=INP,
            mean=MEAN_UNSEEN,
        ),
    )
    # each output gradient is spread over its window: every covered position once per window
    backward = Backward(keeps_inputs=True, input_grad=C * SPANS, weight_grad=ZERO)

    form: Literal["module", "functional", "mean"] = "module"

    @model_validator(mode="after")
    def _mean_is_global(self) -> AdaptiveAvgPool:
        if self.form == "mean" and pair(self.size, "size") != (1, 1):
            raise ValueError("form=\"mean\" is x.mean([2, 3]), which pools to 1 x 1: its size must be 1")
        return self


class AdaptiveMaxPool(AdaptivePool):
    kind = "adaptivemaxpool"
    summary = "adaptive max pooling to size x size (PyTorch's overlapping windows)"
    example = Example(((8, 13, 13),), {"size": (6, 4)})
    flops = per_convention(
        burden=INP,
        fvcore=Uncounted("aten::adaptive_max_pool2d has no handle"),
        ptflops=2 * INP,  # pool_flops_counter_hook + the patched F.adaptive_max_pool2d
        thop=Uncounted("thop prices nn.AdaptiveMaxPool2d with zero_ops"),
        calflops=INP,  # _pool_flops_compute
    )
    # int64 argmax indices; each output gradient goes to one input
    backward = Backward(keeps_inputs=True, saved_bytes=8 * OUT, input_grad=OUT, weight_grad=ZERO)


__all__ = ["AdaptiveAvgPool", "AdaptiveMaxPool", "AvgPool", "GlobalAvgPool", "GlobalMaxPool", "MaxPool",
           "adaptive_spans"]
