"""The layer kinds.  Importing this package registers every kind in REGISTRY;
a kind that lacks a fact stops the import with an error naming it."""

from . import (  # noqa: F401  (registration)
    activation,
    attention,
    channels,
    conv,
    detection,
    merge,
    normalization,
    opaque,
    piecewise,
    pooling,
    resampling,
    reshape,
    segmentation,
    smooth,
    tokens,
)
from .base import REGISTRY, Layer
from .shape import Shape, ShapeError, show

__all__ = ["REGISTRY", "Layer", "Shape", "ShapeError", "show"]
