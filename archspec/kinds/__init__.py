"""The layer kinds.  REGISTRY names every kind; a kind's module is imported
when the kind is first looked up (kinds/base.py, KindRegistry), and a kind
that lacks a fact stops that import with an error naming it.
`REGISTRY.load_all()` imports every kind."""

from .base import REGISTRY, Layer
from .shape import Shape, ShapeError, show

__all__ = ["REGISTRY", "Layer", "Shape", "ShapeError", "show"]
