"""Point-wise activations and other layers that keep their input's shape."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import IN_PLACE, NEW, ONE, Backward, Example, Layer, Storage, per_convention
from .families import KeepsShape, NoParameters
from .formula import ZERO, Uncounted
from .terms import AREA, INPUTS, OUT, C

Probability = Annotated[float | int, Field(ge=0, lt=1)]



class ReLU(KeepsShape, NoParameters, Layer):
    kind = "relu"
    summary = "rectified linear unit, in place"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = IN_PLACE  # the reference (and every framework) overwrites the input
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=2 * OUT,  # a comparison and a multiply
        fvcore=Uncounted("aten::relu_ is one of fvcore's ignored ops"),
        ptflops=2 * OUT,  # relu_flops_counter_hook + the patched F.relu inside its forward
        thop=Uncounted("thop prices nn.ReLU with zero_ops"),
        calflops=OUT,  # _relu_flops_compute
    )
    backward = Backward(keeps_output=True, input_grad=OUT, weight_grad=ZERO)  # dy where y > 0
    work = 2 * OUT
    traffic = INPUTS + OUT


class Sigmoid(KeepsShape, NoParameters, Layer):
    kind = "sigmoid"
    summary = "logistic sigmoid"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=Uncounted("exponentials are not counted"),
        fvcore=Uncounted("no handle for sigmoid"),
        ptflops=Uncounted("nn.Sigmoid has no hook"),
        thop=Uncounted("nn.Sigmoid has no hook"),
        calflops=Uncounted("torch.sigmoid is not patched"),
    )
    backward = Backward(keeps_output=True, input_grad=2 * OUT, weight_grad=ZERO)  # dy * y * (1 - y)
    work = ZERO
    traffic = INPUTS + OUT


class GELU(KeepsShape, NoParameters, Layer):
    """Gaussian error linear unit, x·Φ(x) (torch.nn.GELU): exact, or with
    `approximate="tanh"`.  Like the sigmoid's exponential, erf and tanh are
    not counted by the reference's rules."""

    kind = "gelu"
    summary = "Gaussian error linear unit x·Φ(x) (exact, or approximate=\"tanh\")"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = NEW  # nn.GELU has no in-place form
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=Uncounted("erf and tanh are not counted, as the reference leaves exponentials out"),
        fvcore=Uncounted("aten::gelu has no handle"),
        ptflops=2 * OUT,  # nn.GELU is hooked like a ReLU, and the F.gelu its forward calls is patched too
        thop=Uncounted("nn.GELU is not a registered module"),
        calflops=OUT,  # _gelu_flops_compute, whatever the approximation
    )
    # dx = dy·(Φ(x) + x·φ(x)): a multiply, an add and a multiply per element (Φ, φ not counted)
    backward = Backward(keeps_inputs=True, input_grad=3 * OUT, weight_grad=ZERO)
    work = ZERO  # as the reference counts it: only transcendental work
    traffic = INPUTS + OUT

    approximate: Literal["none", "tanh"] = "none"


class Softmax(KeepsShape, NoParameters, Layer):
    """Softmax over channels, or over another axis (0 C, 1 H, 2 W): SSD's
    class scores are normalised along H after a reshape (`vl_nnsoftmaxt`)."""

    kind = "softmax"
    summary = "softmax over channels (axis=0) or over H (1) or W (2)"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=Uncounted("exponentials are not counted"),
        fvcore=Uncounted("no handle for softmax"),
        ptflops=OUT,  # the patched F.softmax (nn.Softmax has no module hook)
        thop=AREA * (3 * C - 1),  # count_softmax over channels: exp, sum, divide
        calflops=OUT,
    )
    backward = Backward(keeps_output=True, input_grad=3 * OUT, weight_grad=ZERO)  # y * (dy - sum(dy * y))
    work = ZERO
    traffic = INPUTS + OUT

    axis: Annotated[int, Field(ge=0, le=2)] = 0


class Dropout(KeepsShape, NoParameters, Layer):
    """Dropout: the identity at test time, but a layer the reference's
    imported graphs kept, so its output is still allocated -- twice: autonn's
    vl_nnmask mask and the vl_nndropout_wrapper output (deeplab-vggvd-v2's
    755 MB needs both)."""

    kind = "dropout"
    positional = ("p",)
    summary = "dropout (identity at test time; its output is still allocated)"
    category = "element-wise"
    arity = ONE
    example = Example(((4, 3, 5),))
    # a view of its input at inference; in training a new tensor, and a 1-byte mask
    storage = Storage(inference="view", training="new")
    feature_arrays = 2
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=Uncounted("the identity at test time"),
        fvcore=Uncounted("the identity at inference"),
        ptflops=Uncounted("the identity at inference"),
        thop=Uncounted("the identity at inference"),
        calflops=Uncounted("the identity at inference"),
    )
    backward = Backward(saved_bytes=OUT, input_grad=OUT, weight_grad=ZERO)
    work = ZERO
    traffic = ZERO  # a view: it moves nothing

    p: Probability = 0.5


__all__ = ["GELU", "Dropout", "ReLU", "Sigmoid", "Softmax"]
