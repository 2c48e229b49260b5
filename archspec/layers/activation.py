"""Point-wise activations and other layers that keep their input's shape."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import Layer

Probability = Annotated[float | int, Field(ge=0, lt=1)]


class ReLU(Layer):
    kind = "relu"
    inplace = True  # the reference (and every framework) overwrites the input
    summary = "rectified linear unit, in place"


class Sigmoid(Layer):
    kind = "sigmoid"
    summary = "logistic sigmoid"


class Softmax(Layer):
    """Softmax over channels, or over another axis (0 C, 1 H, 2 W): SSD's
    class scores are normalised along H after a reshape (`vl_nnsoftmaxt`)."""

    kind = "softmax"
    summary = "softmax over channels (axis=0) or over H (1) or W (2)"

    axis: Annotated[int, Field(ge=0, le=2)] = 0


class Dropout(Layer):
    """Dropout: the identity at test time, but a layer the reference's
    imported graphs kept, so its output is still allocated."""

    kind = "dropout"
    positional = ("p",)
    summary = "dropout (identity at test time; its output is still allocated)"

    p: Probability = 0.5


__all__ = ["Dropout", "ReLU", "Sigmoid", "Softmax"]
