"""Activations built on exp, tanh or log: SiLU (swish).

The reference leaves transcendental functions out (its sigmoid and softmax
cost 0), so `burden` counts only what is left: SiLU, x·σ(x), is one multiply
per element.  Each peer profile prices the PyTorch module torchvision uses,
as that tool counts it.
"""

from __future__ import annotations

from .base import IN_PLACE, ONE, Backward, Example, Layer, per_convention
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


__all__ = ["SiLU"]
