"""Normalisation layers."""

from __future__ import annotations

from .base import Layer, Shape
from .fields import Positive


class BatchNorm(Layer):
    """Batch normalisation.  Scale and shift are learnable; the running mean
    and variance are buffers (MatConvNet stores them as a C x 2 'moments'
    array, so the reference counts 4C elements per layer)."""

    kind = "bn"
    summary = "batch norm: 2C learnable (scale, shift) + 2C buffers (running mean, var)"

    eps: float | int = 1e-5
    affine: bool = True

    def parameters(self, inputs: list[Shape]) -> dict[str, int]:
        c = inputs[0][0]
        return {"scale": c, "shift": c} if self.affine else {}

    def buffers(self, inputs: list[Shape]) -> dict[str, int]:
        c = inputs[0][0]
        return {"running_mean": c, "running_var": c}


class LocalResponseNorm(Layer):
    """Cross-channel local response normalisation (AlexNet, GoogLeNet)."""

    kind = "lrn"
    positional = ("size",)
    summary = "local response normalisation across channels"

    size: Positive = 5
    alpha: float | int = 1e-4
    beta: float | int = 0.75
    k: float | int = 1


__all__ = ["BatchNorm", "LocalResponseNorm"]
