"""Activations built on exp, tanh or log: SiLU (swish), Mish, ELU, tanh and
softplus.

The reference leaves transcendental functions out (its sigmoid and softmax
cost 0), so `burden` counts only what is left: SiLU, x·σ(x), and Mish,
x·tanh(softplus(x)), are one multiply per element; ELU, tanh and softplus
are nothing but the transcendental function: 0.  Each peer profile prices the PyTorch module torchvision uses,
as that tool counts it.
"""

from __future__ import annotations

from .base import IN_PLACE, NEW, ONE, Backward, Example, Layer, per_convention
from .families import KeepsShape, NoParameters
from .formula import ZERO, Uncounted
from .terms import INPUTS, OUT


class SiLU(KeepsShape, NoParameters, Layer):
    """x·σ(x), as nn.SiLU(inplace=True) in torchvision's EfficientNet."""

    kind = "silu"
    summary = "SiLU / swish x·σ(x) (nn.SiLU), in place"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = IN_PLACE
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=OUT,  # σ not counted; the multiply by x is
        fvcore=Uncounted("aten::silu_ has no handle"),
        ptflops=OUT,  # no module hook; the patched F.silu (_numel_functional_flops_hook)
        thop=Uncounted("nn.SiLU is not a registered module"),
        calflops=OUT,  # _silu_flops_compute
    )
    # autograd keeps (a copy of) the input: dy·σ·(1 + x·(1 − σ)) -- a subtract, a
    # multiply-add and two multiplies per element (σ not counted)
    backward = Backward(keeps_inputs=True, input_grad=4 * OUT, weight_grad=ZERO)
    work = OUT
    traffic = INPUTS + OUT


TRANSCENDENTAL = "exp, tanh and log are not counted, as the reference leaves a sigmoid's exponential out"


class Mish(KeepsShape, NoParameters, Layer):
    """x·tanh(softplus(x)) (nn.Mish): a new tensor."""

    kind = "mish"
    summary = "Mish x·tanh(softplus(x)) (nn.Mish)"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=OUT,  # tanh and softplus not counted; the multiply by x is
        fvcore=Uncounted("aten::mish has no handle"),
        ptflops=Uncounted("nn.Mish has no hook and F.mish is not patched"),
        thop=Uncounted("nn.Mish is not a registered module"),
        calflops=Uncounted("F.mish is not patched"),
    )
    # it keeps its input: dy·(t + x·σ(x)·(1 − t²)), t = tanh(softplus(x)): a square, a
    # subtract, two multiplies, an add and the multiply by dy (t, σ not counted)
    backward = Backward(keeps_inputs=True, input_grad=6 * OUT, weight_grad=ZERO)
    work = OUT
    traffic = INPUTS + OUT


class ELU(KeepsShape, NoParameters, Layer):
    """x for x > 0, alpha·(exp(x) − 1) otherwise (nn.ELU): a new tensor."""

    kind = "elu"
    summary = "exponential linear unit (nn.ELU)"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),), {"alpha": 0.5})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=Uncounted(TRANSCENDENTAL),
        fvcore=Uncounted("aten::elu has no handle"),
        ptflops=2 * OUT,  # relu_flops_counter_hook + the patched F.elu its forward calls
        thop=Uncounted("nn.ELU is not a registered module"),
        calflops=OUT,  # _elu_flops_compute
    )
    # it keeps its input: dy, or dy·alpha·exp(x) (exp not counted)
    backward = Backward(keeps_inputs=True, input_grad=OUT, weight_grad=ZERO)
    work = ZERO  # as the reference counts it: only transcendental work
    traffic = INPUTS + OUT

    alpha: float | int = 1.0


class Tanh(KeepsShape, NoParameters, Layer):
    """The hyperbolic tangent (nn.Tanh): a new tensor."""

    kind = "tanh"
    summary = "hyperbolic tangent (nn.Tanh)"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=Uncounted(TRANSCENDENTAL),
        fvcore=Uncounted("aten::tanh has no handle"),
        ptflops=Uncounted("nn.Tanh has no hook and torch.tanh is not patched"),
        thop=Uncounted("nn.Tanh is not a registered module"),
        calflops=Uncounted("torch.tanh is not patched"),
    )
    # it keeps its output: dy·(1 − y²), counted like the sigmoid's dy·y·(1 − y)
    backward = Backward(keeps_output=True, input_grad=2 * OUT, weight_grad=ZERO)
    work = ZERO
    traffic = INPUTS + OUT


class Softplus(KeepsShape, NoParameters, Layer):
    """log(1 + exp(beta·x))/beta, linear above `threshold` (nn.Softplus): a new tensor."""

    kind = "softplus"
    summary = "softplus log(1 + exp(beta·x))/beta (nn.Softplus)"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),), {"beta": 2})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=Uncounted(TRANSCENDENTAL),
        fvcore=Uncounted("aten::softplus has no handle"),
        ptflops=Uncounted("nn.Softplus has no hook and F.softplus is not patched"),
        thop=Uncounted("nn.Softplus is not a registered module"),
        calflops=Uncounted("F.softplus is not patched"),
    )
    # it keeps its input: dy·σ(beta·x), a multiply by beta and one by dy (σ not counted)
    backward = Backward(keeps_inputs=True, input_grad=2 * OUT, weight_grad=ZERO)
    work = ZERO
    traffic = INPUTS + OUT

    beta: float | int = 1
    threshold: float | int = 20


__all__ = ["ELU", "Mish", "SiLU", "Softplus", "Tanh"]
