"""All layer kinds.  Importing this package registers every kind in REGISTRY."""

from . import (  # noqa: F401  (registration)
    activation,
    conv,
    detection,
    merge,
    normalization,
    pooling,
    reshape,
    segmentation,
)
from .base import REGISTRY, Layer, Shape, ShapeError, elements, show

__all__ = ["REGISTRY", "Layer", "Shape", "ShapeError", "elements", "show"]
