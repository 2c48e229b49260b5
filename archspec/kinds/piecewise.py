"""Piecewise-linear activations beyond ReLU: ReLU6, leaky ReLU, PReLU, hard
sigmoid and hard swish (MobileNetV2/V3).

The reference never met them; `burden` prices them by analogy with its ReLU
(a comparison and a multiply, 2 per output element), and hard swish, which
multiplies its input by a hard sigmoid, once more: 3.  Each peer profile
prices the PyTorch module torchvision uses, as that tool counts it.
"""

from __future__ import annotations

from typing import Literal

from .base import IN_PLACE, NEW, ONE, Backward, Example, Layer, per_convention
from .families import KeepsShape, NoParameters
from .forms import ByForm
from .formula import ZERO, Const, Formula, Uncounted
from .terms import INP, INPUTS, OUT, C


class ReLU6(KeepsShape, NoParameters, Layer):
    """min(max(x, 0), 6), as nn.ReLU6(inplace=True) in torchvision's MobileNetV2.
    nn.ReLU6 is a Hardtanh: its forward calls F.hardtanh, not F.relu6, so the
    tools that patch functionals do not see it -- but they do see a model
    that calls F.relu6 itself, `form="functional"` (no torchvision
    classification model does)."""

    kind = "relu6"
    summary = "ReLU capped at 6 (nn.ReLU6), in place"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = IN_PLACE
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=2 * OUT,  # as ReLU: a comparison and a multiply
        fvcore=ByForm(
            module=Uncounted("aten::hardtanh_ has no handle"),
            functional=Uncounted("aten::relu6 has no handle"),
        ),
        ptflops=ByForm(
            # ptflops/pytorch_ops.py relu_flops_counter_hook only: the F.hardtanh its forward calls is
            # not in FUNCTIONAL_MAPPING
            module=OUT,
            functional=OUT,  # FUNCTIONAL_MAPPING[F.relu6]: _numel_functional_flops_hook, no hook
        ),
        thop=ByForm(
            module=Uncounted("thop prices nn.ReLU6 with zero_ops"),  # thop/profile.py register_hooks
            functional=Uncounted("F.relu6 is not a module, and thop only hooks modules"),
        ),
        calflops=ByForm(
            module=Uncounted("nn.ReLU6 calls F.hardtanh, which calflops does not patch"),
            functional=OUT,  # calflops/pytorch_ops.py _relu6_flops_compute on the patched F.relu6
        ),
    )
    # autograd keeps the input (a copy, as the in-place op overwrites it): dy where 0 < x < 6
    backward = Backward(keeps_inputs=True, input_grad=OUT, weight_grad=ZERO)
    work = 2 * OUT
    traffic = INPUTS + OUT

    form: Literal["module", "functional"] = "module"


class HardSigmoid(KeepsShape, NoParameters, Layer):
    """relu6(x + 3) / 6, as nn.Hardsigmoid() in torchvision's squeeze-and-
    excitation gate (MobileNetV3): a new tensor, not in place."""

    kind = "hardsigmoid"
    summary = "hard sigmoid relu6(x + 3)/6 (nn.Hardsigmoid), a new tensor"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=2 * OUT,  # piecewise linear: priced like ReLU
        fvcore=Uncounted("aten::hardsigmoid has no handle"),
        ptflops=Uncounted("nn.Hardsigmoid has no hook and F.hardsigmoid is not patched"),
        thop=Uncounted("nn.Hardsigmoid is not a registered module"),
        calflops=Uncounted("F.hardsigmoid is not patched"),
    )
    backward = Backward(keeps_inputs=True, input_grad=OUT, weight_grad=ZERO)  # dy/6 where -3 < x < 3
    work = 2 * OUT
    traffic = INPUTS + OUT


class HardSwish(KeepsShape, NoParameters, Layer):
    """x · relu6(x + 3) / 6, as nn.Hardswish(inplace=True) in torchvision's
    MobileNetV3."""

    kind = "hardswish"
    summary = "hard swish x·relu6(x + 3)/6 (nn.Hardswish), in place"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = IN_PLACE
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=3 * OUT,  # a hard sigmoid (2, as ReLU) times x: one multiply more
        fvcore=Uncounted("aten::hardswish_ has no handle"),
        ptflops=Uncounted("nn.Hardswish has no hook and F.hardswish is not patched"),
        thop=Uncounted("nn.Hardswish is not a registered module"),
        calflops=Uncounted("F.hardswish is not patched"),
    )
    # autograd keeps (a copy of) the input: dy·(2x + 3)/6 in the middle, a multiply-add and a multiply
    backward = Backward(keeps_inputs=True, input_grad=2 * OUT, weight_grad=ZERO)
    work = 3 * OUT
    traffic = INPUTS + OUT


class LeakyReLU(KeepsShape, NoParameters, Layer):
    """max(x, 0) + slope·min(x, 0), as nn.LeakyReLU(inplace=True)."""

    kind = "leaky_relu"
    positional = ("slope",)
    summary = "leaky ReLU (nn.LeakyReLU), in place"
    category = "element-wise"
    arity = ONE
    example = Example(((4, 3, 5),), {"slope": 0.2})
    storage = IN_PLACE
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=2 * OUT,  # as ReLU: a comparison and a multiply
        fvcore=Uncounted("aten::leaky_relu_ has no handle"),
        ptflops=OUT,  # relu_flops_counter_hook only: F.leaky_relu is not patched
        thop=Uncounted("count_relu prices it with calculate_relu_flops, which returns 0"),
        calflops=OUT,  # _leaky_relu_flops_compute
    )
    # autograd keeps its output (the sign survives the slope): dy or slope·dy
    backward = Backward(keeps_output=True, input_grad=OUT, weight_grad=ZERO)
    work = 2 * OUT
    traffic = INPUTS + OUT

    slope: float | int = 0.01


class PReLU(KeepsShape, Layer):
    """max(x, 0) + a·min(x, 0) with a learnt slope a (nn.PReLU): one slope for
    all channels, or one per channel with `per_channel`.  A new tensor."""

    kind = "prelu"
    summary = "parametric ReLU (nn.PReLU): 1 learnt slope, or C with per_channel=true"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),), {"per_channel": True})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=2 * OUT,  # as ReLU: a comparison and a multiply
        fvcore=Uncounted("aten::prelu has no handle"),
        ptflops=2 * OUT,  # relu_flops_counter_hook + the patched F.prelu its forward calls
        thop=INP,  # count_prelu: input elements (in eval mode, as thop runs it)
        calflops=INP,  # _prelu_flops_compute
    )
    # it keeps its input: dx = dy or a·dy; da = sum of dy·x where x < 0
    backward = Backward(keeps_inputs=True, input_grad=OUT, weight_grad=OUT)
    work = 2 * OUT
    traffic = INPUTS + OUT

    per_channel: bool = False
    init: float | int = 0.25

    def learnable(self) -> dict[str, Formula]:
        return {"slope": C if self.per_channel else Const(1)}

    def buffers(self) -> dict[str, Formula]:
        return {}


__all__ = ["HardSigmoid", "HardSwish", "LeakyReLU", "PReLU", "ReLU6"]
