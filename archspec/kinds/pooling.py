"""Pooling layers: windowed max/average pooling and global pooling."""

from __future__ import annotations

from .base import NEW, ONE, Backward, Example, Layer, per_convention
from .families import NoParameters, collapse_line
from .fields import Pad, Size
from .formula import ZERO, Choice, Term, Test, Uncounted
from .shape import IMAGE, SAME, Shape, ShapeError, Window, padding, pair, show
from .terms import AREA_IN, INP, INPUTS, OUT

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


class WindowPool(NoParameters, Layer):
    """Sliding-window pooling.  `stride` defaults to the kernel (PyTorch's
    default); `ceil` selects ceil-mode rounding (Caffe, PyTorch ceil_mode)."""

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

    def windows(self) -> tuple[Window, Window]:
        kh, kw = pair(self.kernel, "kernel")
        sh, sw = self.strides()
        top, bottom, left, right = padding(self.pad)
        return Window(kh, sh, top, bottom, ceil=self.ceil), Window(kw, sw, left, right, ceil=self.ceil)

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
    kind = "maxpool"
    summary = "max pooling (floor or ceil rounding, padding)"
    example = Example(((4, 9, 8),), {"kernel": 3, "stride": 2, "ceil": True})
    flops = per_convention(
        burden=BURDEN_POOL,
        fvcore=Uncounted("aten::max_pool2d is one of fvcore's ignored ops"),
        ptflops=2 * INP,  # pool_flops_counter_hook + the patched F.max_pool2d: input elements
        thop=Uncounted("thop prices nn.MaxPool2d with zero_ops"),
        calflops=INP,  # _pool_flops_compute: input elements
    )
    # PyTorch keeps the argmax indices as int64; each output gradient goes to one input
    backward = Backward(keeps_inputs=True, saved_bytes=8 * OUT, input_grad=OUT, weight_grad=ZERO)


class AvgPool(WindowPool):
    kind = "avgpool"
    summary = "average pooling (floor or ceil rounding, padding)"
    example = Example(((4, 9, 8),), {"kernel": 2})
    flops = per_convention(
        burden=BURDEN_POOL,
        # avg_pool2d has no handle; adaptive_avg_pool2d: 1 per input element
        fvcore=Choice(COVERS_INPUT, INP, Uncounted("aten::avg_pool2d has no handle")),
        ptflops=2 * INP,  # hook + patched F.avg_pool2d
        thop=Choice(COVERS_INPUT, ADAPTIVE_AVG_THOP, OUT),  # count_avgpool: 1 per output
        calflops=INP,
    )
    backward = Backward(keeps_inputs=True, input_grad=OUT * WINDOW, weight_grad=ZERO)  # spread over the window


class GlobalAvgPool(NoParameters, Layer):
    kind = "gavgpool"
    summary = "global average pooling to C x 1 x 1"
    category = "pooling"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    layout = IMAGE
    macs = ZERO
    flops = per_convention(
        burden=INP,
        fvcore=INP,  # aten::adaptive_avg_pool2d: elementwise_flop_counter(1, 0)
        ptflops=2 * INP,  # Adaptive*Pool2d hook + the patched functional
        thop=ADAPTIVE_AVG_THOP,
        calflops=INP,
    )
    backward = Backward(keeps_inputs=True, input_grad=INP, weight_grad=ZERO)
    work = INP
    traffic = INPUTS + OUT

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0][0], 1, 1

    def downsampling(self) -> tuple[int, int]:
        return 1, 1

    def size_lines(self, inputs: list[Shape], output: Shape) -> list[str]:
        return collapse_line(inputs, output)


class GlobalMaxPool(GlobalAvgPool):
    kind = "gmaxpool"
    summary = "global max pooling to C x 1 x 1"
    flops = per_convention(
        burden=INP,
        fvcore=Uncounted("aten::adaptive_max_pool2d has no handle"),
        ptflops=2 * INP,
        thop=Uncounted("thop prices nn.AdaptiveMaxPool2d with zero_ops"),
        calflops=INP,
    )


__all__ = ["AvgPool", "GlobalAvgPool", "GlobalMaxPool", "MaxPool"]
