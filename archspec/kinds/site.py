"""A layer where it sits in the graph: the one thing every formula reads."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import Layer
    from .shape import Shape


@dataclass(frozen=True, slots=True)
class Site:
    """A layer, its inputs' shapes and its output's shape.  In a sweep the
    sides are numpy arrays holding their value at every input size."""

    layer: Layer
    inputs: tuple[Shape, ...]
    output: Shape

    @property
    def out(self) -> Any:
        """Elements of the output."""
        return prod(self.output)

    @property
    def inp(self) -> Any:
        """Elements of the first input."""
        return prod(self.inputs[0])
