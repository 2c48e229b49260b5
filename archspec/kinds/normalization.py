"""Normalisation layers."""

from __future__ import annotations

from .base import NEW, ONE, Backward, Example, Layer, per_convention
from .families import KeepsShape
from .fields import Positive
from .formula import ZERO, Choice, Formula, Term, Test, Uncounted
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


__all__ = ["BatchNorm", "LocalResponseNorm"]
