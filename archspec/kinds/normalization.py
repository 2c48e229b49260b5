"""Normalisation layers.

The reference met two kinds: batch norm, which it assumes folded into the
convolution before it (0 FLOPs), and cross-channel normalisations (LRN, L2),
priced out + (2 + 2C)·H·W.  Normalisations that cannot be folded into a
convolution at test time (layer, group, instance and RMS norm) are priced
by `burden` like the latter.
"""

from __future__ import annotations

from typing import Literal

from .base import NEW, ONE, Backward, Example, Layer, per_convention
from .families import KeepsShape
from .fields import Positive
from .forms import ByForm
from .formula import ZERO, Choice, Formula, Term, Test, Uncounted
from .shape import Shape, ShapeError
from .terms import AREA_IN, C_IN, INP, INPUTS, OUT, C, H, W

AFFINE = Test("affine", lambda s: s.layer.affine, "no affine weights")

# How the peers see F.local_response_norm on C x H x W (ptflops and calflops
# patch its functional internals): Tensor.mul twice and Tensor.add once over
# the input, and avg_pool3d over the channel-padded squares, (C + size - 1) x H x W.
LRN_SIZE = Term("size", lambda s: s.layer.size, meaning="channels in the LRN window")
LRN_AS_TORCH = 3 * OUT + (C_IN + LRN_SIZE - 1) * AREA_IN
# the reference's LRN rule (burden.m), also its L2 normalisation's
NORMALISE_ACROSS_CHANNELS = OUT + (2 + 2 * C) * H * W


class BatchNorm(KeepsShape, Layer):
    """Batch normalisation.  Scale and shift are learnable; the running mean
    and variance are buffers (MatConvNet stores them as a C x 2 'moments'
    array, so the reference counts 4C elements per layer)."""

    kind = "bn"
    summary = "batch norm: 2C learnable (scale, shift) + 2C buffers (running mean, var)"
    category = "normalisation"
    positional = ()
    arity = ONE
    example = Example(((4, 3, 5),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=Uncounted("assumed merged into the convolution at test time"),
        fvcore=Choice(AFFINE, 2 * INP, INP),  # batchnorm_flop_jit, eval mode
        ptflops=Choice(AFFINE, 2 * INP, INP),  # bn_flops_counter_hook
        thop=Choice(AFFINE, 4 * INP, 2 * INP),  # calculate_norm (2n), doubled when affine
        calflops=Choice(AFFINE, 2 * INP, INP),  # _batch_norm_flops_compute, eval
    )
    # dx = g / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)); without affine
    # weights the two reductions (2 per element) fall to the input gradient.
    # It keeps x, plus the batch mean and inverse std of each channel.
    backward = Backward(keeps_inputs=True, saved_elements=2 * C,
                        input_grad=Choice(AFFINE, 3 * INP, 5 * INP),
                        weight_grad=Choice(AFFINE, 3 * INP, ZERO))  # xhat, sum dy*xhat, sum dy
    work = 2 * INP  # run as its own kernel: one multiply-add per element
    traffic = INPUTS + OUT

    eps: float | int = 1e-5
    affine: bool = True

    def learnable(self) -> dict[str, Formula]:
        return {"scale": C, "shift": C} if self.affine else {}

    def buffers(self) -> dict[str, Formula]:
        return {"running_mean": C, "running_var": C}


class LocalResponseNorm(KeepsShape, Layer):
    """Cross-channel local response normalisation (AlexNet, GoogLeNet)."""

    kind = "lrn"
    positional = ("size",)
    summary = "local response normalisation across channels"
    category = "normalisation"
    arity = ONE
    example = Example(((8, 3, 5),), {"size": 5})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=NORMALISE_ACROSS_CHANNELS,
        fvcore=Uncounted("mul, pow, div and avg_pool3d have no handles"),
        ptflops=LRN_AS_TORCH,  # no module hook; its functional internals are patched
        thop=Uncounted("nn.LocalResponseNorm has no hook"),
        calflops=LRN_AS_TORCH,
    )
    # it keeps its input, output and the scale tensor; its gradient costs about twice its forward
    backward = Backward(keeps_inputs=True, keeps_output=True, saved_elements=OUT,
                        input_grad=2 * NORMALISE_ACROSS_CHANNELS, weight_grad=ZERO)
    work = NORMALISE_ACROSS_CHANNELS
    traffic = INPUTS + OUT

    size: Positive = 5
    alpha: float | int = 1e-4
    beta: float | int = 0.75
    k: float | int = 1

    def learnable(self) -> dict[str, Formula]:
        return {}

    def buffers(self) -> dict[str, Formula]:
        return {}


HAS_BIAS = Test("a bias", lambda s: s.layer.bias, "no bias")
POSITIONS = Term("positions", lambda s: s.output[1] * s.output[2], lambda s: f"{s.output[1]}·{s.output[2]}",
                 "positions normalised separately, H·W (tokens: N)")
# torchvision's LayerNorm2d subclasses nn.LayerNorm; the hook tools look modules up by exact type
SUBCLASS_UNSEEN = "torchvision's LayerNorm2d is a subclass of nn.LayerNorm, and hooks are looked up by exact type"
# How BN's backward reads for the normalisations that are not folded: with
# affine weights, the reductions (sum dy, sum dy·x-hat) are shared with the
# weight gradient; without them they fall to the input gradient.
NORM_INPUT_GRAD = Choice(AFFINE, 3 * INP, 5 * INP)


class LayerNorm(KeepsShape, Layer):
    """Layer normalisation over the channels at each position (over D for each
    token), with a learnt scale (and bias) of C when `affine`.

    `form` says which PyTorch module the peer profiles price, the two that
    torchvision uses: "layernorm" is nn.LayerNorm (on tokens; ConvNeXt's
    blocks apply it channels-last, after a permute), "layernorm2d" is
    torchvision's LayerNorm2d (ConvNeXt's stem, downsampling and head), a
    subclass that ptflops and thop do not recognise."""

    kind = "layernorm"
    summary = "layer norm over the channels at each position: C (+ C bias) learnable"
    category = "normalisation"
    positional = ()
    arity = ONE
    example = Example(((8, 5, 7),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=NORMALISE_ACROSS_CHANNELS,  # not foldable: priced like the reference's LRN and L2
        fvcore=Choice(AFFINE, 5 * INP, 4 * INP),  # norm_flop_counter(2): 5 per element with a weight
        # bn_flops_counter_hook: doubled only for an `affine` attribute, which nn.LayerNorm lacks
        ptflops=ByForm(layernorm=INP, layernorm2d=Uncounted(SUBCLASS_UNSEEN)),
        # count_normalization: calculate_norm 2 per element, doubled for elementwise_affine
        thop=ByForm(layernorm=Choice(AFFINE, 4 * INP, 2 * INP), layernorm2d=Uncounted(SUBCLASS_UNSEEN)),
        calflops=Choice(AFFINE, 5 * INP, 4 * INP),  # _layer_norm_flops_compute (LayerNorm2d calls it too)
    )
    # it keeps its input and each position's mean and inverse std
    backward = Backward(keeps_inputs=True, saved_elements=2 * POSITIONS, input_grad=NORM_INPUT_GRAD,
                        weight_grad=Choice(AFFINE, Choice(HAS_BIAS, 3 * INP, 2 * INP), ZERO))
    work = NORMALISE_ACROSS_CHANNELS
    traffic = INPUTS + OUT

    eps: float | int = 1e-5
    affine: bool = True
    bias: bool = True
    form: Literal["layernorm", "layernorm2d"] = "layernorm"

    def learnable(self) -> dict[str, Formula]:
        if not self.affine:
            return {}
        return {"weight": C, "bias": C} if self.bias else {"weight": C}

    def buffers(self) -> dict[str, Formula]:
        return {}


GROUPS = Term("groups", lambda s: s.layer.groups, meaning="channel groups normalised together")


class GroupNorm(KeepsShape, Layer):
    """Group normalisation (nn.GroupNorm): the channels in `groups` groups,
    each normalised over its channels and positions; a learnt scale and
    shift of C each when `affine`."""

    kind = "groupnorm"
    positional = ("groups",)
    summary = "group norm over groups of channels: 2C learnable (scale, shift)"
    category = "normalisation"
    arity = ONE
    example = Example(((8, 5, 7),), {"groups": 2})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=NORMALISE_ACROSS_CHANNELS,  # not foldable: priced like the reference's LRN and L2
        fvcore=Choice(AFFINE, 5 * INP, 4 * INP),  # norm_flop_counter(2) on aten::group_norm
        ptflops=Choice(AFFINE, 2 * INP, INP),  # bn_flops_counter_hook (nn.GroupNorm has `affine`)
        thop=Uncounted("nn.GroupNorm is not a registered module"),
        calflops=Choice(AFFINE, 5 * INP, 4 * INP),  # _group_norm_flops_compute
    )
    # it keeps its input and each group's mean and inverse std
    backward = Backward(keeps_inputs=True, saved_elements=2 * GROUPS, input_grad=NORM_INPUT_GRAD,
                        weight_grad=Choice(AFFINE, 3 * INP, ZERO))
    work = NORMALISE_ACROSS_CHANNELS
    traffic = INPUTS + OUT

    groups: Positive
    eps: float | int = 1e-5
    affine: bool = True

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if inputs[0][0] % self.groups:
            raise ShapeError(f"{inputs[0][0]} channels do not split into groups={self.groups}")
        return inputs[0]

    def learnable(self) -> dict[str, Formula]:
        return {"scale": C, "shift": C} if self.affine else {}

    def buffers(self) -> dict[str, Formula]:
        return {}


class InstanceNorm(KeepsShape, Layer):
    """Instance normalisation (nn.InstanceNorm2d with its defaults: no affine
    weights, no running statistics): each channel normalised over its
    positions; with `affine`, a learnt scale and shift of C each."""

    kind = "instancenorm"
    summary = "instance norm: each channel over its positions (nn.InstanceNorm2d defaults)"
    category = "normalisation"
    positional = ()
    arity = ONE
    example = Example(((8, 5, 7),), {"affine": True})
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=NORMALISE_ACROSS_CHANNELS,
        fvcore=Choice(AFFINE, 5 * INP, 4 * INP),  # norm_flop_counter(1) on aten::instance_norm
        ptflops=Choice(AFFINE, 2 * INP, INP),  # bn_flops_counter_hook
        thop=Choice(AFFINE, 4 * INP, 2 * INP),  # count_normalization: 2 per element, doubled when affine
        calflops=Choice(AFFINE, 5 * INP, 4 * INP),  # _instance_norm_flops_compute
    )
    # it keeps its input and each channel's mean and inverse std
    backward = Backward(keeps_inputs=True, saved_elements=2 * C, input_grad=NORM_INPUT_GRAD,
                        weight_grad=Choice(AFFINE, 3 * INP, ZERO))
    work = NORMALISE_ACROSS_CHANNELS
    traffic = INPUTS + OUT

    eps: float | int = 1e-5
    affine: bool = False

    def learnable(self) -> dict[str, Formula]:
        return {"scale": C, "shift": C} if self.affine else {}

    def buffers(self) -> dict[str, Formula]:
        return {}


class RMSNorm(KeepsShape, Layer):
    """RMS normalisation over the channels at each position (nn.RMSNorm):
    x / rms(x), no mean subtracted, with a learnt scale of C when `affine`
    (no bias).  `eps` unset is PyTorch's default, the dtype's epsilon."""

    kind = "rmsnorm"
    summary = "RMS norm over the channels at each position: C learnable (scale only)"
    category = "normalisation"
    positional = ()
    arity = ONE
    example = Example(((16, 5, 1),))
    storage = NEW
    feature_arrays = 1
    intermediates = ZERO
    macs = ZERO
    flops = per_convention(
        burden=NORMALISE_ACROSS_CHANNELS,
        fvcore=Uncounted("aten::rms_norm has no handle"),
        ptflops=Uncounted("nn.RMSNorm has no hook and F.rms_norm is not patched"),
        thop=Uncounted("nn.RMSNorm is not a registered module"),
        calflops=Uncounted("F.rms_norm is not patched"),
    )
    # it keeps its input and each position's inverse rms; one reduction (sum dy·x-hat)
    # where layer norm has two
    backward = Backward(keeps_inputs=True, saved_elements=POSITIONS, input_grad=Choice(AFFINE, 2 * INP, 3 * INP),
                        weight_grad=Choice(AFFINE, 2 * INP, ZERO))
    work = NORMALISE_ACROSS_CHANNELS
    traffic = INPUTS + OUT

    eps: float | int | None = None
    affine: bool = True

    def learnable(self) -> dict[str, Formula]:
        return {"weight": C} if self.affine else {}

    def buffers(self) -> dict[str, Formula]:
        return {}


__all__ = ["BatchNorm", "GroupNorm", "InstanceNorm", "LayerNorm", "LocalResponseNorm", "RMSNorm"]
