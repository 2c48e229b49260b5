"""All layer kinds.  Importing this package registers every kind in REGISTRY."""

from . import activation, conv, merge, normalization, pooling, reshape  # noqa: F401  (registration)
from . import segmentation  # noqa: F401  (deconv, crop, interp)
from . import detection  # noqa: F401  (l2norm, priorbox, proposal, roipool, psroipool, detection_output)
from .base import REGISTRY, Layer, Shape, ShapeError, elements, show

__all__ = ["REGISTRY", "Layer", "Shape", "ShapeError", "elements", "show"]
