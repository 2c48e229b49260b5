"""Point-wise activations and other layers that keep their input's shape."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import IN_PLACE, NEW, ONE, VIEW, Backward, Example, Layer, Storage, per_convention
from .families import KeepsShape, NoParameters
from .forms import ByForm
from .formula import ZERO, Choice, Const, Formula, Test, Uncounted
from .terms import AREA, INPUTS, OUT, C

Probability = Annotated[float | int, Field(ge=0, lt=1)]
# torchvision's stochastic_depth accepts 0 <= p <= 1 (p = 1 drops every branch)
DropProbability = Annotated[float | int, Field(ge=0, le=1)]


class ReLU(KeepsShape, NoParameters, Layer):
    """max(x, 0).  `inplace` (default true) is nn.ReLU(inplace=True), which
    writes over its input when nothing later reads it; torchvision's
    squeeze-and-excitation block makes a plain nn.ReLU(): `inplace=false`.
    `form` is how the PyTorch model calls it: the module nn.ReLU, or
    `"functional"`, F.relu (torchvision's BasicConv2d in GoogLeNet and
    Inception-v3, DenseNet's last ReLU), which ptflops counts once, not twice."""

    kind = "relu"
    summary = "rectified linear unit, in place (inplace=false: a new tensor)"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = IN_PLACE  # the reference (and nn.ReLU(inplace=True)) overwrites the input
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=2 * OUT,  # a comparison and a multiply
        # aten::relu_ / aten::relu, whichever form calls it (fvcore/nn/jit_analysis.py _IGNORED_OPS)
        fvcore=Uncounted("aten::relu_ is one of fvcore's ignored ops"),
        ptflops=ByForm(
            # ptflops/pytorch_ops.py relu_flops_counter_hook (output numel) + the F.relu its
            # forward calls, patched by pytorch_engine.py patch_functional (_numel_functional_flops_hook)
            module=2 * OUT,
            functional=OUT,  # the patched F.relu alone: no module to hook
        ),
        thop=ByForm(
            module=Uncounted("thop prices nn.ReLU with zero_ops"),  # thop/profile.py register_hooks
            functional=Uncounted("F.relu is not a module, and thop only hooks modules"),
        ),
        calflops=OUT,  # calflops/pytorch_ops.py _relu_flops_compute on the patched F.relu: either form
    )
    backward = Backward(keeps_output=True, input_grad=OUT, weight_grad=ZERO)  # dy where y > 0
    work = 2 * OUT
    traffic = INPUTS + OUT

    inplace: bool = True
    form: Literal["module", "functional"] = "module"

    def storage_of(self) -> Storage:
        return IN_PLACE if self.inplace else NEW


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
    755 MB needs both).  `inplace=true` is nn.Dropout(inplace=True)
    (EfficientNet's, MobileNetV3's and MNASNet's classifiers): in training it
    writes over its input when nothing later needs that input."""

    kind = "dropout"
    positional = ("p",)
    summary = "dropout (identity at test time; its output is still allocated)"
    category = "element-wise"
    arity = ONE
    example = Example(((4, 3, 5),))
    # a view of its input at inference; in training a new tensor (storage_of: over its
    # input with inplace=true), and a 1-byte mask
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
    inplace: bool = False  # nn.Dropout(inplace=True), as EfficientNet, MobileNetV3 and MNASNet use it

    def storage_of(self) -> Storage:
        return Storage(inference="view", training="in place" if self.inplace else "new")


DROPS = Test("p > 0", lambda s: s.layer.p > 0, "p = 0: it returns its input")
DROPPING = Storage(inference="view", training="new")


class DropPath(KeepsShape, NoParameters, Layer):
    """Stochastic depth on a residual branch (torchvision's StochasticDepth,
    "row" mode, as in EfficientNet and ConvNeXt): the identity at inference;
    in training each image's branch is kept with probability 1 − p and
    scaled by 1/(1 − p).  With p = 0 torchvision's stochastic_depth returns
    its input in training too (no mask, no product); p = 1 drops every
    branch (a product with zeros)."""

    kind = "droppath"
    positional = ("p",)
    summary = "stochastic depth (StochasticDepth, row mode): identity at inference (and at p = 0)"
    category = "element-wise"
    arity = ONE
    example = Example(((4, 3, 5),), {"p": 0.2})
    # with its default p = 0 a view of its input, in training too (storage_of: p > 0)
    storage = VIEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=Uncounted("the identity at test time, like dropout"),
        fvcore=Uncounted("StochasticDepth returns its input at inference"),
        ptflops=Uncounted("StochasticDepth returns its input at inference"),
        thop=Uncounted("StochasticDepth returns its input at inference"),
        calflops=Uncounted("StochasticDepth returns its input at inference"),
    )
    # training keeps the per-image mask (one element per image) and multiplies by it;
    # at p = 0 the gradient passes through
    backward = Backward(saved_elements=Choice(DROPS, Const(1), ZERO), input_grad=Choice(DROPS, OUT, ZERO),
                        weight_grad=ZERO)
    work = ZERO
    traffic = ZERO  # a view: it moves nothing

    p: DropProbability = 0.0

    def storage_of(self) -> Storage:
        # torchvision/ops/stochastic_depth.py: `if not training or p == 0.0: return input`
        return DROPPING if self.p > 0 else VIEW


class LayerScale(KeepsShape, Layer):
    """A learnt per-channel multiplier (ConvNeXt's layer scale, `self.layer_scale
    * x`): C parameters, initialised to `init`.  `burden` prices it like its
    element-wise product (vl_nnscale): 1 per element; the peers see a Python
    `*`, which none of them counts."""

    kind = "layerscale"
    summary = "learnt per-channel scale (ConvNeXt's layer scale): C parameters"
    category = "element-wise"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=OUT,  # one multiply per element, as mul
        fvcore=Uncounted("`layer_scale * x` is a Python operator: aten::mul has no handle"),
        ptflops=Uncounted("`layer_scale * x` is a Python operator, not a patched call"),
        thop=Uncounted("`layer_scale * x` is not a module"),
        calflops=Uncounted("`layer_scale * x` is a Python operator, not a patched call"),
    )
    # dx = dy·γ; dγ = sum of dy·x over each channel: it keeps its input
    backward = Backward(keeps_inputs=True, input_grad=OUT, weight_grad=OUT)
    work = OUT
    traffic = INPUTS + OUT

    init: float | int = 1e-6

    def learnable(self) -> dict[str, Formula]:
        return {"gamma": C}

    def buffers(self) -> dict[str, Formula]:
        return {}


__all__ = ["GELU", "DropPath", "Dropout", "LayerScale", "ReLU", "Sigmoid", "Softmax"]
